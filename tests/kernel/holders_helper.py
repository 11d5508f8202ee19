"""A process that holds dma-bufs in every way the holders scan must tell apart.

Run by tests/kernel/test_holders.py: ``python holders_helper.py VIVID VIM2M``.  It
exports three vivid capture buffers and keeps the first by fd only, the second by
mapping only (fd closed), imports the third into vim2m's OUTPUT queue (keeping its fd
too), allocates 1 MiB from the system heap (fd and mapping) and 64 KiB from udmabuf
(fd).  It prints one JSON line of inodes and sizes, then obeys stdin: ``reqbufs0``
frees vivid's queue (the exports become orphans), ``exit`` ends it.
"""

from __future__ import annotations

import json
import mmap
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from core.abi import v4l2 as v
from core.dmabuf import DmaHeap, Udmabuf
from core.video import VideoDevice

CAP = v.V4L2_BUF_TYPE_VIDEO_CAPTURE
OUT = v.V4L2_BUF_TYPE_VIDEO_OUTPUT
FLAGS = os.O_CLOEXEC | os.O_RDWR


def main(vivid: str, vim2m: str) -> None:
    cap = VideoDevice(vivid)
    fmt = cap.get_format(CAP)
    cap.request_buffers(CAP, v.V4L2_MEMORY_MMAP, 4)
    by_fd = cap.export_buffer(CAP, 0, 0, FLAGS)
    mapped = cap.export_buffer(CAP, 1, 0, FLAGS)
    mapping = mmap.mmap(mapped.fd, mapped.size, mmap.MAP_SHARED, mmap.PROT_READ)
    facts = {"pid": os.getpid(), "by_fd": os.fstat(by_fd.fd).st_ino,
             "by_map": os.fstat(mapped.fd).st_ino, "vivid_size": by_fd.size}
    mapped.close()
    imported = cap.export_buffer(CAP, 2, 0, FLAGS)
    m2m = VideoDevice(vim2m)
    m2m.set_format(OUT, width=fmt.width, height=fmt.height, pixelformat=fmt.fourcc)
    m2m.request_buffers(OUT, v.V4L2_MEMORY_DMABUF, 1)
    m2m.queue_buffer(OUT, 0, dmabufs=[imported])
    heap = DmaHeap("system").allocate(1 << 20)
    heap_map = mmap.mmap(heap.fd, heap.size, mmap.MAP_SHARED, mmap.PROT_READ)
    udma = Udmabuf().allocate(64 << 10)
    facts.update(imported=os.fstat(imported.fd).st_ino, heap=os.fstat(heap.fd).st_ino,
                 heap_size=heap.size, udmabuf=os.fstat(udma.fd).st_ino,
                 udmabuf_size=udma.size)
    print(json.dumps(facts), flush=True)
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "reqbufs0":
            cap.request_buffers(CAP, v.V4L2_MEMORY_MMAP, 0)
            print("ok", flush=True)
        elif cmd == "exit":
            break
    del mapping, heap_map


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
