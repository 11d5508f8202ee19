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
from core.virtual.mc_graphs import media_node, vidtv_graph, vim2m_graph, vivid_graph
from core.virtual.media import MediaGraph, MediaNode
from core.virtual.node import Node
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
    cam_nodes: list[Node] = [VividCapture("/dev/video0", camera),
                             VividOutput("/dev/video1", camera)]
    for node in cam_nodes:
        backend.add(node, "vivid.0")
    scaler = Vim2mNode("/dev/video2")
    backend.add(scaler, "vim2m.0")
    adapter = DvbAdapter(0, TransportStream())
    backend.add(media_node("/dev/media0", "vivid", camera.bus_info, vivid_graph(cam_nodes),
                           cam_nodes), "vivid.0")
    backend.add(media_node("/dev/media1", "vim2m", "platform:vim2m", vim2m_graph(scaler),
                           [scaler]), "vim2m.0")
    backend.add(_vidtv_media("/dev/media2", adapter), "vidtv.0")
    _, vimc = build_vimc("/dev/media3", VIMC_CAPTURES_DEMO, VIMC_SUBDEVS)
    for node in vimc:
        backend.add(node, "vimc.0")
    for node in adapter.nodes():
        backend.add(node, "vidtv.0")
    backend.add(DmaHeapNode("/dev/dma_heap/system"))
    backend.add(UdmabufNode("/dev/udmabuf"))
    add_demo_client_camera(backend)
    return backend


def scenario_board(clock: Clock | None = None) -> tuple[VirtualBackend, Roles]:
    """The kernel tier's devices, numbered as on the test kernel (vivid after vim2m)."""
    backend = VirtualBackend(clock=clock, source="virtual (scenarios)")
    scaler = Vim2mNode("/dev/video3")
    backend.add(scaler, "vim2m.0")
    # vimc probes after vim2m: video4-6, v4l-subdev0-7, media3 (shared/kernel/README.md).
    _, vimc = build_vimc("/dev/media3", VIMC_CAPTURES, VIMC_SUBDEVS)
    for node in vimc:
        backend.add(node, "vimc.0")
    instances = (VividInstance(0), VividInstance(1, multiplanar=True),
                 VividInstance(2, allocator="dma-contig"))
    vivid_nodes: list[list[Node]] = []
    # vivid registers every instance on its one platform device, vivid.0.
    for instance, first in zip(instances, (7, 11, 15), strict=True):
        pair: list[Node] = [VividCapture(f"/dev/video{first}", instance),
                            VividOutput(f"/dev/video{first + 1}", instance)]
        for node in pair:
            backend.add(node, "vivid.0")
        vivid_nodes.append(pair)
    adapter = DvbAdapter(0, TransportStream())
    backend.add(_vidtv_media("/dev/media0", adapter), "vidtv.0")
    backend.add(media_node("/dev/media2", "vim2m", "platform:vim2m", vim2m_graph(scaler),
                           [scaler]), "vim2m.0")
    for n, (instance, pair) in enumerate(zip(instances, vivid_nodes, strict=True)):
        backend.add(media_node(f"/dev/media{4 + n}", "vivid", instance.bus_info,
                               vivid_graph(pair), pair), "vivid.0")
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


def _vidtv_media(path: str, adapter: DvbAdapter) -> MediaNode:
    """vidtv's media node over the adapter's frontend, demux and dvr."""
    graph = vidtv_graph(adapter.frontend, adapter.demux, adapter.dvr, adapter.frontend_name)
    return media_node(path, "vidtv", "platform:vidtv", graph, adapter.nodes())


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
    format descriptions, media model/serial, the first entity names of the vivid, vim2m
    and vidtv graphs, the DVB frontend name and udev's ID_*
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
            if type(node.graph) is MediaGraph:  # vimc's names are its API: kept
                # A rotation of its own, so the other strings land where they did.
                for i, entity in enumerate(node.graph.entities[:3]):
                    entity.name = values[(shift + i) % len(values)]
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
