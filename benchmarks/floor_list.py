"""The Python floor of ``mediatui list --json``: the least a Python program can do to
list the same nodes, and nothing else.

It imports only what any such program needs (argparse for its command line, json for
its output, os/fcntl/struct for the syscalls), walks the same sysfs classes, reads
each node's udev database file (``/run/udev/data/c<major>:<minor>``, what libudev
reads), opens each video, subdev and media node and asks it what it is (VIDIOC_QUERYCAP,
VIDIOC_SUBDEV_QUERYCAP, MEDIA_IOC_DEVICE_INFO), and prints one compact JSON list.
No grouping, no error explanations, no schema: what mediatui does beyond this is its
own cost. Timed side by side with ``python3 -c pass`` and ``mediatui list --json``:

    .venv/bin/python benchmarks/floor_list.py --compare [--reps 7]

The ioctl numbers come from the uapi struct sizes (``_IOR``/``_IOWR`` of 104, 64 and
256 bytes); ``tests/unit/test_benchmarks_smoke.py`` holds them equal to core.abi's,
which ``tests/unit/test_abi.py`` checks against the kernel headers.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import struct
import sys


def _ioc(direction: int, kind: str, nr: int, size: int) -> int:
    """asm-generic/ioctl.h: dir << 30 | size << 16 | type << 8 | nr (x86, arm, riscv)."""
    return direction << 30 | size << 16 | ord(kind) << 8 | nr


VIDIOC_QUERYCAP = _ioc(2, "V", 0, 104)  # _IOR('V', 0, struct v4l2_capability)
VIDIOC_SUBDEV_QUERYCAP = _ioc(2, "V", 0, 64)  # _IOR('V', 0, struct v4l2_subdev_capability)
MEDIA_IOC_DEVICE_INFO = _ioc(3, "|", 0, 256)  # _IOWR('|', 0, struct media_device_info)


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


def compare(reps: int) -> int:
    """``python3 -c pass``, this floor and ``mediatui list --json``, alternated."""
    import statistics
    import subprocess
    import time

    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cases = {
        "python3 -c pass": [sys.executable, "-c", "pass"],
        "floor_list.py": [sys.executable, os.path.abspath(__file__)],
        "mediatui list --json": [sys.executable, "-m", "mediatui", "list", "--json"],
    }
    times: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(reps + 1):  # the first round warms the page cache and is dropped
        for what, argv in cases.items():
            t0 = time.monotonic()
            subprocess.run(argv, cwd=repo, stdout=subprocess.DEVNULL, check=True)
            times[what].append(time.monotonic() - t0)
    base = statistics.median(times["python3 -c pass"][1:])
    print(f"{'what':<24} {'min s':>8} {'median s':>9} {'/ python3 -c pass':>18}")
    for what, xs in times.items():
        xs = xs[1:]
        print(f"{what:<24} {min(xs):8.3f} {statistics.median(xs):9.3f} "
              f"{statistics.median(xs) / base:17.2f}x")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", action="store_true",
                        help="time it beside python3 -c pass and mediatui list --json")
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    if args.compare:
        return compare(args.reps)
    json.dump(floor_list(), sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
