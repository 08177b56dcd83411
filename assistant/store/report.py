"""What a CSV import did: counts, the rows left out (with line and reason) and notes on kept rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # keeps ``import assistant.store`` light (no pandas)
    from ..followup.problems import RowProblem

__all__ = ["ImportReport"]


@dataclass
class ImportReport:
    """``rejected``: rows not imported (action ``rejected``, or ``deferred`` for rows dated after
    the import day); ``notes``: rows imported with a value ignored or noted (action ``kept``)."""

    patients_new: int = 0
    patients_updated: int = 0
    visits_new: int = 0
    visits_updated: int = 0
    rejected: list[RowProblem] = field(default_factory=list)
    notes: list[RowProblem] = field(default_factory=list)

    @property
    def patients_imported(self) -> int:
        return self.patients_new + self.patients_updated

    @property
    def visits_imported(self) -> int:
        return self.visits_new + self.visits_updated

    def summary(self) -> str:
        """One line in Chinese and English."""
        return (
            f"patients {self.patients_new} new, {self.patients_updated} updated; visits {self.visits_new} new, "
            f"{self.visits_updated} updated; {len(self.rejected)} row(s) not imported, {len(self.notes)} note(s) / "
            f"患者新增{self.patients_new}、更新{self.patients_updated}；随访新增{self.visits_new}、"
            f"更新{self.visits_updated}；未导入{len(self.rejected)}行，提示{len(self.notes)}条"
        )

    def lines(self) -> list[str]:
        """The summary, then one line per problem (file, line, field, reason, action)."""
        return [self.summary(), *(str(p) for p in self.rejected), *(str(p) for p in self.notes)]
