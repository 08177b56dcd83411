"""Errors that reach the user: each names the field and the problem."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem with the input: the dotted field path and the reason, in plain words."""

    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


class InputError(ValueError):
    """Input that cannot be used. ``problems`` holds one entry per bad field."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
