"""Discovery and hotplug on the real drivers: udevd runs in the guest, vivid can be
unbound and bound again (``/sys/bus/platform/drivers/vivid/{unbind,bind}``).

Latency is measured per uevent against a reference: a bare NETLINK_KOBJECT_UEVENT
socket read by a thread of its own stamps the moment the kernel's message for each
SEQNUM arrived; the watcher's event for the same SEQNUM is compared with it.  For the
udev source that includes udevd running its rules.  The times are printed (``-rP``
or ``-s`` shows them).

Order matters at the end of this module: the test without udevd stops it and starts
it again (with a coldplug trigger and settle), so later modules see the usual guest.
"""

from __future__ import annotations

import compileall
import contextlib
import json
import os
import re
import select
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core.discovery import (
    SOURCE_NETLINK,
    SOURCE_SYSFS,
    SOURCE_UDEV,
    SOURCE_UDEV_KERNEL,
    DeviceList,
    HotplugEvent,
    Watcher,
    discover,
    udevd_running,
)
from core.discovery.netlink import NETLINK_KOBJECT_UEVENT
from kernel import vm

REPO = Path(__file__).resolve().parents[2]
DRIVER_DIR = Path("/sys/bus/platform/drivers/vivid")
VIVID0 = "vivid.0"
LATENCY_BUDGET_S = 0.200

if not vm.in_vm():
    # The guest's root is read-only: bytecode it cannot find on disk it compiles on
    # every start, which under TCG costs more than the test.  Compile on the host.
    compileall.compile_dir(REPO / "core", quiet=2)
    compileall.compile_dir(REPO / "mediatui", quiet=2)


def report(text: str) -> None:
    """Measurements go to the captured output: `pytest -rP` (or -s) shows them."""
    print(text, flush=True)


# --- what other tools see ------------------------------------------------------------------


def v4l2_ctl_paths() -> set[str]:
    exe = shutil.which("v4l2-ctl")
    if exe is None:
        pytest.skip("v4l2-ctl not found: apt-get install v4l-utils")
    out = subprocess.run(
        [exe, "--list-devices"], capture_output=True, text=True, timeout=120, check=False
    ).stdout
    return {
        line.strip()
        for line in out.splitlines()
        if line[:1].isspace() and line.strip().startswith("/dev/")
    }


def dvb_paths() -> set[str]:
    return {str(p) for p in Path("/dev/dvb").glob("adapter*/*")}


def subdev_paths() -> set[str]:
    # v4l2-ctl 1.22's --list-devices leaves out v4l-subdev nodes: sysfs lists them.
    return {f"/dev/{p.name}" for p in Path("/sys/class/video4linux").glob("v4l-subdev*")}


def assert_same_nodes_as_the_tools(devices: DeviceList) -> set[str]:
    listed = {n.path for n in devices.nodes}
    expected = v4l2_ctl_paths() | dvb_paths() | subdev_paths()
    assert listed == expected, (
        f"only discovery: {sorted(listed - expected)}; only the tools: {sorted(expected - listed)}"
    )
    return listed


def vivid0_paths(devices: DeviceList) -> set[str]:
    """Every node on vivid.0: all its instances (n_devs) hang off that one device."""
    return {n.path for g in devices.groups if g.sysname == VIVID0 for n in g.nodes}


# --- listing ---------------------------------------------------------------------------------


