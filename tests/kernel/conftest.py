"""Fixtures for kernel-tier tests. These run only inside the guest (see vm.py).

Node names below are for the default boot (vivid.n_devs=3 vivid.multiplanar=1,2,1
vivid.allocators=0,0,1); every fixture looks its node up by sysfs name, never by number.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from kernel import vm

# An instance of the harness's own, outside mediatui's ``mediatui-<pid>`` names.
HOLD_INSTANCE = "/sys/kernel/tracing/instances/harness-hold-cmdline"


@pytest.fixture(scope="session", autouse=True)
def _hold_comm_recording() -> Iterator[None]:
    """Keep the kernel's comm recording on for the whole guest session.

    Enabling a trace event in any instance registers probes on sched_switch and
    sched_waking (``tracing_start_cmdline_record``), the last one disabled unregisters
    them, and each (un)registration rewrites those tracepoints' static calls in live
    kernel text (``text_poke_bp``).  Under QEMU's TCG a vCPU can still run the old
    translation with the temporary int3 after the patch completes: the guest died with
    "int3: 0000 [#2]" in ``ttwu_do_wakeup`` while ``mediatui attach`` disabled its
    events (``tracing_stop_cmdline_record``; the kernel tier, 2026-11-30), an
    emulator fault that real CPUs do not have.  One rare event (sched_kthread_stop)
    left enabled here keeps that reference above zero, so the tests' attaches never
    patch the scheduler's hottest tracepoints.  The attach tests still create, enable,
    disable and remove their own instance."""
    if not vm.in_vm() or not os.path.isdir(os.path.dirname(HOLD_INSTANCE)):
        yield
        return
    try:
        os.mkdir(HOLD_INSTANCE)
        with open(f"{HOLD_INSTANCE}/events/sched/sched_kthread_stop/enable", "w") as f:
            f.write("1")
    except OSError as exc:  # without it the tests still run, unprotected
        print(f"kernel tier: cannot hold comm recording: {exc}")
    yield
    try:
        with open(f"{HOLD_INSTANCE}/events/sched/sched_kthread_stop/enable", "w") as f:
            f.write("0")
        os.rmdir(HOLD_INSTANCE)
    except OSError:
        pass


@pytest.fixture(autouse=True)
def _only_in_the_guest() -> None:
    if not vm.in_vm():
        pytest.fail(
            "a kernel-tier test ran outside the VM: run it through the outer pytest, "
            f"which boots the test kernel ({vm.ENV_IN_VM}=1 is set only in the guest)"
        )


def _node(name: str) -> str:
    try:
        path = vm.node_by_name(name)
    except LookupError as exc:
        pytest.fail(str(exc))
    if not os.path.exists(path):
        pytest.fail(f"{name!r} is {path} in sysfs, but {path} does not exist")
    return path


@pytest.fixture
def node_by_name() -> Callable[[str], str]:
    """``node_by_name("vim2m") -> "/dev/video3"``; fails the test if there is none."""
    return _node


@pytest.fixture
def vivid_cap() -> str:
    """First vivid instance, single-planar video capture (vmalloc): vivid-000-vid-cap."""
    return _node("vivid-000-vid-cap")


@pytest.fixture
def vivid_cap_mplane() -> str:
    """Second vivid instance, multiplanar video capture: vivid-001-vid-cap."""
    return _node("vivid-001-vid-cap")


@pytest.fixture
def vivid_cap_contig() -> str:
    """Third vivid instance, single-planar capture on dma-contig: vivid-002-vid-cap."""
    return _node("vivid-002-vid-cap")


@pytest.fixture
def vivid_out() -> str:
    """First vivid instance, single-planar video output: vivid-000-vid-out."""
    return _node("vivid-000-vid-out")


@pytest.fixture
def vim2m() -> str:
    """The vim2m mem2mem node (OUTPUT + CAPTURE queues)."""
    return _node("vim2m")


@pytest.fixture
def dvb_adapter() -> dict[str, str]:
    """vidtv's adapter: {"adapter", "frontend", "demux", "dvr"} -> /dev/dvb/adapterN/... paths."""
    try:
        paths = vm.dvb_adapter_paths("vidtv")
    except LookupError as exc:
        pytest.fail(str(exc))
    for key in ("frontend", "demux", "dvr"):
        if not os.path.exists(paths[key]):
            pytest.fail(f"vidtv {key} node {paths[key]} does not exist")
    return paths
