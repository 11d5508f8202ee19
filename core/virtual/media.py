"""A media controller node (``/dev/mediaN``) and the graph behind it.

Every virtual driver that registers a media device (vivid, vim2m, vidtv, vimc) builds a
:class:`MediaGraph` the way its kernel driver registers entities, pads, links and
interfaces, and its :class:`MediaNode` answers MEDIA_IOC_DEVICE_INFO and
MEDIA_IOC_G_TOPOLOGY from it (``drivers/media/mc/mc-device.c``
``media_device_get_topology``).  Drivers that also let links change (vimc's
SETUP_LINK) subclass the node.

Object ids follow ``mc-entity.c``: one counter per media device, taken in registration
order by entities, pads, links and interfaces alike (``media_gobj_create``), with the
object type in the top 8 bits (``media_gobj_gen_id``: entity 0, pad 1, link 2,
interface 3, so a pad's id is ``0x01000000 | n``); a data link also takes an id for its
hidden backlink (``media_create_pad_link``), which G_TOPOLOGY never reports.  The kernel
lists each kind in registration order; so do we.
"""

from __future__ import annotations

import ctypes
import errno
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from core.abi import media as m
from core.virtual.node import MAJORS, FileHandle, Node
from core.virtual.v4l2 import KERNEL_VERSION
from core.virtual.vb2 import fail

FIXED = m.MEDIA_LNK_FL_ENABLED | m.MEDIA_LNK_FL_IMMUTABLE
# enum media_gobj_type (include/media/media-entity.h), shifted by MEDIA_BITS_PER_ID (24).
ENTITY, PAD, LINK, INTERFACE = (kind << 24 for kind in range(4))


@dataclass
class VPad:
    id: int
    index: int
    flags: int


@dataclass
class VEntity:
    """One media entity; drivers subclass it for their own per-entity state."""

    id: int
    name: str
    function: int
    pads: list[VPad] = field(default_factory=list)
    flags: int = 0


@dataclass
class VInterface:
    """A devnode interface: ``node`` gives major:minor (None until the node exists)."""

    id: int
    intf_type: int
    node: Node | None = None


@dataclass
class VLink:
    id: int
    source: int  # pad id (data link), interface id (interface link), entity id (ancillary)
    sink: int  # pad id (data link) or entity id
    flags: int


E = TypeVar("E", bound=VEntity)


class Graph(Generic[E]):
    """Entities, pads, links and interfaces of one media device, with kernel-style ids."""

    def __init__(self, *, backlinks: bool = True) -> None:
        self._next = 1
        self.entities: list[E] = []
        self.interfaces: list[VInterface] = []
        self.links: list[VLink] = []
        self.version = 0
        # media_create_pad_link makes a backlink object too; vimc's model predates this.
        self._backlinks = backlinks

    def _id(self, kind: int = ENTITY) -> int:
        """The next object id, of type ``kind`` (ENTITY, PAD, LINK, INTERFACE)."""
        value, self._next = self._next, self._next + 1
        return kind | value

    def register(self, entity: E, pad_flags: Sequence[int]) -> E:
        """media_device_register_entity: the entity's id, then one id per pad."""
        entity.id = self._id()
        entity.pads = [VPad(self._id(PAD), i, f) for i, f in enumerate(pad_flags)]
        self.entities.append(entity)
        return entity

    def link(self, source: VEntity, spad: int, sink: VEntity, kpad: int, flags: int) -> VLink:
        """media_create_pad_link: a data link from ``source``:spad to ``sink``:kpad."""
        lk = VLink(self._id(LINK), source.pads[spad].id, sink.pads[kpad].id, flags)
        self.links.append(lk)
        if self._backlinks:
            self._id()
        return lk

    def interface(self, intf_type: int, node: Node | None = None) -> VInterface:
        """media_devnode_create: a devnode interface (``MEDIA_INTF_T_*``)."""
        intf = VInterface(self._id(INTERFACE), intf_type, node)
        self.interfaces.append(intf)
        return intf

    def intf_link(self, intf: VInterface, entity: VEntity, flags: int = FIXED) -> VLink:
        """media_create_intf_link: interface -> entity (enabled and immutable)."""
        lk = VLink(self._id(LINK), intf.id, entity.id, m.MEDIA_LNK_FL_INTERFACE_LINK | flags)
        self.links.append(lk)
        return lk

    def ancillary(self, primary: VEntity, ancillary: VEntity) -> VLink:
        """media_create_ancillary_link (a lens or flash to its sensor)."""
        lk = VLink(self._id(LINK), primary.id, ancillary.id,
                   m.MEDIA_LNK_FL_ANCILLARY_LINK | FIXED)
        self.links.append(lk)
        return lk

    def entity(self, name: str) -> E:
        return next(e for e in self.entities if e.name == name)

    def by_id(self, entity_id: int) -> E | None:
        return next((e for e in self.entities if e.id == entity_id), None)

    def owner(self, pad_id: int) -> tuple[E, VPad]:
        for e in self.entities:
            for p in e.pads:
                if p.id == pad_id:
                    return e, p
        raise KeyError(pad_id)

    def data_links(self) -> list[VLink]:
        return [lk for lk in self.links
                if lk.flags & m.MEDIA_LNK_FL_LINK_TYPE == m.MEDIA_LNK_FL_DATA_LINK]

    def fill_topology(self, t: m.media_v2_topology) -> None:
        """MEDIA_IOC_G_TOPOLOGY (mc-device.c ``media_device_get_topology``): each array
        is filled when its pointer is set, ENOSPC when its count is too small; the counts
        are always set to the graph's."""
        ents, intfs, links = self.entities, self.interfaces, self.links
        pads = [(e, p) for e in ents for p in e.pads]
        t.topology_version = self.version
        if t.ptr_entities:
            for o, e in zip(_user_array(t.ptr_entities, t.num_entities, m.media_v2_entity,
                                        len(ents)), ents, strict=True):
                o.id, o.name = e.id, e.name.encode("utf-8", "surrogateescape")[:63]
                o.function, o.flags = e.function, e.flags
        if t.ptr_interfaces:
            for o, intf in zip(_user_array(t.ptr_interfaces, t.num_interfaces,
                                           m.media_v2_interface, len(intfs)), intfs, strict=True):
                o.id, o.intf_type = intf.id, intf.intf_type
                o.devnode.major, o.devnode.minor = _chr_numbers(intf.node)
        if t.ptr_pads:
            for o, (e, p) in zip(_user_array(t.ptr_pads, t.num_pads, m.media_v2_pad,
                                              len(pads)), pads, strict=True):
                o.id, o.entity_id, o.flags, o.index = p.id, e.id, p.flags, p.index
        if t.ptr_links:
            for o, lk in zip(_user_array(t.ptr_links, t.num_links, m.media_v2_link,
                                         len(links)), links, strict=True):
                o.id, o.source_id, o.sink_id, o.flags = lk.id, lk.source, lk.sink, lk.flags
        t.num_entities, t.num_interfaces = len(ents), len(intfs)
        t.num_pads, t.num_links = len(pads), len(links)