def test_discover_lists_what_v4l2_ctl_lists_plus_dvb_grouped_by_device():
    devices = discover()
    assert devices.source == SOURCE_UDEV
    assert_same_nodes_as_the_tools(devices)
    groups = {g.bus_info: g for g in devices.groups}
    # vivid.0 carries its three instances; each is a device of its own.
    assert [g.instance for g in devices.groups if g.sysname == VIVID0] == [
        "platform:vivid-000",
        "platform:vivid-001",
        "platform:vivid-002",
    ]
    vivid = groups["platform:vivid-000"]
    kinds = {n.name: n.kind for n in vivid.nodes}
    assert kinds["vivid-000-vid-cap"] == "video-capture"
    assert kinds["vivid-000-meta-cap"] == "meta-capture"  # udev's capabilities miss it
    assert kinds["vivid-000-touch-cap"] == "touch"
    assert vivid.nodes[0].subsystem == "media"
    assert (vivid.driver, vivid.bus_info, vivid.id_path) == (
        "vivid",
        "platform:vivid-000",
        "platform-vivid.0",
    )
    cap = next(n for n in vivid.nodes if n.name == "vivid-000-vid-cap")
    assert cap.by_path == ("/dev/v4l/by-path/platform-vivid.0-video-index0",)
    assert cap.prop("ID_V4L_PRODUCT") == "vivid"
    assert [n.kind for n in groups["platform:vim2m"].nodes] == ["media", "video-m2m"]
    # vidtv's DVB nodes hang under its own i2c-0: still one adapter, one device.
    assert [n.kind for n in groups["platform:vidtv"].nodes] == [
        "media",
        "dvb-frontend",
        "dvb-demux",
        "dvb-dvr",
    ]
    demux = groups["platform:vidtv"].nodes[2]
    assert (demux.prop("DVB_ADAPTER_NUM"), demux.prop("DVB_DEVICE_TYPE")) == ("0", "demux")
    assert demux.driver == "vidtv"
    assert not [n for n in devices.nodes if n.error], "every node should answer QUERYCAP"


def test_sysfs_fallback_sees_the_same_nodes_kinds_and_groups():
    udev, fallback = discover(), discover(force_fallback=True)
    assert fallback.source == SOURCE_SYSFS
    assert fallback.notice is not None
    assert_same_nodes_as_the_tools(fallback)

    def shape(devices: DeviceList) -> dict[str, list[tuple[str, str, str]]]:
        return {g.devpath: [(n.path, n.kind, n.driver) for n in g.nodes] for g in devices.groups}

    assert shape(fallback) == shape(udev)
    # udevd's links exist on disk, so even without libudev the by-path names show;
    # vivid's instances share one platform device and so collide on by-path names:
    # only the instance a link points at gets it.
    udev_links = {n.path: set(n.by_path) for n in udev.nodes}
    assert all(set(n.by_path) <= udev_links[n.path] for n in fallback.nodes)
    assert any(n.by_path for n in fallback.nodes)


# --- hotplug --------------------------------------------------------------------------------


class UeventStamps:
    """When each uevent (by SEQNUM) reached userspace, from the kernel (group 1) and from
    udevd's re-broadcast after its rules (group 2): the latency references.

    The thread only stamps raw messages; parsing waits until the cycle is over, so the
    reference costs the watcher under test as little CPU as possible.
    """

    GROUPS = 1 | 2  # kernel and udev multicast groups of NETLINK_KOBJECT_UEVENT

    def __init__(self) -> None:
        self.raw: list[tuple[float, bytes]] = []
        self._sock = socket.socket(
            socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT
        )
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self._sock.bind((0, self.GROUPS))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="uevent-stamps", daemon=True)

    def __enter__(self) -> UeventStamps:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2)
        self._sock.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            if not select.select([self._sock], [], [], 0.05)[0]:
                continue
            now = time.monotonic()
            with contextlib.suppress(BlockingIOError):
                while True:
                    self.raw.append((now, self._sock.recv(8192)))

    def seen(self) -> tuple[dict[int, float], dict[int, float]]:
        """(kernel, udevd): SEQNUM -> when its message arrived."""
        kernel: dict[int, float] = {}
        udevd: dict[int, float] = {}
        for at, data in self.raw:
            match = re.search(rb"(?:^|\0)SEQNUM=(\d+)\0", data)
            if match:
                stamps = udevd if data.startswith(b"libudev\0") else kernel
                stamps.setdefault(int(match.group(1)), at)
        return kernel, udevd


class EventLog:
    """Events from the watcher thread, when each was handed over, and a flag raised
    once every expected node went (or came) and the driver (un)bound."""

    def __init__(self, expected: set[str]) -> None:
        self.events: list[HotplugEvent] = []
        self.delivered: list[float] = []  # when on_event ran: what a UI would see
        self.expected = expected
        self.pending = {"remove": set(expected), "add": set(expected)}
        self.done = {"unbind": threading.Event(), "bind": threading.Event()}

    def __call__(self, event: HotplugEvent) -> None:
        self.delivered.append(time.monotonic())
        self.events.append(event)
        if event.action in self.pending:
            self.pending[event.action].discard(event.path or "")
        stage = {"remove": "unbind", "add": "bind"}.get(event.action, event.action)
        waiting = self.pending["remove" if stage == "unbind" else "add"]
        if stage in self.done and not waiting and self._seen(stage):
            self.done[stage].set()

    def _seen(self, action: str) -> bool:
        return any(e.action == action for e in self.events)


