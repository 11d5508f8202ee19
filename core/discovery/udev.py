"""Hotplug through libudev (pyudev), and how we tell whether udevd runs.

With udevd, libudev's "udev" monitor delivers events after udevd's rules ran (nodes
have their final owner and mode, ID_PATH and links).  Without udevd it stays silent
forever, so the watcher must use the "kernel" source instead.  Listing does not use
libudev: :mod:`core.discovery.udevdb` reads the database file libudev would read.
"""

from __future__ import annotations

import contextlib
import os
import socket
import stat
from collections.abc import Iterator
from typing import TYPE_CHECKING

from core.discovery import netlink
from core.discovery.model import NO_LIBUDEV_ENV, SUBSYSTEMS

if TYPE_CHECKING:
    import pyudev

_UDEVD_NAMES = frozenset({"systemd-udevd", "udevd", "(udev-worker)"})


class LibudevUnavailable(Exception):
    """pyudev cannot be used here; the message says why, in a few words."""


def load_context() -> pyudev.Context:
    """A pyudev Context, or :class:`LibudevUnavailable` (pyudev missing, libudev.so
    not found or unloadable, or the fallback forced with MEDIATUI_NO_LIBUDEV=1)."""
    if os.environ.get(NO_LIBUDEV_ENV, "") not in ("", "0"):
        raise LibudevUnavailable(f"disabled by {NO_LIBUDEV_ENV}")
    try:
        import pyudev
    except ImportError as exc:
        raise LibudevUnavailable(f"pyudev not installed: {exc}") from None
    try:
        with _libudev_by_soname():
            return pyudev.Context()
    except (ImportError, OSError, AttributeError) as exc:
        # ImportError: find_library("udev") found nothing; OSError: dlopen failed;
        # AttributeError: a libudev too old for pyudev's signatures.
        raise LibudevUnavailable(str(exc) or type(exc).__name__) from None


LIBUDEV_SONAME = "libudev.so.1"  # the soname since systemd 183 (2012); libudev.so.0 before


@contextlib.contextmanager
def _libudev_by_soname() -> Iterator[None]:
    """Let pyudev load libudev by its soname instead of ``ctypes.util.find_library``.

    ``find_library`` runs ``/sbin/ldconfig -p`` as a subprocess (and gcc/ld when that
    fails): 0.4-0.7 s of every start under emulation. dlopen of the soname finds the
    same library through the loader's own cache. When the soname does not load, the
    original lookup runs unchanged (an unusual install, or no libudev at all).
    """
    from ctypes import CDLL

    from pyudev._ctypeslib import utils

    original = utils.find_library
    try:
        CDLL(LIBUDEV_SONAME)
    except OSError:
        yield
        return

    def by_soname(name: str) -> str | None:
        return LIBUDEV_SONAME if name == "udev" else original(name)

    utils.find_library = by_soname
    try:
        yield
    finally:
        utils.find_library = original


def udevd_running(run_dir: str = "/run/udev", proc: str = "/proc") -> bool:
    """Whether udevd processes events right now, without asking systemd, by finding
    its process (the kernel tier waits on it after ``udevadm control --exit``).
    Discovery and the watcher ask :func:`core.discovery.udevdb.udevd_control`, one read
    of the kernel's socket table instead of a scan of /proc.

    libudev's own test is that ``/run/udev/control`` exists; a udevd killed hard leaves
    that socket behind, and trusting it would leave a "udev" monitor silent.  So the
    socket must exist and, when /proc lets us see other users' processes, a udevd
    process too.  Connecting to the socket would tell as well, but udevd logs every
    connection that sends no command.
    """
    try:
        if not stat.S_ISSOCK(os.stat(os.path.join(run_dir, "control")).st_mode):
            return False
    except OSError:
        return False
    seen = _udevd_process(proc)
    return seen is not False


def _udevd_process(proc: str) -> bool | None:
    """True/False when a udevd process was/was not found; None when /proc hides other
    users' processes (hidepid) and we cannot tell."""
    try:
        entries = os.listdir(proc)
    except OSError:
        return None
    if not os.access(os.path.join(proc, "1", "comm"), os.R_OK):
        return None
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(os.path.join(proc, entry, "comm")) as f:
                if f.read().strip() in _UDEVD_NAMES:
                    return True
        except OSError:  # the process ended while we looked
            continue
    return False


class UdevMonitor:
    """pyudev's netlink monitor on the media subsystems plus the buses whose bind and
    unbind events explain why nodes come and go.

    ``source`` is "udev" (events after udevd's rules) or "kernel" (raw kernel events,
    the only ones there are without udevd).  pyudev creates the socket, joins the
    group and installs libudev's in-kernel subsystem filter; the messages are read
    from its ``fileno()`` and parsed by :mod:`core.discovery.netlink`, with libudev's
    sender checks.  Receiving through pyudev costs a dozen ctypes calls a message
    (device object, property list), which under emulation held a 33-node burst up
    for most of a second.
    """

    BUSES = ("platform", "usb", "pci")

    def __init__(self, context: pyudev.Context, source: str) -> None:
        import pyudev

        self.source = source
        self._monitor: pyudev.Monitor | None = pyudev.Monitor.from_netlink(context, source=source)
        for subsystem in (*SUBSYSTEMS, *self.BUSES):
            self._monitor.filter_by(subsystem)
        self._monitor.start()
        # A second fd on the same socket (libudev keeps its own and closes it in
        # udev_monitor_unref); udevd's messages need SCM_CREDENTIALS to be checked.
        self._sock = socket.socket(fileno=os.dup(self._monitor.fileno()))
        self._sock.setblocking(False)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)

    def fileno(self) -> int:
        return self._sock.fileno()

    def receive(self, limit: int | None = None) -> tuple[list[dict[str, str]], bool]:
        """Queued events (all, or at most ``limit``) as property dicts (ACTION, SEQNUM
        and DEVNAME included), and whether the socket overflowed (ENOBUFS: events were
        lost)."""
        return netlink.receive_messages(
            self._sock, kernel=self.source == "kernel", udev=self.source == "udev", limit=limit
        )

    def close(self) -> None:
        """Close our fd, then let libudev close its own (udev_monitor_unref)."""
        self._sock.close()
        self._monitor = None