def _user_array(ptr: int, room: int, ctype: Any, n: int) -> Any:
    """The caller's array of ``n`` ``ctype`` at ``ptr``, zeroed (each entry is copied
    out whole, as mc-device.c does); ENOSPC when it has room for fewer."""
    if room < n:
        raise fail(errno.ENOSPC)
    array = (ctype * n).from_address(ptr)
    ctypes.memset(ptr, 0, ctypes.sizeof(array))
    return array

class MediaGraph(Graph[VEntity]):
    """A graph of plain entities (no per-entity driver state)."""

    def add(self, name: str, function: int, pad_flags: Sequence[int] = (),
            flags: int = 0) -> VEntity:
        """Register an entity with pads of ``pad_flags`` (``MEDIA_PAD_FL_*``)."""
        return self.register(VEntity(0, name, function, flags=flags), pad_flags)


def _chr_numbers(node: Node | None) -> tuple[int, int]:
    if node is None:
        return 0, 0
    return MAJORS.get(node.subsystem, 0), node.minor or 0


class MediaNode(Node):
    """``/dev/mediaN``: DEVICE_INFO, and G_TOPOLOGY from ``graph``."""

    subsystem = "media"

    def __init__(self, path: str, driver: str, model: str, bus_info: str,
                 serial: str = "", graph: Graph[Any] | None = None) -> None:
        super().__init__(path, model, driver)
        self.model = model
        self._bus_info = bus_info
        self.serial = serial
        self.graph: Graph[Any] = graph if graph is not None else MediaGraph()

    @property
    def bus_info(self) -> str:
        return self._bus_info

    def ioctl(self, fh: FileHandle, request: int, arg: Any) -> int:
        if request == m.MEDIA_IOC_G_TOPOLOGY:
            self.graph.fill_topology(arg)
            return 0
        if request != m.MEDIA_IOC_DEVICE_INFO:
            raise fail(errno.ENOTTY)
        info: m.media_device_info = arg
        info.driver = self.driver.encode("utf-8", "surrogateescape")[:15]
        info.model = self.model.encode("utf-8", "surrogateescape")[:31]
        info.serial = self.serial.encode("utf-8", "surrogateescape")[:39]
        info.bus_info = self.bus_info.encode("utf-8", "surrogateescape")[:31]
        info.media_version = KERNEL_VERSION
        info.driver_version = KERNEL_VERSION
        info.hw_revision = 0
        return 0


__all__ = ["FIXED", "Graph", "MediaGraph", "MediaNode", "VEntity", "VInterface", "VLink", "VPad"]
