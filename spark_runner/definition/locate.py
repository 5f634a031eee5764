"""Line and column of elements and attributes: lxml knows only lines, authors need columns too."""

from __future__ import annotations

import bisect
import re
from functools import cached_property

# Comments, CDATA, processing instructions and declarations hold no elements; skip them whole.
_TOKENS = re.compile(
    r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<![A-Za-z][^>]*>|<([A-Za-z_][\w.\-]*(?::[\w.\-]+)?)",
    re.DOTALL,
)
_TAG_END = re.compile(r"/?>")


class Locator:
    """Maps the n-th element of a document (document order) to its place in the text."""

    def __init__(self, text: str):
        self.text = text

    @cached_property
    def _line_starts(self) -> list[int]:
        return [0] + [m.end() for m in re.finditer("\n", self.text)]

    @cached_property
    def _starts(self) -> list[int]:
        return [m.start() for m in _TOKENS.finditer(self.text) if m.group(1)]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def element(self, index: int) -> tuple[int, int]:
        if 0 <= index < len(self._starts):
            return self.position(self._starts[index])
        return 1, 1

    def attribute(self, index: int, name: str) -> tuple[int, int]:
        if not 0 <= index < len(self._starts):
            return 1, 1
        start = self._starts[index]
        end_match = _TAG_END.search(self.text, start)
        end = end_match.start() if end_match else len(self.text)
        found = re.compile(r"\s(" + re.escape(name) + r")\s*=").search(self.text, start, end)
        return self.position(found.start(1)) if found else self.position(start)


def attribute_after(text: str, line: int, column: int, name: str) -> tuple[int, int]:
    """Where attribute ``name`` stands in the start tag beginning at ``line``:``column``; the
    tag's own place when the attribute is not written there."""
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    if not 1 <= line <= len(starts):
        return line, column
    start = starts[line - 1] + column - 1
    end_match = _TAG_END.search(text, start)
    end = end_match.start() if end_match else len(text)
    found = re.compile(r"\s(" + re.escape(name) + r")\s*=").search(text, start, end)
    if not found:
        return line, column
    offset = found.start(1)
    line_at = bisect.bisect_right(starts, offset)
    return line_at, offset - starts[line_at - 1] + 1
