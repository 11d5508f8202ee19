"""Every (ioctl, errno) the product can meet has a specific explanation, or is listed
here, with a reason, as deliberately generic (issue 12 part 6).

The errnos per ioctl come from the kernel's documentation of each ioctl and from the
code paths cited in docs/kernel-rules.md; a new ioctl name issued by ``core/`` fails
:func:`test_every_ioctl_core_names_is_in_the_table` until it is added here.
"""

from __future__ import annotations

import errno as E
import re
from pathlib import Path

import pytest

from core.errors import NO_DETAIL, has_specific_explanation, media_error

CORE = Path(__file__).resolve().parents[2] / "core"

_BUFFER_QUEUE = (E.EINVAL, E.EBUSY, E.ENODEV)
CAN_MEET: dict[str, tuple[int, ...]] = {
    # open(2) and the stat() before it: path errors, access, and the driver's own open
    "open": (E.ENOENT, E.ENOTDIR, E.EISDIR, E.ELOOP, E.ENAMETOOLONG, E.EACCES, E.EPERM,
             E.ENXIO, E.ENODEV, E.EBUSY, E.EOPNOTSUPP, E.ENOMEM, E.EMFILE, E.ENFILE),
    "mmap": (E.EINVAL, E.EACCES, E.ENODEV, E.ENOMEM),
    "poll": (E.ENODEV,),
    "VIDIOC_QUERYCAP": (E.ENOTTY, E.EINVAL, E.ENODEV),
    "VIDIOC_G_FMT": (E.EINVAL, E.ENOTTY, E.ENODEV),
    "VIDIOC_S_FMT": (E.EINVAL, E.EBUSY, E.ENOTTY, E.ENODEV),
    "VIDIOC_TRY_FMT": (E.EINVAL, E.ENOTTY, E.ENODEV),
    "VIDIOC_S_PARM": (E.EINVAL, E.EBUSY, E.ENOTTY, E.ENODEV),
    "VIDIOC_REQBUFS": (*_BUFFER_QUEUE, E.ENOMEM, E.ENOBUFS, E.ENOTTY),
    "VIDIOC_CREATE_BUFS": (*_BUFFER_QUEUE, E.ENOMEM, E.ENOBUFS, E.ENOTTY),
    "VIDIOC_QUERYBUF": (E.EINVAL, E.ENODEV),
    "VIDIOC_EXPBUF": (*_BUFFER_QUEUE, E.ENOTTY),
    "VIDIOC_QBUF": (*_BUFFER_QUEUE, E.EFAULT, E.EIO, E.EBADR, E.ENOMEM),
    "VIDIOC_PREPARE_BUF": (*_BUFFER_QUEUE, E.EFAULT, E.EBADR, E.ENOTTY),
    "VIDIOC_DQBUF": (*_BUFFER_QUEUE, E.EAGAIN, E.EPIPE, E.EIO),
    "VIDIOC_STREAMON": (*_BUFFER_QUEUE, E.EPIPE, E.ENOSPC, E.ENOLINK, E.ENOMEM, E.EIO),
    "VIDIOC_STREAMOFF": _BUFFER_QUEUE,
    "DMX_REQBUFS": (E.EINVAL, E.EBUSY, E.ENOTTY, E.EOPNOTSUPP, E.ENOMEM, E.ENODEV),
    "DMX_QUERYBUF": (E.EINVAL, E.ENOTTY, E.EOPNOTSUPP, E.ENODEV),
    "DMX_EXPBUF": (E.EINVAL, E.ENOTTY, E.EOPNOTSUPP, E.ENODEV),
    "DMX_QBUF": (E.EINVAL, E.ENOTTY, E.EOPNOTSUPP, E.ENODEV),
    "DMX_DQBUF": (E.EINVAL, E.EAGAIN, E.ENOTTY, E.EOPNOTSUPP, E.ENODEV),
    "DMX_SET_PES_FILTER": (E.EINVAL, E.EBUSY, E.ENODEV),
    "DMX_SET_FILTER": (E.EINVAL, E.ENODEV),
    "DMX_SET_BUFFER_SIZE": (E.EBUSY, E.ENOMEM, E.ENODEV),
    "DMX_START": (E.EINVAL, E.ENOMEM, E.EBUSY, E.ENODEV),
    "DMX_STOP": (E.ENODEV,),
    "FE_GET_INFO": (E.ENOTTY, E.ENODEV),
    "FE_GET_PROPERTY": (E.EINVAL, E.ENOTTY, E.ENODEV),
    "FE_SET_PROPERTY": (E.EINVAL, E.EPERM, E.ENOTTY, E.ENODEV),
    "FE_READ_STATUS": (E.ENOTTY, E.ENODEV),
    "DMA_HEAP_IOCTL_ALLOC": (E.EINVAL, E.ENOMEM, E.ENOTTY),
    "UDMABUF_CREATE": (E.EINVAL, E.ENOMEM, E.ENOTTY),
    "DMA_BUF_IOCTL_SYNC": (E.EINVAL, E.ENOTTY),
    # media controller (mediactl/media-ioc-*.rst) and subdevs (v4l/vidioc-subdev-*.rst)
    "MEDIA_IOC_DEVICE_INFO": (E.ENOTTY, E.ENODEV),
    "MEDIA_IOC_G_TOPOLOGY": (E.ENOSPC, E.ENOTTY, E.ENODEV),
    "MEDIA_IOC_SETUP_LINK": (E.EINVAL, E.EBUSY, E.ENOTTY, E.ENODEV),
    "VIDIOC_SUBDEV_QUERYCAP": (E.ENOTTY, E.ENODEV),
    "VIDIOC_SUBDEV_G_FMT": (E.EINVAL, E.ENOTTY, E.ENODEV),
    "VIDIOC_SUBDEV_S_FMT": (E.EINVAL, E.EBUSY, E.EPERM, E.ENOTTY, E.ENODEV),
    "VIDIOC_SUBDEV_ENUM_MBUS_CODE": (E.EINVAL, E.ENOTTY, E.ENODEV),
    "VIDIOC_SUBDEV_ENUM_FRAME_SIZE": (E.EINVAL, E.ENOTTY, E.ENODEV),
    "VIDIOC_SUBDEV_G_SELECTION": (E.EINVAL, E.ENOTTY, E.ENODEV),
    "VIDIOC_SUBDEV_S_SELECTION": (E.EINVAL, E.EBUSY, E.EPERM, E.ENOTTY, E.ENODEV),
    "VIDIOC_SUBDEV_G_FRAME_INTERVAL": (E.EINVAL, E.ENOTTY, E.ENODEV),
}

