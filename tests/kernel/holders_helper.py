"""A process that holds dma-bufs in every way the holders scan must tell apart.

Run by tests/kernel/test_holders.py: ``python holders_helper.py VIVID VIM2M CONTIG_CAP
CONTIG_OUT``.  It exports three vivid capture buffers and keeps the first by fd only,
the second by mapping only (fd closed; mapped with libc's mmap, because Python's mmap
keeps a dup of the fd), imports the third into vim2m's OUTPUT queue (keeping its fd
too; vb2-vmalloc importers take a reference but attach nothing), exports a buffer of
the dma-contig vivid instance and imports it into that instance's OUTPUT queue (a
dma-contig importer attaches: bufinfo lists vivid.0), allocates 1 MiB from the system
heap (fd and a Python mapping, whose dup is a second fd) and 64 KiB from udmabuf (fd).
It prints one JSON line of inodes and sizes, then obeys stdin: ``reqbufs0``
frees vivid's queue (the exports become orphans), ``exit`` ends it.
"""

from __future__ import annotations

import ctypes
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


def main(vivid: str, vim2m: str, contig_cap: str, contig_out: str) -> None:
    cap = VideoDevice(vivid)
    # RGB24 on both sides: vim2m's OUTPUT has no YUYV, and the export must be at least
    # as large as vim2m's sizeimage.
    fmt = cap.set_format(CAP, width=640, height=480, pixelformat="RGB3")
    cap.request_buffers(CAP, v.V4L2_MEMORY_MMAP, 4)
    by_fd = cap.export_buffer(CAP, 0, 0, FLAGS)
    mapped = cap.export_buffer(CAP, 1, 0, FLAGS)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                          ctypes.c_int, ctypes.c_long]
    addr = libc.mmap(None, mapped.size, mmap.PROT_READ, mmap.MAP_SHARED, mapped.fd, 0)
    assert addr not in (None, ctypes.c_void_p(-1).value), ctypes.get_errno()
    facts = {"pid": os.getpid(), "by_fd": os.fstat(by_fd.fd).st_ino,
             "by_map": os.fstat(mapped.fd).st_ino, "vivid_size": by_fd.size}
    mapped.close()
    imported = cap.export_buffer(CAP, 2, 0, FLAGS)
    m2m = VideoDevice(vim2m)
    m2m.set_format(OUT, width=fmt.width, height=fmt.height, pixelformat=fmt.fourcc)
    m2m.request_buffers(OUT, v.V4L2_MEMORY_DMABUF, 1)
    m2m.queue_buffer(OUT, 0, dmabufs=[imported])
    ccap, cout = VideoDevice(contig_cap), VideoDevice(contig_out)
    cfmt = ccap.get_format(CAP)
    cout.set_format(OUT, width=cfmt.width, height=cfmt.height, pixelformat=cfmt.fourcc)
    ccap.request_buffers(CAP, v.V4L2_MEMORY_MMAP, 2)
    attached = ccap.export_buffer(CAP, 0, 0, FLAGS)
    cout.request_buffers(OUT, v.V4L2_MEMORY_DMABUF, 1)
    cout.queue_buffer(OUT, 0, dmabufs=[attached])
    heap = DmaHeap("system").allocate(1 << 20)
    heap_map = mmap.mmap(heap.fd, heap.size, mmap.MAP_SHARED, mmap.PROT_READ)
    udma = Udmabuf().allocate(64 << 10)
    facts.update(imported=os.fstat(imported.fd).st_ino, attached=os.fstat(attached.fd).st_ino,
                 attached_size=attached.size, heap=os.fstat(heap.fd).st_ino,
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
    del heap_map


if __name__ == "__main__":
    main(*sys.argv[1:5])
