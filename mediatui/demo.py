"""``--demo``: a small embedded board made of virtual devices, served through core's
ioctl chokepoint, so the TUI and every verb run unchanged without hardware, root, udev
or a kernel with media drivers.

The board (:func:`core.virtual.demo_board`): a multi-planar camera with a display
output (vivid-000), a mem2mem scaler (vim2m), a vimc-like media-controller pipeline
(sensors, debayers, a scaler, three capture nodes, /dev/media3, /dev/v4l-subdev0-7), a
DVB-T adapter (vidtv), the system dma-heap and udmabuf.  Frames are paced in real time.
"""

from __future__ import annotations

import atexit

from core.virtual import RealClock, VirtualBackend, demo_board
from core.virtual.client import SimulatedClient, start_demo_client

_installed: VirtualBackend | None = None
_client: SimulatedClient | None = None


def install_demo() -> VirtualBackend:
    """Install the demo board (once per process) and return its backend.

    The backend is shut down at exit, so its clock thread and fds never outlive the
    program even when the UI exits without closing every device.
    """
    global _installed, _client
    if _installed is None:
        backend = demo_board(RealClock())
        backend.install()
        atexit.register(backend.shutdown)
        # Another process holding the second camera (who, dmabufs, the Holders view).
        _client = start_demo_client(backend)
        atexit.register(_client.stop)
        _installed = backend
    return _installed


def uninstall_demo() -> None:
    """Remove the demo board (tests)."""
    global _installed, _client
    if _client is not None:
        _client.stop()
        _client = None
    if _installed is not None:
        _installed.shutdown()
        _installed = None


__all__ = ["demo_client", "install_demo", "uninstall_demo"]


_clients: dict[str, object] = {}


def demo_client(path: str) -> None:
    """Start the simulated other process streaming ``path`` (a demo capture node), so
    ``mediatui --demo attach`` has a stream to observe; stopped at exit."""
    from core.virtual.app import SimulatedApp

    backend = install_demo()
    if _client is not None and path == _client.path:
        return  # the holders' client already streams it (and names itself on the trace bus)
    if path in _clients or not backend.owns_path(path):
        return
    node = backend.node(path)
    if getattr(node, "buf_type", None) not in (1, 9):  # VIDEO_CAPTURE(_MPLANE)
        return
    client = SimulatedApp(backend, path).start()
    _clients[path] = client
    atexit.register(client.stop)
