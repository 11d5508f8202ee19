"""dma-buf heap, udmabuf and dma-buf sync causes."""

from __future__ import annotations

import errno as E

from core.explain.registry import Explanation, rule
from core.facts import Facts

# --- dma-buf heaps and udmabuf -----------------------------------------------------------


@rule(("DMA_HEAP_IOCTL_ALLOC", E.EINVAL))
def _heap_alloc_einval(facts: Facts | None) -> Explanation:
    return (
        "Heap allocation refused",
        "The length is 0, or fd_flags/heap_flags carry bits other than O_RDWR/O_CLOEXEC "
        "(dma-heap.c checks both).",
    )


@rule(("UDMABUF_CREATE", E.EINVAL))
def _udmabuf_einval(facts: Facts | None) -> Explanation:
    return (
        "udmabuf refused the memfd",
        "udmabuf needs a memfd sealed against shrinking (F_SEAL_SHRINK), not writable "
        "sealed, with a page-aligned offset and size inside the file.",
    )


@rule(("DMA_BUF_IOCTL_SYNC", E.EINVAL))
def _sync_einval(facts: Facts | None) -> Explanation:
    return (
        "Invalid sync flags",
        "DMA_BUF_IOCTL_SYNC takes START or END with READ, WRITE or both, and nothing else.",
    )
