"""The Python floor of ``mediatui list --json``, ``mediatui info NODE`` and ``mediatui
stream NODE``: the least a Python program can do to produce the same information (or,
for ``stream``, to keep the same frames flowing), and nothing else.

``list``: it imports only what any such program needs (argparse for its command line,
json for its output, os/fcntl/struct for the syscalls), walks the same sysfs classes,
reads each node's udev database file (``/run/udev/data/c<major>:<minor>``, what
libudev reads), opens each video, subdev and media node and asks it what it is
(VIDIOC_QUERYCAP, VIDIOC_SUBDEV_QUERYCAP, MEDIA_IOC_DEVICE_INFO), and prints one
compact JSON list.  ``info NODE``: QUERYCAP, G_FMT and G_PARM of the node's capture (or
output) queue, every ENUM_FMT, every ENUM_FRAMESIZES of each format and the
ENUM_FRAMEINTERVALS of each format at the current size: the ioctls ``mediatui info``
issues on a video node.  ``stream NODE``: REQBUFS, QUERYBUF and mmap of each buffer,
QBUF, STREAMON, then per frame poll + DQBUF + QBUF of the same buffer (what ``v4l2-ctl
--stream-mmap`` does, less its output), STREAMOFF and cleanup; ``benchmarks/run.py``
measures its steady CPU beside v4l2-ctl's and mediatui's.  No grouping, no error
explanations, no decoding into names, no statistics, no schema: what mediatui does
beyond this is its own cost.  ``list`` and ``info`` timed side by side with ``python3
-c pass`` and the mediatui command (``benchmarks/run.py --vm`` prints the same rows):

    .venv/bin/python benchmarks/floor.py list --compare [--reps 7]
    .venv/bin/python benchmarks/floor.py info /dev/video7 --compare

The ioctl numbers come from the uapi struct sizes (``_IOR``/``_IOWR``);
``tests/unit/test_benchmarks_smoke.py`` holds them equal to core.abi's, which
``tests/unit/test_abi.py`` checks against the kernel headers.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import mmap
import os
import select
import struct
import sys


def _ioc(direction: int, kind: str, nr: int, size: int) -> int:
    """asm-generic/ioctl.h: dir << 30 | size << 16 | type << 8 | nr (x86, arm, riscv)."""
    return direction << 30 | size << 16 | ord(kind) << 8 | nr


VIDIOC_QUERYCAP = _ioc(2, "V", 0, 104)  # _IOR('V', 0, struct v4l2_capability)
VIDIOC_SUBDEV_QUERYCAP = _ioc(2, "V", 0, 64)  # _IOR('V', 0, struct v4l2_subdev_capability)
MEDIA_IOC_DEVICE_INFO = _ioc(3, "|", 0, 256)  # _IOWR('|', 0, struct media_device_info)
VIDIOC_ENUM_FMT = _ioc(3, "V", 2, 64)  # struct v4l2_fmtdesc
VIDIOC_G_FMT = _ioc(3, "V", 4, 208)  # struct v4l2_format (64-bit: the union is 8-aligned)
VIDIOC_G_PARM = _ioc(3, "V", 21, 204)  # struct v4l2_streamparm
VIDIOC_ENUM_FRAMESIZES = _ioc(3, "V", 74, 44)  # struct v4l2_frmsizeenum
VIDIOC_ENUM_FRAMEINTERVALS = _ioc(3, "V", 75, 52)  # struct v4l2_frmivalenum
VIDIOC_REQBUFS = _ioc(3, "V", 8, 20)  # struct v4l2_requestbuffers
VIDIOC_QUERYBUF = _ioc(3, "V", 9, 88)  # struct v4l2_buffer (64-bit: timeval is 16 bytes)
VIDIOC_QBUF = _ioc(3, "V", 15, 88)
VIDIOC_DQBUF = _ioc(3, "V", 17, 88)
VIDIOC_STREAMON = _ioc(1, "V", 18, 4)  # _IOW('V', 18, int)
VIDIOC_STREAMOFF = _ioc(1, "V", 19, 4)
_CAPTURE, _MMAP = 1, 1  # V4L2_BUF_TYPE_VIDEO_CAPTURE, V4L2_MEMORY_MMAP
# struct v4l2_buffer's size and the offsets of memory, m.offset and length in it
# (index and type are its first two u32s)
BUFFER_SIZE, BUFFER_MEMORY, BUFFER_M, BUFFER_LENGTH = 88, 60, 64, 72


def _cstr(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


def _udev(major: int, minor: int) -> dict[str, str]:
    props: dict[str, str] = {}
    try:
        with open(f"/run/udev/data/c{major}:{minor}", encoding="utf-8",
                  errors="replace") as f:
            for line in f:
                if line.startswith("E:"):
                    key, _, value = line[2:].rstrip("\n").partition("=")
                    props[key] = value
    except OSError:
        pass
    return props


def _query(path: str, request: int, size: int) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        return fcntl.ioctl(fd, request, bytes(size))
    except OSError:
        return None
    finally:
        os.close(fd)


def node(sys_dir: str, name: str) -> dict[str, object]:
    """One node: its /dev path, numbers, udev properties and what its ioctl says."""
    with open(os.path.join(sys_dir, name, "dev"), encoding="ascii") as f:
        major, minor = (int(x) for x in f.read().split(":"))
    dev = "/dev/" + (name.replace(".", "/", 1).replace("dvb", "dvb/adapter", 1)
                     if sys_dir.endswith("/dvb") else name)
    out: dict[str, object] = {"path": dev, "major": major, "minor": minor,
                              "udev": _udev(major, minor)}
    if name.startswith(("video", "vbi", "radio", "swradio", "v4l-touch")):
        raw = _query(dev, VIDIOC_QUERYCAP, 104)
        if raw is not None:
            caps, device_caps = struct.unpack_from("=II", raw, 84)
            out.update(driver=_cstr(raw[0:16]), card=_cstr(raw[16:48]),
                       bus_info=_cstr(raw[48:80]), capabilities=caps,
                       device_caps=device_caps)
    elif name.startswith("v4l-subdev"):
        raw = _query(dev, VIDIOC_SUBDEV_QUERYCAP, 64)
        if raw is not None:
            out["subdev_caps"] = struct.unpack_from("=I", raw, 4)[0]
    elif name.startswith("media"):
        raw = _query(dev, MEDIA_IOC_DEVICE_INFO, 256)
        if raw is not None:
            out.update(driver=_cstr(raw[0:16]), model=_cstr(raw[16:48]),
                       bus_info=_cstr(raw[88:120]))
    return out


def floor_list() -> list[dict[str, object]]:
    nodes = []
    for sys_dir in ("/sys/class/video4linux", "/sys/class/dvb", "/sys/bus/media/devices"):
        try:
            names = sorted(os.listdir(sys_dir))
        except OSError:
            continue
        nodes.extend(node(sys_dir, name) for name in names)
    return nodes


def _until_einval(fd: int, request: int, head: bytes, size: int) -> list[bytes]:
    """Every answer of an enumeration ioctl, index 0, 1, ... until EINVAL (the
    argument is the u32 index followed by *head*, zero-padded to *size*)."""
    out = []
    index = 0
    while True:
        arg = struct.pack("=I", index) + head
        try:
            out.append(fcntl.ioctl(fd, request, arg + bytes(size - len(arg))))
        except OSError:
            return out
        index += 1


def floor_info(path: str) -> dict[str, object]:
    """What ``mediatui info`` reads of a video node, as raw numbers."""
    fd = os.open(path, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        cap = fcntl.ioctl(fd, VIDIOC_QUERYCAP, bytes(104))
        caps, device_caps = struct.unpack_from("=II", cap, 84)
        have = device_caps or caps
        buf_type = next((t for bit, t in ((0x1000, 9), (0x1, 1), (0x2000, 10), (0x2, 2))
                         if have & bit), 1)
        fmt = fcntl.ioctl(fd, VIDIOC_G_FMT, struct.pack("=I", buf_type) + bytes(204))
        width, height, current = struct.unpack_from("=III", fmt, 8)
        parm = fcntl.ioctl(fd, VIDIOC_G_PARM, struct.pack("=I", buf_type) + bytes(200))
        formats = []
        for desc in _until_einval(fd, VIDIOC_ENUM_FMT, struct.pack("=I", buf_type), 64):
            flags, = struct.unpack_from("=I", desc, 8)
            pixfmt, = struct.unpack_from("=I", desc, 44)
            sizes = [struct.unpack_from("=IIIIII", s, 8) for s in _until_einval(
                fd, VIDIOC_ENUM_FRAMESIZES, struct.pack("=I", pixfmt), 44)]
            intervals = [struct.unpack_from("=IIIIII", s, 16) for s in _until_einval(
                fd, VIDIOC_ENUM_FRAMEINTERVALS, struct.pack("=III", pixfmt, width, height),
                52)]
            formats.append({"pixelformat": pixfmt, "flags": flags,
                            "description": _cstr(desc[12:44]), "sizes": sizes,
                            "intervals": intervals})
        return {"driver": _cstr(cap[0:16]), "card": _cstr(cap[16:48]),
                "bus_info": _cstr(cap[48:80]), "capabilities": caps,
                "device_caps": device_caps, "buf_type": buf_type,
                "format": [width, height, current],
                "timeperframe": struct.unpack_from("=II", parm, 12), "formats": formats}
    finally:
        os.close(fd)


def _buffer(index: int) -> bytearray:
    """A struct v4l2_buffer for a single-planar MMAP capture buffer."""
    buf = bytearray(BUFFER_SIZE)
    struct.pack_into("=II", buf, 0, index, _CAPTURE)
    struct.pack_into("=I", buf, BUFFER_MEMORY, _MMAP)
    return buf


def floor_stream(path: str, buffers: int, count: int) -> int:
    """Stream *count* frames from a single-planar capture node with *buffers* MMAP
    buffers: the loop is poll, DQBUF, QBUF of the same buffer and nothing else.
    Returns the frames dequeued."""
    fd = os.open(path, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
    maps: list[mmap.mmap] = []
    try:
        req = bytearray(struct.pack("=IIII", buffers, _CAPTURE, _MMAP, 0) + bytes(4))
        fcntl.ioctl(fd, VIDIOC_REQBUFS, req, True)
        for index in range(struct.unpack_from("=I", req)[0]):
            buf = _buffer(index)
            fcntl.ioctl(fd, VIDIOC_QUERYBUF, buf, True)
            offset, = struct.unpack_from("=I", buf, BUFFER_M)
            length, = struct.unpack_from("=I", buf, BUFFER_LENGTH)
            maps.append(mmap.mmap(fd, length, mmap.MAP_SHARED,
                                  mmap.PROT_READ | mmap.PROT_WRITE, offset=offset))
            fcntl.ioctl(fd, VIDIOC_QBUF, buf, True)
        fcntl.ioctl(fd, VIDIOC_STREAMON, struct.pack("=i", _CAPTURE))
        poll = select.poll()
        poll.register(fd, select.POLLIN)
        buf = _buffer(0)
        frames = 0
        while frames < count:
            poll.poll()
            try:
                fcntl.ioctl(fd, VIDIOC_DQBUF, buf, True)
            except BlockingIOError:
                continue
            frames += 1
            fcntl.ioctl(fd, VIDIOC_QBUF, buf, True)
        fcntl.ioctl(fd, VIDIOC_STREAMOFF, struct.pack("=i", _CAPTURE))
        return frames
    finally:
        for m in maps:
            m.close()
        try:
            fcntl.ioctl(fd, VIDIOC_REQBUFS, struct.pack("=IIII", 0, _CAPTURE, _MMAP, 0)
                        + bytes(4))
        except OSError:  # best effort (EBUSY while streaming): the close frees them too
            pass
        finally:
            os.close(fd)


def compare(reps: int, node: str | None) -> int:
    """``python3 -c pass``, this floor and the mediatui command, alternated (a first
    round warms the page cache and is dropped), timed and tabled as
    ``benchmarks/run.py`` does: each against the bare interpreter (mediatui's row with
    run.py's goal), and mediatui against the floor."""
    # run.py's measuring loads only here: the floor itself imports none of it.
    from run import MEDIATUI, PY, Row, run_process, table

    ours = ["list", "--json"] if node is None else ["info", node]
    floor = ["list"] if node is None else ["info", node]
    goal = 2.0 if node is None else 1.8
    cases = {"pass": [PY, "-c", "pass"], "floor": [PY, os.path.abspath(__file__), *floor],
             "ours": [*MEDIATUI, *ours]}
    times: dict[str, list[float]] = {k: [] for k in cases}
    for n in range(reps + 1):
        for key, argv in cases.items():
            wall = run_process(argv).wall_s
            if n:
                times[key].append(wall)
    what_floor = "floor.py " + " ".join(floor) + " wall"
    what_ours = "mediatui " + " ".join(ours) + " wall"
    print(table([
        Row(what_floor, "s", times["floor"], times["pass"], "python3 -c pass"),
        Row(what_ours, "s", times["ours"], times["pass"], "python3 -c pass", goal),
        Row(what_ours, "s", times["ours"], times["floor"], "the floor"),
    ], f"=== the Python floor of mediatui {ours[0]}"))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("list", "info", "stream"))
    parser.add_argument("node", nargs="?", help="info, stream: the video node")
    parser.add_argument("--buffers", type=int, default=4, help="stream: MMAP buffers")
    parser.add_argument("--count", type=int, default=300, help="stream: frames")
    parser.add_argument("--compare", action="store_true",
                        help="time it beside python3 -c pass and the mediatui command")
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    if args.reps < 1:
        parser.error("--reps: at least 1")
    if args.what != "list" and not args.node:
        parser.error(f"{args.what} needs a NODE")
    if args.what == "stream":
        if args.compare:
            parser.error("--compare: stream's is benchmarks/run.py --vm (steady CPU)")
        try:
            frames = floor_stream(args.node, args.buffers, args.count)
        except OSError as exc:
            print(f"floor.py stream {args.node}: {exc.strerror} (errno {exc.errno})",
                  file=sys.stderr)
            return 1
        print(json.dumps({"frames": frames}))
        return 0
    node = args.node if args.what == "info" else None
    if args.compare:
        return compare(args.reps, node)
    doc = floor_list() if node is None else floor_info(node)
    json.dump(doc, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
