"""Sets of virtual devices: the demo board and the scenario rig.

* :func:`demo_board`: what ``mediatui --demo`` shows, a small embedded board: a
  multi-planar camera (vivid-000, capture + output), a mem2mem scaler (vim2m), a DVB-T
  adapter (vidtv), the system dma-heap and udmabuf, and a second camera (vivid-001,
  ``/dev/video6``) that a simulated other client holds (:mod:`core.virtual.client`);
* :func:`scenario_board`: the same roles as the kernel tier's VM
  (``tests/kernel/test_scenarios.py``): vivid-000 single-planar vmalloc (capture +
  output), vivid-001 multi-planar, vivid-002 single-planar dma-contig, vim2m, vidtv,
  heap and udmabuf, with node names as vivid/vim2m give them in sysfs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.virtual.backend import VirtualBackend
from core.virtual.clock import Clock
from core.virtual.dvb import DvbAdapter
from core.virtual.heap import DmaHeapNode, UdmabufNode
from core.virtual.m2m import Vim2mNode
from core.virtual.media import MediaNode
from core.virtual.ts import TransportStream
from core.virtual.vimc import build_vimc
from core.virtual.vivid import VividCapture, VividInstance, VividOutput

VIMC_CAPTURES = ("/dev/video4", "/dev/video5", "/dev/video6")
VIMC_CAPTURES_DEMO = ("/dev/video3", "/dev/video4", "/dev/video5")
VIMC_SUBDEVS = tuple(f"/dev/v4l-subdev{n}" for n in range(8))


@dataclass(frozen=True)
class Roles:
    """Which virtual path plays which part (mirrors tests/scenarios.Rig)."""

    capture: str
    capture_mplane: str
    output: str
    m2m: str
    frontend: str
    demux: str
    dvr: str
    heap: str = "system"
    udmabuf: str = "/dev/udmabuf"
    capture_contig: str | None = None
    vimc_media: str | None = None


def demo_board(clock: Clock | None = None) -> VirtualBackend:
    """A camera, a scaler, a display output and a DVB-T tuner, as on a small board."""
    backend = VirtualBackend(clock=clock, source="virtual (demo)")
    camera = VividInstance(0, multiplanar=True)
    backend.add(VividCapture("/dev/video0", camera), "vivid.0")
    backend.add(VividOutput("/dev/video1", camera), "vivid.0")
    backend.add(Vim2mNode("/dev/video2"), "vim2m.0")
    backend.add(MediaNode("/dev/media0", "vivid", "vivid", camera.bus_info), "vivid.0")
    backend.add(MediaNode("/dev/media1", "vim2m", "vim2m", "platform:vim2m"), "vim2m.0")
    backend.add(MediaNode("/dev/media2", "vidtv", "vidtv", "platform:vidtv"), "vidtv.0")
    _, vimc = build_vimc("/dev/media3", VIMC_CAPTURES_DEMO, VIMC_SUBDEVS)
    for node in vimc:
        backend.add(node, "vimc.0")
    adapter = DvbAdapter(0, TransportStream())
    for node in adapter.nodes():
        backend.add(node, "vidtv.0")
    backend.add(DmaHeapNode("/dev/dma_heap/system"))
    backend.add(UdmabufNode("/dev/udmabuf"))
    add_demo_client_camera(backend)
    return backend


def scenario_board(clock: Clock | None = None) -> tuple[VirtualBackend, Roles]:
    """The kernel tier's devices, numbered as on the test kernel (vivid after vim2m)."""
    backend = VirtualBackend(clock=clock, source="virtual (scenarios)")
    backend.add(Vim2mNode("/dev/video3"), "vim2m.0")
    # vimc probes after vim2m: video4-6, v4l-subdev0-7, media3 (shared/kernel/README.md).
    _, vimc = build_vimc("/dev/media3", VIMC_CAPTURES, VIMC_SUBDEVS)
    for node in vimc:
        backend.add(node, "vimc.0")
    plain = VividInstance(0)
    backend.add(VividCapture("/dev/video7", plain), "vivid.0")
    backend.add(VividOutput("/dev/video8", plain), "vivid.0")
    mplane = VividInstance(1, multiplanar=True)
    # vivid registers every instance on its one platform device, vivid.0.
    backend.add(VividCapture("/dev/video11", mplane), "vivid.0")
    backend.add(VividOutput("/dev/video12", mplane), "vivid.0")
    contig = VividInstance(2, allocator="dma-contig")
    backend.add(VividCapture("/dev/video15", contig), "vivid.0")
    backend.add(VividOutput("/dev/video16", contig), "vivid.0")
    backend.add(MediaNode("/dev/media0", "vidtv", "vidtv", "platform:vidtv"), "vidtv.0")
    backend.add(MediaNode("/dev/media2", "vim2m", "vim2m", "platform:vim2m"), "vim2m.0")
    for n, instance in enumerate((plain, mplane, contig)):
        backend.add(MediaNode(f"/dev/media{4 + n}", "vivid", "vivid", instance.bus_info),
                    "vivid.0")
    adapter = DvbAdapter(0, TransportStream())
    for node in adapter.nodes():
        backend.add(node, "vidtv.0")
    backend.add(DmaHeapNode("/dev/dma_heap/system"))
    backend.add(UdmabufNode("/dev/udmabuf"))
    roles = Roles(
        capture="/dev/video7",
        capture_mplane="/dev/video11",
        output="/dev/video8",
        m2m="/dev/video3",
        frontend=adapter.frontend_path,
        demux=adapter.demux_path,
        dvr=adapter.dvr_path,
        capture_contig="/dev/video15",
        vimc_media="/dev/media3",
    )
    return backend, roles