def write_sysfs(path: Path, value: str) -> tuple[float, float]:
    start = time.monotonic()
    path.write_text(value)
    return start, time.monotonic()


ATTEMPTS = 3


def hotplug(
    make_watcher: Callable[[], Watcher],
    expected: set[str],
    label: str,
    devices: DeviceList,
    *,
    share: float = 1.0,
) -> Watcher:
    """Unbind and bind vivid.0 under a running watcher: every node goes and comes back,
    in the kernel's order, and events are seen within the budget: every one of them,
    or at least ``share`` of them.

    The guest is a 2-vCPU TCG machine on a shared host, and vivid's probe holds a vCPU
    in the kernel for most of a second: a thread woken then can wait for a CPU longer
    than the budget whatever it runs.  So up to ATTEMPTS cycles are measured (all are
    reported) and the first inside the budget passes; the event checks hold for every
    cycle.  With udevd, its workers (fork, exec v4l_id, under TCG) fill both vCPUs for
    seconds while they process the burst, which is why that test asks for 95 %.
    """
    late: list[str] = []
    for attempt in range(1, ATTEMPTS + 1):
        watcher = make_watcher()
        events, over = hotplug_cycle(watcher, expected, f"{label}, cycle {attempt}")
        check_events(events, expected, devices)
        subprocess.run(["udevadm", "settle", "--timeout=60"], check=False)
        if len(over) <= (1.0 - share) * len(events):
            return watcher
        late.append(f"cycle {attempt}: {len(over)} of {len(events)} late: {over}")
    wanted = "every event" if share >= 1.0 else f"{share:.0%} of the events"
    pytest.fail(
        f"{label}: {wanted} should be seen within {ms(LATENCY_BUDGET_S)}, in no cycle were:\n"
        + "\n".join(late)
    )


def hotplug_cycle(
    watcher: Watcher, expected: set[str], label: str
) -> tuple[list[HotplugEvent], dict[tuple[str, str], float]]:
    """One unbind/bind of vivid.0 under a running watcher: its events and the ones seen
    later than the budget."""
    log = EventLog(expected)
    stop = threading.Event()
    watcher.open()
    thread = threading.Thread(target=watcher.run, args=(stop, log), name="watcher")
    thread.start()
    try:
        with UeventStamps() as stamps:
            t_unbind = write_sysfs(DRIVER_DIR / "unbind", VIVID0)
            assert log.done["unbind"].wait(60), (
                f"{label}: missing removes {sorted(log.pending['remove'])}"
            )
            t_bind = write_sysfs(DRIVER_DIR / "bind", VIVID0)
            assert log.done["bind"].wait(60), f"{label}: missing adds {sorted(log.pending['add'])}"
            time.sleep(0.2)  # let the reference thread stamp the last messages
    finally:
        stop.set()
        watcher.wake()
        thread.join(5)
    assert not thread.is_alive(), "the watcher did not stop"
    events = list(log.events)
    kernel_at, udevd_at = stamps.seen()
    over = latency(events, log.delivered, kernel_at, udevd_at, label, t_unbind, t_bind)
    return events, over


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def latency(
    events: list[HotplugEvent],
    delivered: list[float],
    kernel_at: dict[int, float],
    udevd_at: dict[int, float],
    label: str,
    t_unbind: tuple[float, float],
    t_bind: tuple[float, float],
) -> dict[tuple[str, str], float]:
    """Reports, and returns the events not seen (read off the watcher's socket:
    ``HotplugEvent.timestamp``) within the budget after the message their source
    delivers: the kernel's uevent or, for the udev source, udevd's re-broadcast.  How
    long udevd itself takes, and when on_event ran (after the adds before it were
    described), is measured and reported.
    """
    via_udevd = label.startswith("udev:")
    seen: dict[tuple[str, str], float] = {}
    handed: list[float] = []
    total: list[float] = []
    udevd: list[float] = []
    for e, at in zip(events, delivered, strict=True):
        assert e.seqnum in kernel_at, f"{label}: no kernel message seen for {e}"
        origin = kernel_at[e.seqnum]
        if via_udevd:
            assert e.seqnum in udevd_at, f"{label}: no udevd message seen for {e}"
            origin = udevd_at[e.seqnum]
            udevd.append(origin - kernel_at[e.seqnum])
        seen[(e.action, e.path or e.sysname)] = e.timestamp - origin
        handed.append(at - origin)
        total.append(at - kernel_at[e.seqnum])
    last = {
        a: max(at for e, at in zip(events, delivered, strict=True) if e.action == a)
        for a in ("remove", "add")
    }
    values = sorted(seen.values())
    origin_name = "udevd's message" if via_udevd else "the kernel's uevent"
    lines = [
        f"[{label}] {len(events)} events. After {origin_name}: seen (socket read) "
        f"median {ms(statistics.median(values))}, max {ms(values[-1])}; handed to "
        f"on_event median {ms(statistics.median(handed))}, max {ms(max(handed))}",
    ]
    if udevd:
        lines.append(
            f"  udevd itself (kernel uevent -> its re-broadcast): median "
            f"{ms(statistics.median(udevd))}, max {ms(max(udevd))}; kernel uevent -> "
            f"on_event: median {ms(statistics.median(total))}, max {ms(max(total))}"
        )
    lines.append(
        f"  unbind write {ms(t_unbind[1] - t_unbind[0])}, last remove handed over "
        f"{ms(last['remove'] - t_unbind[0])} after it began; bind write "
        f"{ms(t_bind[1] - t_bind[0])}, last add {ms(last['add'] - t_bind[0])} after it began"
    )
    report("\n".join(lines))
    return {k: round(v * 1000, 1) for k, v in seen.items() if v > LATENCY_BUDGET_S}


