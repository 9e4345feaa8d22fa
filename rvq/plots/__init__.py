"""Figures for the pilot's notebooks: steps b-e (`steps`), the back-test (`backtest`) and
norms (`norms`).

Importing this package turns matplotlib's math-text parser off (`plain_text_figures`):
client strings (segment values, interaction and outcome names) become titles, labels and
tick labels, and a `$` in one of them must print as a `$`, never crash the figure.
"""

from __future__ import annotations

import matplotlib as mpl

from rvq.plots.backtest import (
    plot_horizon_effects,
    plot_lead_lag,
    plot_power_grid,
    plot_segment_timeline,
)
from rvq.plots.norms import (
    plot_norm_trajectory,
    plot_subset_norms,
)
from rvq.plots.steps import (
    ASPECT_COLORS,
    DIMENSION_COLORS,
    FIGSIZE,
    GAP_MEASURE,
    STAGE_COLORS,
    compact_number,
    plot_account_completeness,
    plot_catalog_coverage,
    plot_data_gaps,
    plot_gap_aspects,
    plot_gap_interactions,
    plot_lifecycle_divergence,
    plot_lifecycle_paths,
    plot_record_completeness,
    plot_source_coverage,
)

#: matplotlib settings under which every string is drawn as the characters it holds:
#: no `$...$` math text, no LaTeX (both would parse a client's `$\alert{x}$` and fail)
PLAIN_TEXT_RC = {"text.parse_math": False, "text.usetex": False}


def plain_text_figures() -> None:
    """Draw every text of every later figure as plain characters (`PLAIN_TEXT_RC`).

    A process-wide setting rather than escaping `$` label by label: tick labels are made
    at draw time from the data (seaborn heat maps label rows with the frame's index), so
    an escape would have to be repeated at every place a client string can reach a
    figure, and one forgotten place crashes the page. rvq's own labels use no math text.
    """
    mpl.rcParams.update(PLAIN_TEXT_RC)


plain_text_figures()
