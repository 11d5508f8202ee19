"""Queue ownership (K1, K4), count negotiation (K3) and CREATE_BUFS rules (K7)."""

from __future__ import annotations

import errno

from core.video import VideoDevice
from scenarios import Rig, scenario
from scenarios.helpers import CAP, DMABUF, MMAP, OUT, expect_error


@scenario
def scenario_second_handle_reqbufs_busy(rig: Rig) -> None:
    """A second file handle's REQBUFS gets EBUSY while the first owns the queue."""
    with VideoDevice(rig.capture) as owner, VideoDevice(rig.capture) as other:
        owner.request_buffers(CAP, MMAP, 2)
        with expect_error(errno.EBUSY, ioctl="VIDIOC_REQBUFS") as e:
            other.request_buffers(CAP, MMAP, 2)
        assert "owns" in e.value.title


@scenario
def scenario_second_handle_querybuf_allowed(rig: Rig) -> None:
    """QUERYBUF from a non-owner is allowed and sees the owner's buffers."""
    with VideoDevice(rig.capture) as owner, VideoDevice(rig.capture) as other:
        alloc = owner.request_buffers(CAP, MMAP, 2)
        other.queue(CAP).memory = MMAP
        state = other.query_buffer(CAP, alloc.granted - 1)
        assert state.index == alloc.granted - 1 and state.planes[0].length > 0


@scenario
def scenario_second_handle_expbuf_busy(rig: Rig) -> None:
    """A non-owner cannot export the owner's buffers: EBUSY."""
    with VideoDevice(rig.capture) as owner, VideoDevice(rig.capture) as other:
        owner.request_buffers(CAP, MMAP, 2)
        with expect_error(errno.EBUSY, ioctl="VIDIOC_EXPBUF"):
            other.export_buffer(CAP, 0, 0)


@scenario
def scenario_owner_release_on_free(rig: Rig) -> None:
    """After the owner's REQBUFS(0), another handle can allocate."""
    with VideoDevice(rig.capture) as owner, VideoDevice(rig.capture) as other:
        owner.request_buffers(CAP, MMAP, 2)
        owner.free_buffers(CAP)
        assert other.request_buffers(CAP, MMAP, 2).granted >= 2


@scenario
def scenario_owner_release_on_close(rig: Rig) -> None:
    """Closing the owner's fd releases the queue for others."""
    owner = VideoDevice(rig.capture)
    owner.request_buffers(CAP, MMAP, 2)
    owner.close()
    with VideoDevice(rig.capture) as other:
        assert other.request_buffers(CAP, MMAP, 3).granted >= 3


@scenario
def scenario_reqbufs_grants_at_least_minimum(rig: Rig) -> None:
    """Asking for 1 buffer may be raised to the driver's minimum; the granted count is real."""
    with VideoDevice(rig.capture) as dev:
        alloc = dev.request_buffers(CAP, MMAP, 1)
        assert alloc.requested == 1 and alloc.granted >= 1
        assert dev.queue_state(CAP).num_buffers == alloc.granted


@scenario
def scenario_reqbufs_caps_at_max(rig: Rig) -> None:
    """Asking for more than VIDEO_MAX_FRAME (32) gives at most 32 on this kernel."""
    with VideoDevice(rig.capture) as dev:
        alloc = dev.request_buffers(CAP, MMAP, 64)
        assert 1 <= alloc.granted <= 32


@scenario
def scenario_create_bufs_appends(rig: Rig) -> None:
    """CREATE_BUFS adds buffers after the existing ones: index = previous count."""
    with VideoDevice(rig.capture) as dev:
        first = dev.request_buffers(CAP, MMAP, 2)
        more = dev.create_buffers(CAP, MMAP, 2)
        assert more.first_index == first.granted
        assert dev.queue_state(CAP).num_buffers == first.granted + more.granted


@scenario
def scenario_create_bufs_memory_mismatch(rig: Rig) -> None:
    """CREATE_BUFS with another memory type than the existing buffers gives EINVAL."""
    with VideoDevice(rig.capture) as dev:
        dev.request_buffers(CAP, MMAP, 2)
        with expect_error(errno.EINVAL, ioctl="VIDIOC_CREATE_BUFS") as e:
            dev.create_buffers(CAP, DMABUF, 1)
        assert "Memory type" in e.value.title


@scenario
def scenario_create_bufs_larger_size(rig: Rig) -> None:
    """CREATE_BUFS with a larger plane size than the format needs uses it unchanged."""
    with VideoDevice(rig.capture) as dev:
        size = dev.get_format(CAP).planes[0].sizeimage + (1 << 20)
        alloc = dev.create_buffers(CAP, MMAP, 1, sizes=[size])
        state = dev.queue_state(CAP).buffers[alloc.first_index]
        assert state.planes[0].length >= size


@scenario
def scenario_probe_is_side_effect_free(rig: Rig) -> None:
    """The probe (CREATE_BUFS count 0) works while another handle owns the queue and
    leaves its buffers in place."""
    with VideoDevice(rig.capture) as owner, VideoDevice(rig.capture) as prober:
        alloc = owner.request_buffers(CAP, MMAP, 3)
        (probe,) = prober.probe([CAP])
        assert MMAP in probe.memory_types and DMABUF in probe.memory_types
        assert probe.method == "CREATE_BUFS(0)"
        assert owner.query_buffer(CAP, alloc.granted - 1).index == alloc.granted - 1


@scenario
def scenario_streamon_without_buffers(rig: Rig) -> None:
    """STREAMON with no buffers allocated gives EINVAL, explained."""
    with VideoDevice(rig.output) as dev:
        with expect_error(errno.EINVAL, ioctl="VIDIOC_STREAMON") as e:
            dev.stream_on(OUT)
        assert "buffers" in e.value.title.lower()


@scenario
def scenario_streamoff_without_streamon(rig: Rig) -> None:
    """STREAMOFF always succeeds for the right type, even without STREAMON."""
    with VideoDevice(rig.capture) as dev:
        dev.request_buffers(CAP, MMAP, 2)
        dev.stream_off(CAP)
        assert not dev.queue_state(CAP).streaming
