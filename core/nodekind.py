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
import time

from core.record import record


@record
class NodeKind:
    """What a path is, from stat() and the kernel's device registry (/proc/devices, sysfs).

    ``media_class`` is set only for the nodes mediatui opens: ``video4linux``, ``dvb``,
    ``media``, ``dma_heap`` or ``udmabuf`` (the misc device's minor).
    """

    path: str
    file_type: str  # "character device", "directory", "regular file", "FIFO", …
    major: int | None = None
    minor: int | None = None
    driver: str | None = None  # the major's name(s) in /proc/devices ("mem", "misc", "DVB")
    device: str | None = None  # the sysfs class/name of the device ("mem/null")
    media_class: str | None = None

    @property
    def is_media(self) -> bool:
        return self.media_class is not None

    def describe(self) -> str:
        """One phrase naming what the path is, for an error message."""
        if self.file_type != "character device":
            return f"a {self.file_type}"
        number = f"{self.major}:{self.minor}"
        parts = [f"driver '{self.driver}'" if self.driver else "no registered driver"]
        if self.device:
            parts.append(f"sysfs {self.device}")
        return f"a character device ({number}) of another kind: {', '.join(parts)}"



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


# /proc/devices as last read, per path: (monotonic time, majors). A list or a hotplug
# burst classifies dozens of nodes within a second; reading and parsing the file for
# each was 9 ms per node in the test VM. Entries live MAJORS_TTL_S, and a major not in
# the cache re-reads at once (a driver registered since), so a new registration is never
# missed and a reused dynamic major is trusted for at most that long.
MAJORS_TTL_S = 2.0
_majors_cache: dict[str, tuple[float, dict[int, tuple[str, ...]]]] = {}


def _names_of(major: int, proc_devices: str) -> tuple[str, ...]:
    """The /proc/devices names of ``major`` (see :data:`MAJORS_TTL_S`)."""
    now = time.monotonic()
    cached = _majors_cache.get(proc_devices)
    if cached is None or now - cached[0] > MAJORS_TTL_S or major not in cached[1]:
        cached = _majors_cache[proc_devices] = (now, char_majors(proc_devices))
    return cached[1].get(major, ())


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
    names = _names_of(major, proc_devices)
    media_class = next((MEDIA_MAJORS[n] for n in names if n in MEDIA_MAJORS), None)
    # The sysfs name tells misc minors apart, and names a refused node in its error;
    # a media major needs no more (and skipping it saves the path walk per node).
    device = sysfs_device(major, minor, sys_dev_char) if media_class is None else None
    if media_class is None and "misc" in names and device is not None:
        media_class = MISC_MEDIA.get(device.rpartition("/")[2])
    driver = ", ".join(names) or None
    return NodeKind(path, "character device", major, minor, driver, device, media_class)


__all__ = ["MEDIA_MAJORS", "NodeKind", "char_majors", "classify", "sysfs_device"]
