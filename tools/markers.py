"""Generated blocks inside hand-written files, between a pair of HTML-comment markers.

Every generator of the repository writes its block through one ``Block``: the README's
metrics reference (``python -m tools.docs``), the boards' panel tables in
docs/dashboards.md (``python -m dashboards --docs``), and any other document with a
generated part.
"""

from __future__ import annotations

from dataclasses import dataclass


class MarkersMissing(ValueError):
    """The document lacks the block's markers, or they are out of order."""


@dataclass(frozen=True)
class Block:
    """The block named ``name``: the lines between ``<!-- name:start -->`` and
    ``<!-- name:end -->``."""

    name: str

    @property
    def start(self) -> str:
        return f"<!-- {self.name}:start -->"

    @property
    def end(self) -> str:
        return f"<!-- {self.name}:end -->"

    def _span(self, text: str) -> tuple[int, int]:
        start, end = text.find(self.start), text.find(self.end)
        if start < 0 or end < 0 or end < start:
            raise MarkersMissing(
                f"the markers {self.start} and {self.end} are missing or out of order"
            )
        return start + len(self.start), end

    def current(self, text: str) -> str:
        """What lies between the markers now (without the marker lines)."""
        start, end = self._span(text)
        return text[start:end].removeprefix("\n")

    def replace(self, text: str, body: str) -> str:
        """``text`` with the lines between the markers replaced by ``body``."""
        start, end = self._span(text)
        return f"{text[:start]}\n{body}{text[end:]}"
