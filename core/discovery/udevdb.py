"""udevd's own record of a device: the properties its rules added and the links it made.

For every device it processed, udevd writes ``/run/udev/data/<id>`` (a character device's
id is ``c<major>:<minor>``): ``E:KEY=VALUE`` lines for the properties its rules and
builtins added (ID_PATH, ID_V4L_*, ...; the kernel's own are in sysfs' ``uevent``),
``S:`` lines for the symlinks it created, relative to /dev (``v4l/by-path/...``), and
bookkeeping lines (``I:``, ``G:``, ``Q:``, ``V:``, ``L:``, ``W:``) we do not need.
libudev answers ``udev_device_get_property_value`` from this same file, so reading it
gives what pyudev's enumeration gave, without pyudev's import, libudev's path chasing
through sysfs (thousands of ``openat``/``stat`` calls for a few dozen nodes) and a
ctypes call per property.

Source: systemd ``src/libsystemd/sd-device/device-private.c`` (``device_update_db``,
which writes the file) and ``sd-device.c`` (``device_read_db_internal``, which reads it);
eudev's ``libudev-device.c`` uses the same format.
"""

from __future__ import annotations

import os
import stat

UDEV_ROOT = "/run/udev"


def read_db(major: int, minor: int, dev_root: str = "/dev", udev_root: str = UDEV_ROOT,
            ) -> dict[str, str] | None:
    """udevd's properties of character device ``major:minor``, with ``DEVLINKS`` (the
    ``S:`` links as absolute paths under ``dev_root``, space-separated, as libudev
    builds it) when udevd made links.  None when udevd has no record of the device
    (no udevd, or it has not processed the device yet)."""
    path = f"{udev_root}/data/c{major}:{minor}"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        text = read_all(fd).decode("utf-8", "replace")
    except OSError:
        return None
    finally:
        os.close(fd)
    return parse_db(text, dev_root)


def read_all(fd: int) -> bytes:
    """Everything left in a file, in 16 KiB reads until end of file.

    A database file is a few hundred bytes: one read of 1 MiB made Python allocate
    (mmap), shrink (mremap) and free (munmap) a megabyte per node; these reads stay in
    the heap.  Raises ``OSError`` from read(2)."""
    chunks = []
    while chunk := os.read(fd, 1 << 14):
        chunks.append(chunk)
    return b"".join(chunks)


def parse_db(text: str, dev_root: str = "/dev") -> dict[str, str]:
    """The ``E:`` properties and ``S:`` links (as ``DEVLINKS``) of one database file."""
    props: dict[str, str] = {}
    links: list[str] = []
    for line in text.splitlines():
        tag, value = line[:2], line[2:]
        if tag == "E:":
            key, sep, val = value.partition("=")
            if sep and key:
                props[key] = val
        elif tag == "S:" and value:
            links.append(f"{dev_root}/{value}")
    if links:
        props["DEVLINKS"] = " ".join(links)
    return props


def udevd_control(udev_root: str = UDEV_ROOT, proc_net_unix: str = "/proc/net/unix") -> bool:
    """Whether udevd listens on its control socket (``<udev_root>/control``).

    The socket file alone is libudev's test, but it outlives a udevd that was told to
    exit (``udevadm control --exit`` leaves it, as the kernel tier shows) or killed.  The
    kernel's table of Unix sockets (``/proc/net/unix``, one read) says whether a socket
    bound to that path is still listening (flag ``__SO_ACCEPTCON``, 0x10000), without
    scanning every process (:func:`core.discovery.udev.udevd_running`) or connecting
    (udevd logs every connection that sends no command).  Where that table cannot be
    read, the socket file decides.  A socket-activated udevd's socket is held by
    systemd while udevd is stopped; it counts as running, as a udev event would start it.
    """
    path = f"{udev_root}/control"
    try:
        if not stat.S_ISSOCK(os.stat(path).st_mode):
            return False
    except OSError:
        return False
    try:
        fd = os.open(proc_net_unix, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return True
    try:
        table = read_all(fd)
    except OSError:
        return True
    finally:
        os.close(fd)
    for line in table.decode("utf-8", "replace").splitlines()[1:]:
        fields = line.split(None, 7)
        # Num RefCount Protocol Flags Type St Inode Path
        if len(fields) == 8 and fields[7] == path:
            try:
                if int(fields[3], 16) & _SO_ACCEPTCON:
                    return True
            except ValueError:
                continue
    return False


_SO_ACCEPTCON = 0x10000  # include/linux/net.h: __SO_ACCEPTCON, "performed a listen"


def has_db(udev_root: str = UDEV_ROOT) -> bool:
    """Whether udevd's database directory exists (it may be empty)."""
    return os.path.isdir(f"{udev_root}/data")
