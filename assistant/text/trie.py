"""A prefix tree over characters (Chinese) or word stems (English) with a longest-match scan.

The scan goes left to right; where several entries start at one position it keeps the one that,
together with the longest entry right after it, covers the most (a one-step look-ahead, as in
MMSEG); on a tie, the pair ``prefer`` scores higher (a negation cue followed by a finding beats a
finding followed by a lone character), then the longer first entry. So ``无尿频`` reads as
``无`` + ``尿频`` (no frequency), ``无尿痛`` as ``无`` + ``尿痛``, while ``少尿无尿`` keeps ``无尿``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any, Generic, TypeVar

__all__ = ["Trie"]

P = TypeVar("P")
_END = ""  # never a character key (characters have length 1) nor a word key (words are non-empty)


class Trie(Generic[P]):
    """Entries are sequences of hashable items (characters or words); each entry holds payloads."""

    __slots__ = ("prefer", "root", "size")

    def __init__(self, prefer: Callable[[tuple[P, ...], tuple[P, ...]], int] | None = None) -> None:
        self.root: dict[Any, Any] = {}
        self.size = 0
        #: scores a pair (first entry's payloads, next entry's payloads) to break ties
        self.prefer = prefer

    def add(self, key: Sequence[Hashable], payload: P) -> None:
        if not key:
            return
        node = self.root
        for item in key:
            node = node.setdefault(item, {})
        bucket = node.get(_END)
        if bucket is None:
            node[_END] = [payload]
            self.size += 1
        elif payload not in bucket:
            bucket.append(payload)

    def freeze(self) -> None:
        """Turn payload lists into tuples (call once, after the last :meth:`add`)."""
        stack = [self.root]
        while stack:
            node = stack.pop()
            for k, v in node.items():
                if k == _END:
                    node[k] = tuple(v)
                else:
                    stack.append(v)

    def _ends(self, seq: Sequence[Any], i: int) -> list[tuple[int, tuple[P, ...]]]:
        node = self.root.get(seq[i])
        found: list[tuple[int, tuple[P, ...]]] = []
        j = i
        n = len(seq)
        while node is not None:
            j += 1
            payloads = node.get(_END)
            if payloads is not None:
                found.append((j, payloads))
            if j >= n:
                break
            node = node.get(seq[j])
        return found

    def _longest(self, seq: Sequence[Any], i: int) -> tuple[int, tuple[P, ...]]:
        """End and payloads of the longest entry at ``i`` (``i`` and no payloads when none)."""
        if i >= len(seq):
            return i, ()
        ends = self._ends(seq, i)
        if not ends:
            return i, ()
        return ends[-1]

    def scan(self, seq: Sequence[Any]) -> list[tuple[int, int, tuple[P, ...]]]:
        """Non-overlapping matches ``(start, end, payloads)`` in ``seq``, left to right."""
        out: list[tuple[int, int, tuple[P, ...]]] = []
        root = self.root
        n = len(seq)
        i = 0
        while i < n:
            if seq[i] not in root:
                i += 1
                continue
            ends = self._ends(seq, i)
            if not ends:
                i += 1
                continue
            if len(ends) == 1:
                end, payloads = ends[0]
            else:
                best_score = (-1, -1, -1)
                end, payloads = ends[-1]
                for e, p in ends:
                    next_end, next_p = self._longest(seq, e)
                    q = self.prefer(p, next_p) if self.prefer else 0
                    score = (next_end, q, e)
                    if score > best_score:
                        best_score = score
                        end, payloads = e, p
            out.append((i, end, payloads))
            i = end
        return out
