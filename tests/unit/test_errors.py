"""The errno explanations: each seed cause is named when the facts say it applies."""

from __future__ import annotations

import errno
import os

import pytest

from core.dmabuf import EXPORT_FLAGS_ALLOWED
from core.errors import (
    Busy,
    DeviceGone,
    InvalidRequest,
    LastBufferDequeued,
    MediaError,
    MemoryFault,
    NoDevice,
    NotSupported,
    PathError,
    PermissionDenied,
    PipelineInvalid,
    WouldBlock,
    media_error,
)
from core.facts import (
    AllocationFacts,
    BufferFacts,
    ExportFacts,
    FilterFacts,
    NodeAccess,
    PlaneSizeFacts,
    QueueFacts,
    TuneFacts,
)

MMAP4 = QueueFacts("video-capture", "mmap", streaming=False, num_buffers=4)
EMPTY = QueueFacts("video-capture", None, streaming=False, num_buffers=0)


def _export(queue: QueueFacts = MMAP4, *, index: int = 0, plane: int = 0,
            flags: int = os.O_CLOEXEC, exists: bool = True, num_planes: int | None = 1,
            multiplanar: bool = False, type_supported: bool | None = True) -> ExportFacts:
    return ExportFacts(queue, index, plane, flags, EXPORT_FLAGS_ALLOWED, exists, num_planes,
                       multiplanar, type_supported)


def test_expbuf_not_mmap_queue() -> None:
    """EXPBUF on a DMABUF queue is explained as 'not in MMAP mode'."""
    dmabuf_queue = QueueFacts("video-capture", "dmabuf", streaming=False, num_buffers=4)
    e = media_error(errno.EINVAL, ioctl="VIDIOC_EXPBUF", path="/dev/video0",
                    facts=_export(dmabuf_queue))
    assert isinstance(e, InvalidRequest)
    assert "MMAP" in e.title and "dmabuf" in e.explanation


@pytest.mark.parametrize(
    ("facts", "needle"),
    [
        (_export(flags=0o4000), "flags"),
        (_export(index=5, exists=False, num_planes=None), "No buffer 5"),
        (_export(plane=1), "Plane 1"),
        (_export(multiplanar=True, plane=2, num_planes=2), "Plane 2"),
        (_export(type_supported=False), "No video-capture queue"),
        (_export(EMPTY, exists=False, num_planes=None), "No buffers allocated"),
    ],
)
def test_expbuf_each_seed_cause(facts: ExportFacts, needle: str) -> None:
    """Every EINVAL cause the VIDIOC_EXPBUF document lists has its own title."""
    e = media_error(errno.EINVAL, ioctl="VIDIOC_EXPBUF", path="/dev/video0", facts=facts)
    assert needle in e.title


def test_expbuf_single_planar_plane_explains_plane_zero() -> None:
    e = media_error(errno.EINVAL, ioctl="VIDIOC_EXPBUF", path="/dev/video0",
                    facts=_export(plane=1))
    assert "plane 0" in e.explanation


def test_dmx_expbuf_causes() -> None:
    dvb = QueueFacts("dvb", "mmap", streaming=False, num_buffers=4)
    bad_index = media_error(errno.EINVAL, ioctl="DMX_EXPBUF", path="d",
                            facts=_export(dvb, index=9, exists=False, num_planes=None))
    bad_flags = media_error(errno.EINVAL, ioctl="DMX_EXPBUF", path="d",
                            facts=_export(dvb, flags=0o4000))
    assert "No buffer 9" in bad_index.title and "flags" in bad_flags.title.lower()


@pytest.mark.parametrize("err", [errno.ENOTTY, errno.EOPNOTSUPP])
def test_dmx_api_absent(err: int) -> None:
    """ENOTTY and EOPNOTSUPP from the DMX buffer ioctls mean 'no CONFIG_DVB_MMAP'."""
    e = media_error(err, ioctl="DMX_REQBUFS", path="/dev/dvb/adapter0/demux0")
    assert isinstance(e, NotSupported) and "CONFIG_DVB_MMAP" in e.explanation


