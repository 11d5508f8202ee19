"""Media controller and subdev causes.

Sources: ``Documentation/userspace-api/media/mediactl/media-ioc-*.rst`` and
``Documentation/userspace-api/media/v4l/vidioc-subdev-*.rst`` (kernel 6.1);
``drivers/media/mc/mc-entity.c`` (``__media_entity_setup_link``) and
``drivers/media/v4l2-core/v4l2-subdev.c`` (``check_pad``/``check_which``).
"""

from __future__ import annotations

import errno as E

from core.explain.registry import Explanation, rule
from core.facts import Facts, LinkFacts, PadFacts

_SUBDEV_PAD_IOCTLS = (
    "VIDIOC_SUBDEV_G_FMT", "VIDIOC_SUBDEV_S_FMT", "VIDIOC_SUBDEV_ENUM_MBUS_CODE",
    "VIDIOC_SUBDEV_ENUM_FRAME_SIZE", "VIDIOC_SUBDEV_G_SELECTION",
    "VIDIOC_SUBDEV_S_SELECTION", "VIDIOC_SUBDEV_G_FRAME_INTERVAL",
)
_SUBDEV_IOCTLS = ("VIDIOC_SUBDEV_QUERYCAP", *_SUBDEV_PAD_IOCTLS)


def _pad_text(facts: Facts | None) -> str:
    if isinstance(facts, PadFacts):
        return f"pad {facts.pad} (which={facts.which_name})"
    return "the pad"


# --- the media device -------------------------------------------------------------------


@rule(("MEDIA_IOC_DEVICE_INFO", E.ENOTTY), ("MEDIA_IOC_G_TOPOLOGY", E.ENOTTY),
      ("MEDIA_IOC_SETUP_LINK", E.ENOTTY))
def _not_a_media_device(facts: Facts | None) -> Explanation:
    return (
        "Not a media controller node",
        "Media controller ioctls only work on /dev/mediaN; this node belongs to another "
        "driver or subsystem (see `mediatui list`).",
    )


@rule(("MEDIA_IOC_G_TOPOLOGY", E.ENOSPC))
def _topology_enospc(facts: Facts | None) -> Explanation:
    return (
        "Topology grew between two reads",
        "G_TOPOLOGY got arrays smaller than the graph (num_entities/pads/links/interfaces): "
        "the graph changed after the first call sized them (an entity was bound). Read it "
        "again.",
    )


@rule(("MEDIA_IOC_SETUP_LINK", E.EINVAL))
def _setup_link_einval(facts: Facts | None) -> Explanation:
    link = f"link {facts.source} -> {facts.sink}" if isinstance(facts, LinkFacts) else "link"
    return (
        "Link cannot be set up this way",
        f"The {link} does not exist (wrong entity ids or pad indices: see `mediatui "
        "topology`), or it is IMMUTABLE and its ENABLED flag cannot change, or flags "
        "other than ENABLED were asked.",
    )


@rule(("MEDIA_IOC_SETUP_LINK", E.EBUSY))
def _setup_link_ebusy(facts: Facts | None) -> Explanation:
    change = ("enabled" if facts.enabling else "disabled") if isinstance(facts, LinkFacts) \
        else "changed"
    return (
        "Pipeline is streaming",
        f"The link cannot be {change} while an entity on it streams (its pipeline is "
        "started); stop the stream (STREAMOFF) on the video node first.",
    )


# --- subdevs ------------------------------------------------------------------------------


@rule(*((name, E.ENOTTY) for name in _SUBDEV_IOCTLS))
def _subdev_enotty(facts: Facts | None) -> Explanation:
    return (
        "Not a subdev node, or the operation is not offered",
        "Either the node is not /dev/v4l-subdevN (the kernel needs "
        "CONFIG_VIDEO_V4L2_SUBDEV_API for subdev nodes), or this subdev's driver does not "
        "implement the operation (selection and frame interval are optional).",
    )


@rule(("VIDIOC_SUBDEV_G_FMT", E.EINVAL), ("VIDIOC_SUBDEV_S_FMT", E.EINVAL),
      ("VIDIOC_SUBDEV_G_SELECTION", E.EINVAL), ("VIDIOC_SUBDEV_S_SELECTION", E.EINVAL),
      ("VIDIOC_SUBDEV_G_FRAME_INTERVAL", E.EINVAL))
def _subdev_pad_einval(facts: Facts | None) -> Explanation:
    bad_which = isinstance(facts, PadFacts) and facts.which not in (0, 1)
    if bad_which:
        return ("Invalid `which`", "`which` must be TRY (0) or ACTIVE (1).")
    return (
        f"Subdev refused {_pad_text(facts)}",
        "The pad index is not one of this entity's pads (see `mediatui topology`), "
        "`which` is neither TRY nor ACTIVE, or (selection) the target is not supported "
        "on this pad.",
    )


@rule(("VIDIOC_SUBDEV_ENUM_MBUS_CODE", E.EINVAL), ("VIDIOC_SUBDEV_ENUM_FRAME_SIZE", E.EINVAL))
def _subdev_enum_einval(facts: Facts | None) -> Explanation:
    index = facts.index if isinstance(facts, PadFacts) else None
    return (
        "End of enumeration, or a bad pad",
        f"EINVAL ends the enumeration when index {'?' if index is None else index} is past "
        f"the last entry; at index 0 it means {_pad_text(facts)} does not exist or "
        "(ENUM_FRAME_SIZE) the media bus code is not one the pad offers.",
    )


@rule(("VIDIOC_SUBDEV_S_FMT", E.EBUSY), ("VIDIOC_SUBDEV_S_SELECTION", E.EBUSY))
def _subdev_busy(facts: Facts | None) -> Explanation:
    return (
        "Pad is streaming",
        f"The ACTIVE configuration of {_pad_text(facts)} cannot change while its pipeline "
        "streams: STREAMOFF on the video node first (TRY formats can still be tried).",
    )


@rule(("VIDIOC_SUBDEV_S_FMT", E.EPERM), ("VIDIOC_SUBDEV_S_SELECTION", E.EPERM))
def _subdev_read_only(facts: Facts | None) -> Explanation:
    return (
        "Subdev node is read-only",
        "The driver registered its subdev nodes read-only (V4L2_SUBDEV_CAP_RO_SUBDEV): "
        "ACTIVE formats are set by the driver through the video node; only TRY is allowed.",
    )
