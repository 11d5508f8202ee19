"""Who holds every media node, buffer queue and dma-buf, system-wide.

:func:`scan` walks /proc (and debugfs when readable) into a :class:`RawScan`;
:func:`join` joins it by dma-buf inode into per-buffer, per-process and per-node views
with the queue-owner conclusion and its evidence; :func:`confirm_queue` checks a queue
from a second handle; :func:`holder_sentence` is what EBUSY explanations append.
"""

from core.holders.explain import holder_sentence, holders_of
from core.holders.join import DmabufView, Holders, NodeView, ProcessView, join
from core.holders.model import RawScan, Unreadable
from core.holders.roots import SYSTEM, ScanRoots
from core.holders.scan import scan

__all__ = [
    "SYSTEM", "DmabufView", "Holders", "NodeView", "ProcessView", "RawScan", "ScanRoots",
    "Unreadable", "holder_sentence", "holders_of", "join", "scan",
]
