"""Loading of knowledge tables: YAML files with a provenance header and validated rows.

Every knowledge file has the shape::

    meta:
      title: Findings a village doctor records
      source: where the content comes from (guideline, formulary, classification)
      edition: which edition or date of that source
    rows:
      - {code: fever, ...}

Rows are validated with a pydantic model; any problem raises :class:`KnowledgeError` naming the
file, the row (1-based, with its key when it has one) and the field.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

try:  # libyaml is bundled with PyYAML's wheels; fall back to the pure-Python loader.
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader

KNOWLEDGE_DIR = Path(__file__).resolve().parent


class KnowledgeError(ValueError):
    """A knowledge file is missing, malformed or inconsistent."""


class Row(BaseModel):
    """Base of every knowledge row: unknown fields are errors, rows are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Meta(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
    title: str
    source: str
    edition: str


R = TypeVar("R", bound=Row)


@dataclass(frozen=True)
class Table(Generic[R]):
    """Validated rows of one knowledge file, indexed by their key field."""

    path: Path
    meta: Meta
    rows: tuple[R, ...]
    key: str
    index: dict[str, R] = field(repr=False)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[R]:
        return iter(self.rows)

    def __contains__(self, key: object) -> bool:
        return key in self.index

    def __getitem__(self, key: str) -> R:
        return self.index[key]

    def get(self, key: str) -> R | None:
        return self.index.get(key)

    def keys(self) -> list[str]:
        return list(self.index)


def _format_loc(loc: Sequence[Any]) -> str:
    return ".".join(str(p) for p in loc) or "(row)"


def read_yaml(path: Path) -> Any:
    """Read a YAML file, turning I/O and syntax problems into :class:`KnowledgeError`."""
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_Loader)  # noqa: S506 - CSafeLoader/SafeLoader only
    except FileNotFoundError as exc:
        raise KnowledgeError(f"{path.name}: file not found ({path})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise KnowledgeError(f"{path.name}{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from exc


def load_table(path: Path, model: type[R], key: str) -> Table[R]:
    """Load and validate one knowledge file.

    Raises :class:`KnowledgeError` with ``file row N (key=…): field 'f': reason`` for each problem
    (all problems of the file are collected, one per line).
    """
    data = read_yaml(path)
    name = path.name
    if not isinstance(data, dict):
        raise KnowledgeError(f"{name}: expected a mapping with 'meta' and 'rows' at the top level")
    try:
        meta = Meta.model_validate(data.get("meta"))
    except ValidationError as exc:
        problems = "; ".join(f"field 'meta.{_format_loc(e['loc'])}': {e['msg']}" for e in exc.errors())
        raise KnowledgeError(f"{name}: header {problems}") from exc
    raw_rows = data.get("rows")
    if not isinstance(raw_rows, list) or not raw_rows:
        raise KnowledgeError(f"{name}: 'rows' must be a non-empty list")

    problems: list[str] = []
    rows: list[R] = []
    index: dict[str, R] = {}
    for i, raw in enumerate(raw_rows, start=1):
        label = f"{name} row {i}"
        if isinstance(raw, dict) and key in raw:
            label += f" ({key}={raw[key]})"
        if not isinstance(raw, dict):
            problems.append(f"{label}: expected a mapping of fields, got {type(raw).__name__}")
            continue
        try:
            row = model.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors():
                problems.append(f"{label}: field '{_format_loc(err['loc'])}': {err['msg']}")
            continue
        k = str(getattr(row, key))
        if k in index:
            problems.append(f"{label}: field '{key}': duplicate value {k!r}")
            continue
        index[k] = row
        rows.append(row)
    if problems:
        raise KnowledgeError("\n".join(problems))
    return Table(path=path, meta=meta, rows=tuple(rows), key=key, index=index)