def test_reqbufs_busy_causes() -> None:
    streaming = media_error(errno.EBUSY, ioctl="VIDIOC_REQBUFS", path="v", facts=AllocationFacts(
        QueueFacts("video-capture", "mmap", streaming=True, num_buffers=4), "mmap", 4))
    other = media_error(errno.EBUSY, ioctl="VIDIOC_REQBUFS", path="v",
                        facts=AllocationFacts(EMPTY, "mmap", 4))
    in_use = QueueFacts("video-capture", "mmap", streaming=False, num_buffers=4, in_use=True)
    mapped = media_error(errno.EBUSY, ioctl="VIDIOC_REQBUFS", path="v",
                         facts=AllocationFacts(in_use, "mmap", 0))
    assert isinstance(streaming, Busy)
    assert "streaming" in streaming.title
    assert "Another file handle" in other.title
    assert "mapped or exported" in mapped.title


def test_qbuf_too_small_names_both_sizes() -> None:
    plane = PlaneSizeFacts(0, 460800, 4096)
    assert plane.too_small
    e = media_error(errno.EINVAL, ioctl="VIDIOC_QBUF", path="v",
                    facts=BufferFacts(MMAP4, 0, dmabuf=plane))
    assert "460800" in e.explanation and "4096" in e.explanation


def test_qbuf_length_below_the_plane_is_too_small_even_with_a_big_dmabuf() -> None:
    """K11: the length QBUF passes is checked, not only the dma-buf's size."""
    assert PlaneSizeFacts(0, 460800, 1 << 20, length=4096).too_small
    assert not PlaneSizeFacts(0, 460800, 1 << 20, length=0).too_small


def test_udmabuf_efault_mentions_vmap() -> None:
    e = media_error(errno.EFAULT, ioctl="VIDIOC_QBUF", path="v",
                    facts=BufferFacts(MMAP4, 0, source="udmabuf"))
    assert isinstance(e, MemoryFault) and "vmap" in e.explanation


def test_streamon_too_few() -> None:
    none = media_error(errno.EINVAL, ioctl="VIDIOC_STREAMON", path="v", facts=EMPTY)
    few = media_error(errno.EINVAL, ioctl="VIDIOC_STREAMON", path="v",
                      facts=QueueFacts("video-capture", "mmap", False, 1, min_buffers=2))
    assert "No buffers" in none.title and "Too few" in few.title


def test_dqbuf_errors() -> None:
    assert isinstance(media_error(errno.EAGAIN, ioctl="VIDIOC_DQBUF", path="v"), WouldBlock)
    assert "not streaming" in media_error(errno.EINVAL, ioctl="VIDIOC_DQBUF", path="v",
                                          facts=BufferFacts(MMAP4, None)).title
    last = media_error(errno.EPIPE, ioctl="VIDIOC_DQBUF", path="v")
    assert isinstance(last, LastBufferDequeued) and "LAST" in last.explanation


def test_generic_errnos() -> None:
    gone = media_error(errno.ENODEV, ioctl="VIDIOC_DQBUF", path="v")
    assert isinstance(gone, DeviceGone) and "unplugged" in gone.explanation
    enotty = media_error(errno.ENOTTY, ioctl="VIDIOC_QUERYCAP", path="/dev/null")
    assert isinstance(enotty, NotSupported) and "not this kind of device" in enotty.explanation


def test_str_names_ioctl_errno_and_cause() -> None:
    userptr = QueueFacts("video-capture", "userptr", streaming=False, num_buffers=2)
    e = media_error(errno.EINVAL, ioctl="VIDIOC_EXPBUF", path="/dev/video7",
                    facts=_export(userptr))
    text = str(e)
    assert text.startswith("/dev/video7: VIDIOC_EXPBUF failed with EINVAL: ")
    assert e.as_dict()["errno_name"] == "EINVAL"


# --- issue 12: the right cause for every error ---------------------------------------------


def _access(mode: int, group: str, in_group: bool, user: str = "alice") -> NodeAccess:
    return NodeAccess("/dev/video0", mode, "root", group, 44, user, 1000, in_group)