def check_events(events: list[HotplugEvent], expected: set[str], devices: DeviceList) -> None:
    kinds = {n.path: n.kind for n in devices.nodes}
    removes = [e for e in events if e.action == "remove"]
    adds = [e for e in events if e.action == "add"]
    assert {e.path for e in removes} == expected
    assert {e.path for e in adds} == expected
    # A remove says what the node was; an add describes it afresh.
    assert {e.path: e.kind for e in removes} == {p: kinds[p] for p in expected}
    assert {e.path: e.node.kind for e in adds if e.node} == {p: kinds[p] for p in expected}
    actions = [e.action for e in events]
    # The kernel's order: every remove, then unbind; every add, then bind.
    assert actions.index("unbind") > max(i for i, a in enumerate(actions) if a == "remove")
    assert actions.index("bind") > max(i for i, a in enumerate(actions) if a == "add")
    assert all(e.driver == "vivid" for e in events if e.action in ("bind", "unbind"))


@pytest.fixture
def vivid_back() -> Iterator[None]:
    """Whatever a test does, vivid.0 is bound again afterwards."""
    yield
    if not (DRIVER_DIR / VIVID0).exists():
        (DRIVER_DIR / "bind").write_text(VIVID0)


def test_udev_watcher_sees_vivid_unbind_and_bind(vivid_back):
    devices = discover()
    expected = vivid0_paths(devices)
    watcher = hotplug(
        lambda: Watcher(known=devices.nodes),
        expected,
        "udev: udevd running",
        devices,
        share=0.95,
    )
    assert watcher.source == SOURCE_UDEV


def test_netlink_fallback_sees_the_same_events(vivid_back):
    devices = discover()
    expected = vivid0_paths(devices)
    watcher = hotplug(
        lambda: Watcher(known=devices.nodes, force_fallback=True),
        expected,
        "netlink (forced fallback)",
        devices,
    )
    assert watcher.source == SOURCE_NETLINK


