"""A sparkline as text: one block character per sample, scaled to the series' maximum,
so a leak shows as a climbing line in a table cell."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

BLOCKS = " ▁▂▃▄▅▆▇█"


def trend(samples: Sequence[int], width: int = 24, style: str = "cyan") -> Text:
    """The last ``width`` samples; an empty series is a blank cell."""
    tail = list(samples)[-width:]
    top = max(tail, default=0)
    if top <= 0:
        return Text("▁" * len(tail), style="dim")
    chars = "".join(BLOCKS[max(1, round(s / top * (len(BLOCKS) - 1)))] if s else "▁"
                    for s in tail)
    return Text(chars, style=style)
