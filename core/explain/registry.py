"""The registry of explanations: (ioctl, errno) rules, errno-only fallbacks, helpers.

A rule is a function of the call's facts (:mod:`core.facts`) returning a one-line title
and a longer explanation; :func:`core.errors.media_error` picks the rule for
(ioctl, errno) first, then the one for the errno alone.
"""

from __future__ import annotations

from collections.abc import Callable

from core.facts import (
    AllocationFacts,
    BufferFacts,
    DvbAllocationFacts,
    ExportFacts,
    Facts,
    FormatFacts,
    QueueFacts,
)

Explanation = tuple[str, str]
Explainer = Callable[[Facts | None], Explanation]
RULES: dict[tuple[str, int], Explainer] = {}
GENERIC: dict[int, Explainer] = {}


def rule(*keys: tuple[str, int]) -> Callable[[Explainer], Explainer]:
    """Register the decorated function for each (ioctl name, errno) in ``keys``."""

    def register(fn: Explainer) -> Explainer:
        for key in keys:
            RULES[key] = fn
        return fn

    return register


def queue_of(facts: Facts | None) -> QueueFacts | None:
    if isinstance(facts, QueueFacts):
        return facts
    if isinstance(facts, AllocationFacts | BufferFacts | ExportFacts | DvbAllocationFacts):
        return facts.queue
    if isinstance(facts, FormatFacts):
        return facts.queue
    return None



def index_text(facts: Facts | None) -> str:
    index = facts.index if isinstance(facts, BufferFacts | ExportFacts) else None
    return "?" if index is None else str(index)



def bad_export_flags(facts: ExportFacts) -> Explanation:
    """VIDIOC_EXPBUF and DMX_EXPBUF accept the same open(2) flags."""
    return (
        f"Invalid export flags {facts.flags:#x}",
        "Only O_CLOEXEC and an access mode (O_RDONLY, O_WRONLY, O_RDWR) are allowed.",
    )

