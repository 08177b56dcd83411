"""The feature spec: the ordered list of feature names a model was trained on, with a stable hash.

Training and runtime build the feature vector from the same spec; a model pack carries its spec and
the loader refuses a pack whose spec differs from the one the running encoder produces.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

__all__ = ["FeatureSpec", "FeatureSpecError"]


class FeatureSpecError(ValueError):
    """A feature spec that cannot be used (empty, duplicate or malformed names, bad dict)."""


@dataclass(frozen=True)
class FeatureSpec:
    """Ordered feature names plus a version label; ``sha256`` identifies the exact layout.

    The hash covers the version and the names in order, so reordering, renaming, adding or dropping
    a feature, or bumping the version (e.g. when an encoding changes meaning), all change it.
    """

    names: tuple[str, ...]
    version: str

    def __post_init__(self) -> None:
        names = tuple(self.names)
        object.__setattr__(self, "names", names)
        if not names:
            raise FeatureSpecError("feature spec has no features")
        bad = [n for n in names if not isinstance(n, str) or not n or n != n.strip()]
        if bad:
            raise FeatureSpecError(f"feature names must be non-empty strings without outer spaces: {bad[:5]}")
        dups = sorted(n for n, count in Counter(names).items() if count > 1)
        if dups:
            raise FeatureSpecError(f"duplicate feature names: {dups[:10]}")
        if not isinstance(self.version, str) or not self.version:
            raise FeatureSpecError("feature spec version must be a non-empty string")

    def __len__(self) -> int:
        return len(self.names)

    @property
    def sha256(self) -> str:
        """Hex sha256 of the canonical JSON ``{"names": [...], "version": ...}``."""
        canonical = json.dumps(
            {"names": list(self.names), "version": self.version},
            ensure_ascii=False,
            separators=(",", ":"),
            sort_keys=True,
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def index(self, name: str) -> int:
        """Column of ``name`` in the feature matrix."""
        return self.names.index(name)

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "sha256": self.sha256, "names": list(self.names)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureSpec:
        """Inverse of :meth:`to_dict`; checks the stored ``sha256`` when present."""
        if not isinstance(data, dict) or "names" not in data or "version" not in data:
            raise FeatureSpecError("feature spec must be an object with 'names' and 'version'")
        names = data["names"]
        if not isinstance(names, list):
            raise FeatureSpecError("feature spec 'names' must be a list of strings")
        spec = cls(names=tuple(names), version=data["version"])
        stored = data.get("sha256")
        if stored is not None and stored != spec.sha256:
            raise FeatureSpecError(
                f"feature spec sha256 does not match its names: stored {stored}, computed {spec.sha256}"
            )
        return spec

    def diff(self, other: FeatureSpec) -> str:
        """A short human-readable description of how ``other`` differs from this spec."""
        parts: list[str] = []
        if self.version != other.version:
            parts.append(f"version {self.version!r} vs {other.version!r}")
        if len(self.names) != len(other.names):
            parts.append(f"{len(self.names)} vs {len(other.names)} features")
        mine, theirs = set(self.names), set(other.names)
        missing = [n for n in self.names if n not in theirs]
        extra = [n for n in other.names if n not in mine]
        if missing:
            parts.append(f"only in first: {missing[:5]}{' …' if len(missing) > 5 else ''}")
        if extra:
            parts.append(f"only in second: {extra[:5]}{' …' if len(extra) > 5 else ''}")
        if not missing and not extra and self.names != other.names:
            first = next(i for i, (a, b) in enumerate(zip(self.names, other.names, strict=True)) if a != b)
            parts.append(f"same names in a different order (first difference at column {first})")
        return "; ".join(parts) or "identical"