# Text a hostile device (or a careless driver) can report: markup that would crash or
# act, terminal escapes (OSC 0 window title, erase screen), a bidi override, a very long
# value, bytes that are not UTF-8 (as surrogate escapes: the virtual drivers write them
# back as the raw bytes) and an embedded NUL.
HOSTILE_TEXT = (
    "cam [/]",
    "[link=http://x]y[/link]",
    "[@click=app.quit]z[/]",
    "\x1b]0;title\x07",
    "\x1b[2J",
    "\u202e",
    "[b]" + "W" * 4994 + "[/b]",
    "bad \udcff\udcfe utf-8",
    "nul\x00after",
)


def hostile_board(shift: int = 0, values: tuple[str, ...] = HOSTILE_TEXT,
                  clock: Clock | None = None) -> VirtualBackend:
    """The demo board with every string a device, sysfs or udev supplies replaced by
    ``values``, round-robin from ``values[shift]``: card, driver, sysfs name, bus_info,
    format descriptions, media model/serial, the DVB frontend name and udev's ID_*
    properties.  Paths and the sysfs layout stay as they are (those are the kernel's,
    not the device's).  Used by the untrusted-text tests of every screen and verb."""
    backend = demo_board(clock)
    turn = iter(range(shift, 1 << 30))

    def next_value() -> str:
        return values[next(turn) % len(values)]

    adapter_done: set[int] = set()
    for facts in backend.nodes():
        node: Any = backend.node(facts.path)
        if hasattr(node, "card"):
            node.card = next_value()
        if node.subsystem != "dvb":
            node.driver = next_value()
        if node.subsystem in ("video4linux", "media"):
            node.name = next_value()
        if hasattr(node, "_bus_info"):
            node._bus_info = next_value()
        if isinstance(node, MediaNode):
            node.model = next_value()
            node.serial = next_value()
        if hasattr(node, "formats") and node.subsystem == "video4linux":
            node.formats = _hostile_descriptions(node.formats, next_value)
        adapter = getattr(node, "adapter", None)
        if adapter is not None and id(adapter) not in adapter_done:
            adapter_done.add(id(adapter))
            adapter.frontend_name = next_value()
        node.udev_props = {"ID_V4L_PRODUCT": next_value(), "ID_SERIAL": next_value(),
                           "ID_MODEL": next_value(), "ID_PATH": next_value()}
    return backend


def _hostile_descriptions(
    formats: Callable[[int], list[tuple[int, str, int]]], next_value: Callable[[], str]
) -> Callable[[int], list[tuple[int, str, int]]]:
    """ENUM_FMT's table with every description replaced (fixed per format)."""
    names: dict[int, str] = {}

    def hostile(buf_type: int) -> list[tuple[int, str, int]]:
        out = []
        for pixelformat, _description, flags in formats(buf_type):
            if pixelformat not in names:
                names[pixelformat] = next_value()
            out.append((pixelformat, names[pixelformat], flags))
        return out

    return hostile


__all__ = ["HOSTILE_TEXT", "Roles", "demo_board", "hostile_board", "scenario_board"]


DEMO_CLIENT_CAMERA = "/dev/video6"  # after vimc's video3-5


def add_demo_client_camera(backend: VirtualBackend) -> None:
    """A second camera (vivid-001) that the demo's simulated other client holds."""
    backend.add(VividCapture(DEMO_CLIENT_CAMERA, VividInstance(1)), "vivid.0")
