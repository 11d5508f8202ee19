"""The errno explanations: each seed cause is named when the facts say it applies."""

from __future__ import annotations

import errno

import pytest

from core.errors import (
    Busy,
    DeviceGone,
    InvalidRequest,
    MemoryFault,
    NotSupported,
    PermissionDenied,
    WouldBlock,
    media_error,
)


def test_expbuf_not_mmap_queue() -> None:
    """EXPBUF on a DMABUF queue is explained as 'not in MMAP mode'."""
    e = media_error(errno.EINVAL, ioctl="VIDIOC_EXPBUF", path="/dev/video0",
                    facts={"memory": "dmabuf", "index": 0, "plane": 0})
    assert isinstance(e, InvalidRequest)
    assert "MMAP" in e.title and "dmabuf" in e.explanation


@pytest.mark.parametrize(
    ("facts", "needle"),
    [
        ({"memory": "mmap", "bad_flags": True, "flags": 0o4000}, "flags"),
        ({"memory": "mmap", "index": 5, "num_buffers": 4}, "No buffer 5"),
        ({"memory": "mmap", "index": 0, "plane": 1, "num_planes": 1}, "Plane 1"),
        ({"memory": "mmap", "type_mismatch": True}, "Wrong buffer type"),
    ],
)
def test_expbuf_each_seed_cause(facts: dict, needle: str) -> None:
    """Every EINVAL cause the VIDIOC_EXPBUF document lists has its own title."""
    e = media_error(errno.EINVAL, ioctl="VIDIOC_EXPBUF", path="/dev/video0", facts=facts)
    assert needle in e.title


def test_expbuf_single_planar_plane_explains_plane_zero() -> None:
    e = media_error(errno.EINVAL, ioctl="VIDIOC_EXPBUF", path="/dev/video0",
                    facts={"memory": "mmap", "plane": 1, "num_planes": 1, "multiplanar": False})
    assert "plane 0" in e.explanation


def test_dmx_expbuf_causes() -> None:
    bad_index = media_error(errno.EINVAL, ioctl="DMX_EXPBUF", path="d",
                            facts={"index": 9, "num_buffers": 4})
    bad_flags = media_error(errno.EINVAL, ioctl="DMX_EXPBUF", path="d",
                            facts={"bad_flags": True, "flags": 0o4000})
    assert "No buffer 9" in bad_index.title and "flags" in bad_flags.title.lower()


@pytest.mark.parametrize("err", [errno.ENOTTY, errno.EOPNOTSUPP])
def test_dmx_api_absent(err: int) -> None:
    """ENOTTY and EOPNOTSUPP from the DMX buffer ioctls mean 'no CONFIG_DVB_MMAP'."""
    e = media_error(err, ioctl="DMX_REQBUFS", path="/dev/dvb/adapter0/demux0")
    assert isinstance(e, NotSupported) and "CONFIG_DVB_MMAP" in e.explanation


def test_reqbufs_busy_causes() -> None:
    streaming = media_error(errno.EBUSY, ioctl="VIDIOC_REQBUFS", path="v",
                            facts={"streaming": True})
    other = media_error(errno.EBUSY, ioctl="VIDIOC_REQBUFS", path="v",
                        facts={"streaming": False, "has_buffers": False})
    mapped = media_error(errno.EBUSY, ioctl="VIDIOC_REQBUFS", path="v",
                         facts={"streaming": False, "has_buffers": True, "owner": True,
                                "count": 0, "in_use": True, "orphaned_bufs": False})
    assert isinstance(streaming, Busy)
    assert "streaming" in streaming.title
    assert "Another file handle" in other.title
    assert "mapped or exported" in mapped.title


def test_qbuf_too_small_names_both_sizes() -> None:
    e = media_error(errno.EINVAL, ioctl="VIDIOC_QBUF", path="v",
                    facts={"too_small": True, "plane": 0, "min_length": 460800,
                           "dmabuf_size": 4096})
    assert "460800" in e.explanation and "4096" in e.explanation


def test_udmabuf_efault_mentions_vmap() -> None:
    e = media_error(errno.EFAULT, ioctl="VIDIOC_QBUF", path="v", facts={"source": "udmabuf"})
    assert isinstance(e, MemoryFault) and "vmap" in e.explanation


def test_streamon_too_few() -> None:
    none = media_error(errno.EINVAL, ioctl="VIDIOC_STREAMON", path="v",
                       facts={"num_buffers": 0})
    few = media_error(errno.EINVAL, ioctl="VIDIOC_STREAMON", path="v",
                      facts={"num_buffers": 1, "min_buffers": 2})
    assert "No buffers" in none.title and "Too few" in few.title


def test_dqbuf_errors() -> None:
    assert isinstance(media_error(errno.EAGAIN, ioctl="VIDIOC_DQBUF", path="v"), WouldBlock)
    assert "not streaming" in media_error(errno.EINVAL, ioctl="VIDIOC_DQBUF", path="v",
                                          facts={"streaming": False}).title
    assert "LAST" in media_error(errno.EPIPE, ioctl="VIDIOC_DQBUF", path="v").explanation


def test_generic_errnos(tmp_path) -> None:
    node = tmp_path / "video0"
    node.write_text("")
    denied = media_error(errno.EACCES, ioctl="open", path=str(node), facts={"path": str(node)})
    assert isinstance(denied, PermissionDenied) and "group" in denied.explanation
    gone = media_error(errno.ENODEV, ioctl="VIDIOC_DQBUF", path="v")
    assert isinstance(gone, DeviceGone) and "unplugged" in gone.explanation
    enotty = media_error(errno.ENOTTY, ioctl="VIDIOC_QUERYCAP", path="/dev/null")
    assert isinstance(enotty, NotSupported) and "not this kind of device" in enotty.explanation


def test_str_names_ioctl_errno_and_cause() -> None:
    e = media_error(errno.EINVAL, ioctl="VIDIOC_EXPBUF", path="/dev/video7",
                    facts={"memory": "userptr"})
    text = str(e)
    assert text.startswith("/dev/video7: VIDIOC_EXPBUF failed with EINVAL: ")
    assert e.as_dict()["errno_name"] == "EINVAL"