def test_mediatui_watch_shows_an_unbind_and_bind(vivid_back):
    """What a user sees: `mediatui watch` while vivid is unbound and bound again."""
    expected = vivid0_paths(discover())
    count = 2 * len(expected) + 2  # every remove and add, the unbind and the bind
    proc = subprocess.Popen(
        [sys.executable, "-m", "mediatui", "watch", "--count", str(count), "--timeout", "300"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        banner = proc.stderr.readline()  # printed once the socket listens
        assert banner.startswith("watching "), banner + proc.stderr.read()
        (DRIVER_DIR / "unbind").write_text(VIVID0)
        time.sleep(0.5)
        (DRIVER_DIR / "bind").write_text(VIVID0)
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    report(f"$ mediatui watch\n{banner}{out}")
    assert proc.returncode == 0, err
    lines = out.splitlines()
    assert len(lines) == count
    assert sum(" remove " in line for line in lines) == len(expected)
    assert sum(" add " in line for line in lines) == len(expected)
    assert "unbind  platform vivid.0  driver=vivid" in out
    subprocess.run(["udevadm", "settle", "--timeout=30"], check=False)


# --- without udevd (last: it stops udevd, then restores it) -------------------------------


def udevd_binary() -> str:
    for candidate in ("/usr/lib/systemd/systemd-udevd", "/lib/systemd/systemd-udevd"):
        if os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("udevd") or shutil.which("systemd-udevd")
    if found is None:
        pytest.skip("no udevd binary in the guest")
    return found


@pytest.fixture
def no_udevd(vivid_back) -> Iterator[None]:
    """udevd stopped for one test, then started again and made to replay the devices
    (as virtme-ng's init does at boot) so the nodes get their links and modes back."""
    binary = udevd_binary()
    subprocess.run(["udevadm", "control", "--exit"], check=True, timeout=60)
    try:
        deadline = time.monotonic() + 10
        while udevd_running() and time.monotonic() < deadline:
            time.sleep(0.05)
        yield
    finally:
        if not (DRIVER_DIR / VIVID0).exists():
            (DRIVER_DIR / "bind").write_text(VIVID0)
        subprocess.run([binary, "--daemon"], check=True, timeout=60)
        for kind in ("subsystems", "devices"):
            subprocess.run(
                ["udevadm", "trigger", f"--type={kind}", "--action=add"], check=False, timeout=120
            )
        subprocess.run(["udevadm", "settle", "--timeout=120"], check=False)
    assert udevd_running()


def test_without_udevd_discovery_and_watcher_use_kernel_events(no_udevd):
    assert not udevd_running()
    devices = discover()
    assert devices.source == SOURCE_UDEV_KERNEL
    assert_same_nodes_as_the_tools(devices)
    expected = vivid0_paths(devices)
    watcher = hotplug(
        lambda: Watcher(known=devices.nodes), expected, "udev kernel source, no udevd", devices
    )
    assert watcher.source == SOURCE_UDEV_KERNEL


# --- many nodes (a boot of its own) --------------------------------------------------------


def timed(argv: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=600, cwd=REPO)
    return time.monotonic() - start, proc


@pytest.mark.kernel_args("vivid.n_devs=16")
def test_list_json_with_sixteen_vivid_instances():
    v4l2_ctl = shutil.which("v4l2-ctl")
    if v4l2_ctl is None:
        pytest.skip("v4l2-ctl not found: apt-get install v4l-utils")
    # Best of two for each: the first run also pays for reading files over 9p.
    ctl = [timed([v4l2_ctl, "--list-devices"]) for _ in range(2)]
    ours = [timed([sys.executable, "-m", "mediatui", "list", "--json"]) for _ in range(2)]
    inproc = []
    for _ in range(2):
        start = time.monotonic()
        devices = discover()
        inproc.append(time.monotonic() - start)
    for _, proc in ctl + ours:
        assert proc.returncode == 0, proc.stderr
    t_ctl, t_ours, t_discover = (min(t for t, _ in ctl), min(t for t, _ in ours), min(inproc))
    listing = json.loads(ours[-1][1].stdout)
    listed = {d["path"] for d in listing["devices"]}
    assert len(listed) > 100
    assert listed == v4l2_ctl_paths() | dvb_paths() | subdev_paths()
    assert len([g for g in listing["groups"] if g["sysname"].startswith("vivid.")]) == 16
    report(
        f"[n_devs=16] {len(listed)} nodes in {len(listing['groups'])} devices: "
        f"`mediatui list --json` {t_ours:.2f} s, `v4l2-ctl --list-devices` {t_ctl:.2f} s, "
        f"ratio {t_ours / t_ctl:.1f}; discover() in-process {t_discover:.2f} s "
        f"(ratio {t_discover / t_ctl:.1f}); all runs: ours "
        f"{[round(t, 2) for t, _ in ours]}, v4l2-ctl {[round(t, 2) for t, _ in ctl]}, "
        f"discover {[round(t, 2) for t in inproc]}"
    )
    assert devices.source == SOURCE_UDEV
