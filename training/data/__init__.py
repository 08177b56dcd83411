"""Training data: a data scientist's own consultation table, or the synthetic generator's output,
turned into the pipeline's :class:`~training.dataset.TrainingSet`.

The table schema (CSV or Parquet, one row per consultation) is documented in
:mod:`training.data.table` and ``docs/training-data.md``::

    frame, problems = read_table("my_consultations.csv")
    table = validate_table(frame, kb)          # never raises on the data
    print(table.report())                      # every bad row: row number, column, reason
    training, batch = training_set_from_table(table, kb)
"""

from __future__ import annotations

from .build import (
    GeneratedSet,
    condition_labels,
    generate_training_set,
    subgroups,
    training_set_from_sample,
    training_set_from_table,
)
from .table import (
    FINDING_COLUMN_PREFIX,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    TableProblem,
    ValidatedTable,
    read_table,
    table_from_records,
    validate_table,
)

__all__ = [
    "FINDING_COLUMN_PREFIX",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "GeneratedSet",
    "TableProblem",
    "ValidatedTable",
    "condition_labels",
    "generate_training_set",
    "read_table",
    "subgroups",
    "table_from_records",
    "training_set_from_sample",
    "training_set_from_table",
    "validate_table",
]
