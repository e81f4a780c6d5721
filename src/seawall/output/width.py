"""How wide text tables are drawn: the terminal's width, or COLUMNS when output goes to a pipe or file."""

from __future__ import annotations

import os
import shutil
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import RenderableType

MIN_WIDTH = 40  # narrower than this, no table is readable: wrap at this width instead


def output_width(default: int = 80) -> int:
    """COLUMNS when set (a pipe has no width of its own), else the terminal's width, else `default`."""
    text = os.environ.get("COLUMNS", "").strip()
    if text.isdigit() and int(text) > 0:
        return max(int(text), MIN_WIDTH)
    if sys.stdout.isatty():
        return max(shutil.get_terminal_size((default, 24)).columns, MIN_WIDTH)
    return default


def render_text(*renderables: RenderableType, width: int) -> str:
    """rich renderables as plain text `width` columns wide, without the trailing blanks rich pads lines with."""
    import io

    from rich.console import Console

    from seawall.output.visible import print_visible

    console = Console(file=io.StringIO(), width=width, force_terminal=False, no_color=True, highlight=False,
                      markup=False, emoji=False)  # image paths and names are text, never markup
    for item in renderables:
        print_visible(console, item)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"
