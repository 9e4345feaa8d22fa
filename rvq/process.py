"""Pilot steps b–e in one place: the data map, the lifecycle report, process gaps, the record.

The logic lives in one module per step; this module gathers their public functions so
a notebook can `from rvq import process` and find everything steps b–e need:

- step b, High-Level Data Map (`rvq.datamap`): catalog_coverage, unmapped_codes,
  source_coverage, account_completeness, data_gaps;
- step c, lifecycle report (`rvq.lifecycle`): lifecycle_divergence, lifecycle_paths,
  account_outcome;
- step d, Roadmap for Process Improvement (`rvq.gaps`): process_gaps, improvement_roadmap;
- step e, historical record of priority customers (`rvq.record`): priority_customers,
  record_completeness, duplicates_and_conflicts, data_requests.

Figures for all four are in `rvq.plots_process`.
"""

from rvq.datamap import (
    account_completeness,
    catalog_coverage,
    data_gaps,
    source_coverage,
    unmapped_codes,
)
from rvq.gaps import ProcessGaps, improvement_roadmap, process_gaps
from rvq.lifecycle import account_outcome, lifecycle_divergence, lifecycle_paths
from rvq.record import (
    data_requests,
    duplicates_and_conflicts,
    priority_customers,
    record_completeness,
)

__all__ = [
    "ProcessGaps",
    "account_completeness",
    "account_outcome",
    "catalog_coverage",
    "data_gaps",
    "data_requests",
    "duplicates_and_conflicts",
    "improvement_roadmap",
    "lifecycle_divergence",
    "lifecycle_paths",
    "priority_customers",
    "process_gaps",
    "record_completeness",
    "source_coverage",
    "unmapped_codes",
]
