"""Text from images, registries and feeds written so that it cannot drive the terminal that shows a report.

Control characters (ESC and the rest of C0 and C1, DEL) and Unicode's bidirectional controls are written as
escapes (`\\x1b`, `\\u202e`): a file name, an os-release name or a history line must not retitle the window,
recolour the report or reorder what it says. Tabs and newlines stay. rich's `Text` drops only a few of these (BEL,
BS, VT, FF, CR), so the tables pass what they print through `print_visible`, which escapes the text of every
segment after layout and leaves rich's own styling alone.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """`text` with every unsafe character written as a Python-style escape."""
    return _UNSAFE.sub(_escape, text) if _UNSAFE.search(text) else text


def visible_line(text: str) -> str:
    """`visible`, with newlines and tabs escaped too: for one-line messages that may quote image text."""
    return visible(text).replace("\n", "\\n").replace("\t", "\\t")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def print_visible(console: Console, renderable: RenderableType) -> None:
    """`console.print(renderable)`, with the text of each laid-out segment passed through `visible`."""
    from rich.segment import Segment, Segments

    segments = []
    for segment in console.render(renderable):
        text = segment.text if segment.control else visible(segment.text)  # the same str when nothing is unsafe
        segments.append(segment if text is segment.text else Segment(text, segment.style, segment.control))
    console.print(Segments(segments))
