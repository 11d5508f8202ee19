"""What a path is, before anything opens it: only media nodes are ever opened.

``open()`` has side effects on some character devices (a watchdog arms, a serial port
raises DTR, a tape rewinds), so the chokepoint stat()s a path first and opens it only
when it is a character device of one of the kernel's media registrations:

* the majors named ``video4linux`` (drivers/media/v4l2-core/v4l2-dev.c), ``DVB``
  (dvb-core/dvbdev.c), ``media`` (mc/mc-devnode.c) and ``dma_heap``
  (drivers/dma-buf/dma-heap.c) in ``/proc/devices``;
* the ``udmabuf`` minor of the ``misc`` major (drivers/dma-buf/udmabuf.c), found
  through sysfs (``/sys/dev/char/MAJ:MIN``), since misc minors are dynamic.

Dynamic majors are read from the running kernel, never typed in.
"""

from __future__ import annotations

import os
import stat

from core.facts import NodeKind

PROC_DEVICES = "/proc/devices"
SYS_DEV_CHAR = "/sys/dev/char"

# /proc/devices name -> the media class mediatui opens.
MEDIA_MAJORS = {"video4linux": "video4linux", "DVB": "dvb", "media": "media",
                "dma_heap": "dma_heap"}
MISC_MEDIA = {"udmabuf": "udmabuf"}  # misc device name -> media class

_FILE_TYPES = (
    (stat.S_ISDIR, "directory"),
    (stat.S_ISREG, "regular file"),
    (stat.S_ISFIFO, "FIFO"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISLNK, "symbolic link"),
)


def char_majors(proc_devices: str = PROC_DEVICES) -> dict[int, tuple[str, ...]]:
    """The "Character devices:" section of ``/proc/devices``: major -> its names (one
    major can hold several registrations: 5 is /dev/tty, /dev/console and /dev/ptmx)."""
    majors: dict[int, tuple[str, ...]] = {}
    try:
        with open(proc_devices, encoding="ascii", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return majors
    in_char = False
    for line in lines:
        if line.startswith("Character devices"):
            in_char = True
        elif line.startswith("Block devices") or not line.strip():
            in_char = False
        elif in_char:
            number, _, name = line.strip().partition(" ")
            if number.isdigit():
                majors[int(number)] = (*majors.get(int(number), ()), name.strip())
    return majors


def sysfs_device(major: int, minor: int, sys_dev_char: str = SYS_DEV_CHAR) -> str | None:
    """``class/name`` of the device registered at MAJ:MIN ("misc/udmabuf", "mem/null"),
    from the ``/sys/dev/char/MAJ:MIN`` link; None when no device has that number."""
    link = os.path.join(sys_dev_char, f"{major}:{minor}")
    try:
        target = os.path.realpath(link, strict=True)
    except OSError:
        return None
    name = os.path.basename(target)
    try:
        subsystem = os.path.basename(os.readlink(os.path.join(target, "subsystem")))
    except OSError:
        subsystem = os.path.basename(os.path.dirname(target))
    return f"{subsystem}/{name}"


def classify(
    path: str,
    st: os.stat_result | None = None,
    *,
    proc_devices: str = PROC_DEVICES,
    sys_dev_char: str = SYS_DEV_CHAR,
) -> NodeKind:
    """Say what ``path`` is, from ``st`` (its stat result) or a stat() of it.

    Raises ``OSError`` from stat() (ENOENT, ENOTDIR, ELOOP, ENAMETOOLONG, EACCES on a
    directory of the path): errors about the path, which open() would give too.
    """
    if st is None:
        st = os.stat(path)
    if not stat.S_ISCHR(st.st_mode):
        file_type = next((name for test, name in _FILE_TYPES if test(st.st_mode)), "file")
        return NodeKind(path, file_type)
    major, minor = os.major(st.st_rdev), os.minor(st.st_rdev)
    names = char_majors(proc_devices).get(major, ())
    device = sysfs_device(major, minor, sys_dev_char)
    media_class = next((MEDIA_MAJORS[n] for n in names if n in MEDIA_MAJORS), None)
    if media_class is None and "misc" in names and device is not None:
        media_class = MISC_MEDIA.get(device.rpartition("/")[2])
    driver = ", ".join(names) or None
    return NodeKind(path, "character device", major, minor, driver, device, media_class)


__all__ = ["MEDIA_MAJORS", "char_majors", "classify", "sysfs_device"]
