"""Read a media device's whole graph: G_TOPOLOGY joined with each pad's active format
(VIDIOC_SUBDEV_G_FMT through the entity's subdev node), the sink crop rectangles and
each video node's format.  A pad whose format cannot be read keeps the error text
instead: one failing node never hides the rest of the graph."""

from __future__ import annotations

import errno
import os

from core.abi import media as m
from core.abi import subdev as sd
from core.errors import MediaError
from core.media.device import MediaDevice, SubdevDevice, read_video_format
from core.media.model import Entity, Pad, Topology, VideoFormat


def _pad_formats(entity: Entity, pads: list[Pad]) -> list[Pad]:
    if not entity.is_subdev or not entity.devnode or not pads:
        return pads
    out: list[Pad] = []
    try:
        node = SubdevDevice(entity.devnode)
    except MediaError as exc:
        return [Pad(p.id, p.entity_id, p.index, p.flags, None, exc.title) for p in pads]
    with node:
        for p in pads:
            try:
                fmt = node.get_format(p.index)
            except MediaError as exc:
                out.append(Pad(p.id, p.entity_id, p.index, p.flags, None,
                               f"VIDIOC_SUBDEV_G_FMT failed with {exc.errno_name}"))
                continue
            crop = bounds = None
            if p.is_sink:
                try:
                    crop = node.get_selection(p.index, sd.V4L2_SEL_TGT_CROP)
                    bounds = node.get_selection(p.index, sd.V4L2_SEL_TGT_CROP_BOUNDS)
                except MediaError:
                    crop = bounds = None
            out.append(Pad(p.id, p.entity_id, p.index, p.flags, fmt, None, crop, bounds))
    return out


def read_topology(path: str, *, formats: bool = True) -> Topology:
    """The graph of the media device at ``path``.

    Raises :class:`MediaError` when the node cannot be opened or G_TOPOLOGY fails
    (ENOTTY: not a media controller node).  Source: ``MEDIA_IOC_G_TOPOLOGY`` in
    ``Documentation/userspace-api/media/mediactl/media-ioc-g-topology.rst``.
    """
    with MediaDevice(path) as dev:
        info = dev.device_info()
        version, entities, interfaces, pads, links = dev.graph()
    by_intf = {i.id: i for i in interfaces}
    devnode: dict[int, tuple[str | None, int]] = {}
    for lk in links:
        if lk.kind == "INTERFACE_LINK" and lk.source_id in by_intf:
            intf = by_intf[lk.source_id]
            devnode.setdefault(lk.sink_id, (intf.devnode, intf.intf_type))
    joined: list[Entity] = []
    video_formats: dict[int, VideoFormat] = {}
    for e in entities:
        node, intf_type = devnode.get(e.id, (None, None))
        own = sorted((p for p in pads if p.entity_id == e.id), key=lambda p: p.index)
        entity = Entity(e.id, e.name, e.function, e.flags, tuple(own), node, intf_type)
        if formats:
            entity = Entity(e.id, e.name, e.function, e.flags,
                            tuple(_pad_formats(entity, own)), node, intf_type)
            if intf_type == m.MEDIA_INTF_T_V4L_VIDEO and node and (
                    _virtual(node) or os.path.exists(node)):
                try:
                    video_formats[e.id] = read_video_format(node)
                except MediaError as exc:
                    if exc.errno not in (errno.EINVAL, errno.ENOTTY, errno.ENODEV):
                        raise
        joined.append(entity)
    return Topology(path, info, version, tuple(joined), tuple(interfaces), tuple(links),
                    video_formats)


def _virtual(path: str) -> bool:
    from core import ioctl as chokepoint

    return chokepoint.backend_for_path(path) is not None


def media_device_of(path: str) -> str | None:
    """The /dev/mediaN a video, subdev or DVB node belongs to: sysfs puts the media node
    under the driver's device (``.../vivid.0/media4``), which is the node's parent
    device (``/sys/dev/char/MAJOR:MINOR/device``) or, for a DVB node registered on an
    i2c adapter of the bridge (vidtv: ``vidtv.0/i2c-0``), that device's parent; the
    first of them (at most 3 levels up) with a ``mediaN`` entry, or a ``media/mediaN``
    one, wins.  When that device has several (vivid registers one media device per
    instance on its one platform device: ``vivid.0/media4..6``), the one whose
    G_TOPOLOGY has an interface with the node's MAJOR:MINOR.  A virtual node answers
    through its backend."""
    from core import ioctl as chokepoint

    backend = chokepoint.backend_for_path(path)
    if backend is not None:
        finder = getattr(backend, "media_device_of", None)
        return finder(path) if finder is not None else None
    try:
        rdev = os.stat(path).st_rdev
    except OSError:
        return None
    device = os.path.realpath(f"/sys/dev/char/{os.major(rdev)}:{os.minor(rdev)}/device")
    for _level in range(3):
        if not device.startswith("/sys/devices/") or os.path.basename(device) == "platform":
            return None
        found = _media_entries(device)
        if len(found) == 1:
            return found[0]
        if found:
            return next((media for media in found if _has_interface(media, rdev)), found[0])
        device = os.path.dirname(device)
    return None


def _media_entries(device: str) -> list[str]:
    try:
        entries = os.listdir(device)
    except OSError:
        return []
    found = [f"/dev/{e}" for e in entries if e.startswith("media") and e[5:].isdigit()]
    if not found:
        try:
            found = ["/dev/" + e for e in os.listdir(os.path.join(device, "media"))]
        except OSError:
            return []
    return sorted(found, key=lambda p: (len(p), p))


def _has_interface(media: str, rdev: int) -> bool:
    """Whether ``media``'s graph has a devnode interface for ``rdev``."""
    try:
        with MediaDevice(media) as dev:
            _version, _entities, interfaces, _pads, _links = dev.graph()
    except (MediaError, RuntimeError):
        return False
    return any((i.major, i.minor) == (os.major(rdev), os.minor(rdev)) for i in interfaces)