# Deliberately generic: the errno's own text is the whole story, no media cause applies.
GENERIC: dict[tuple[str, int], str] = {
    ("open", E.EMFILE): "the process ran out of file descriptors: not about the node",
    ("open", E.ENFILE): "the system ran out of open files: not about the node",
}


def _pairs() -> list[tuple[str, int]]:
    return [(name, err) for name, errs in CAN_MEET.items() for err in errs]


@pytest.mark.parametrize(("ioctl", "err"), _pairs(),
                         ids=[f"{n}-{E.errorcode[e]}" for n, e in _pairs()])
def test_each_pair_is_explained_or_listed_as_generic(ioctl: str, err: int) -> None:
    e = media_error(err, ioctl=ioctl, path="/dev/x")
    if (ioctl, err) in GENERIC:
        assert GENERIC[(ioctl, err)], "a generic entry needs its reason"
        assert e.explanation == NO_DETAIL, f"{ioctl} {E.errorcode[err]} is explained now: " \
            "take it off GENERIC"
        return
    assert has_specific_explanation(ioctl, err)
    assert e.explanation != NO_DETAIL and not e.title.startswith(f"{ioctl} failed")


def test_generic_entries_are_pairs_the_product_meets() -> None:
    assert set(GENERIC) <= set(_pairs())


def test_every_ioctl_core_names_is_in_the_table() -> None:
    """The names core passes to media_error / NodeHandle._ioctl (string literals outside
    the ABI tables, the virtual drivers and the explanations) all have their errnos listed."""
    pattern = re.compile(r'"((?:VIDIOC|DMX|FE|DMA_HEAP|DMA_BUF|UDMABUF|MEDIA_IOC)_[A-Z_]*[A-Z])"')
    named: set[str] = set()
    for path in CORE.rglob("*.py"):
        rel = path.relative_to(CORE).as_posix()
        if rel.startswith(("abi/", "virtual/", "explain/")):
            continue
        named |= set(pattern.findall(path.read_text()))
    assert named, "the scan found no ioctl names: the pattern is broken"
    assert named <= set(CAN_MEET), sorted(named - set(CAN_MEET))
