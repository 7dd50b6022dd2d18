"""What differs between deployments when the boards are built: the reporting currency."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class BuildOptions:
    currency: str = "GBP"

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Z]{3}", self.currency):
            raise ValueError(f"not an ISO 4217 code like 'GBP': {self.currency!r}")