def test_eacces_names_owner_group_mode_and_membership() -> None:
    e = media_error(errno.EACCES, ioctl="open", path="/dev/video0",
                    facts=_access(0o660, "video", in_group=False))
    assert isinstance(e, PermissionDenied)
    assert "crw-rw---- root:video" in e.explanation
    assert "alice" in e.explanation and "not in that group" in e.explanation
    assert "devtmpfs" not in e.explanation


def test_eacces_in_group_but_mode_denies() -> None:
    e = media_error(errno.EACCES, ioctl="open", path="/dev/video0",
                    facts=_access(0o640, "video", in_group=True))
    assert "are in group 'video'" in e.explanation


@pytest.mark.parametrize("mode", [0o600, 0o000])
def test_eacces_root_only_node(mode: int) -> None:
    """A root-only node (chmod 000, a 0600 dma-heap) is not a group problem."""
    e = media_error(errno.EACCES, ioctl="open", path="/dev/dma_heap/system",
                    facts=_access(mode, "root", in_group=False))
    assert "root only" in e.title and "usermod" not in e.explanation
    assert "devtmpfs" not in e.explanation


def test_enxio_is_no_device_not_an_unplug() -> None:
    e = media_error(errno.ENXIO, ioctl="open", path="/dev/tty")
    assert isinstance(e, NoDevice) and not isinstance(e, DeviceGone)
    assert "No device behind this node" in e.title and "unplugged" not in e.explanation


@pytest.mark.parametrize(
    ("err", "needle"),
    [(errno.EISDIR, "directory"), (errno.ELOOP, "link"), (errno.ENAMETOOLONG, "too long"),
     (errno.ENOTDIR, "directory"), (errno.ENOENT, "does not exist")],
)
def test_path_errors_say_they_are_about_the_path(err: int, needle: str) -> None:
    e = media_error(err, ioctl="open", path="/x")
    assert isinstance(e, PathError)
    assert needle in (e.title + e.explanation).lower() and "path" in e.explanation


def test_fe_set_property_einval_prints_the_range() -> None:
    e = media_error(errno.EINVAL, ioctl="FE_SET_PROPERTY", path="fe",
                    facts=TuneFacts(10, 51_000_000, 858_000_000, "Hz", "DVB-T"))
    assert "out of range" in e.title
    assert "51,000,000 to 858,000,000 Hz" in e.explanation


def test_fe_set_property_einval_in_range_blames_another_parameter() -> None:
    e = media_error(errno.EINVAL, ioctl="FE_SET_PROPERTY", path="fe",
                    facts=TuneFacts(474_000_000, 51_000_000, 858_000_000, "Hz", "DVB-T"))
    assert "inside" in e.explanation and "DVB-T" in e.explanation


def test_dmx_start_einval_causes() -> None:
    unset = media_error(errno.EINVAL, ioctl="DMX_START", path="d", facts=FilterFacts(None))
    high = media_error(errno.EINVAL, ioctl="DMX_START", path="d", facts=FilterFacts(0x2001))
    assert "No filter set" in unset.title and "PID 0x2001" in high.title


def test_streamon_epipe_is_a_pipeline_error_not_the_last_buffer() -> None:
    e = media_error(errno.EPIPE, ioctl="VIDIOC_STREAMON", path="/dev/video2")
    assert isinstance(e, PipelineInvalid) and not isinstance(e, LastBufferDequeued)
    assert "link validation" in e.title and "mediatui check" in e.explanation


def test_epipe_elsewhere_is_not_filed_as_last_buffer() -> None:
    e = media_error(errno.EPIPE, ioctl="VIDIOC_QBUF", path="v")
    assert type(e) is MediaError


def test_eacces_as_root_is_not_about_mode_bits() -> None:
    facts = NodeAccess("/dev/video0", 0o000, "root", "root", 0, "root", 0, in_group=True)
    e = media_error(errno.EACCES, ioctl="open", path="/dev/video0", facts=facts)
    assert "nodev" in e.explanation and "usermod" not in e.explanation
