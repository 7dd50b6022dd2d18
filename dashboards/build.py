"""The boards as committed JSON files: every board, rendered."""

from __future__ import annotations

import json
from collections.abc import Callable

from grafana_foundation_sdk.cog.encoder import JSONEncoder

from dashboards import engagement, growth, overview, revenue, users, viral
from dashboards.layout import Board, build_board
from dashboards.options import BuildOptions

BOARD_MODULES: tuple[Callable[[BuildOptions], Board], ...] = (
    overview.board,
    revenue.board,
    users.board,
    viral.board,
    engagement.board,
    growth.board,
)


def boards(opts: BuildOptions | None = None) -> list[Board]:
    """Every board declaration, overview first."""
    o = opts or BuildOptions()
    return [make(o) for make in BOARD_MODULES]


def render(board: Board) -> str:
    """A board's JSON as committed: sorted keys, 2-space indent, trailing newline."""
    model = build_board(board)
    return json.dumps(model, cls=JSONEncoder, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def file_name(board: Board) -> str:
    return f"{board.uid}.json"


def build_all(opts: BuildOptions | None = None) -> dict[str, str]:
    """File name -> JSON text of every board."""
    return {file_name(b): render(b) for b in boards(opts)}
