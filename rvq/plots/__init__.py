"""Figures for the pilot's notebooks: steps b-e (`steps`), the back-test (`backtest`) and
norms (`norms`)."""

from __future__ import annotations

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
