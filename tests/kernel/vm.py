"""The kernel test tier: pytest tests that run inside a real Linux 6.1 guest.

How it works
------------
Tests under ``tests/kernel/`` are ordinary pytest functions. The outer pytest (on the
host) collects them like any other test, but never runs them: :class:`HostPlugin`
takes over their ``pytest_runtest_protocol``. At the first kernel test of a *boot
group* it boots the test kernel once with virtme-ng (``vng --run BZIMAGE
--disable-kvm``), and inside the guest the same interpreter (``sys.executable``; the
host root is the guest's read-only root) runs ``python -m pytest`` on exactly the
kernel tests of that group, with ``MEDIATUI_IN_VM=1``. In the guest
:class:`GuestPlugin` deselects everything else and appends every test report,
serialized with pytest's own ``pytest_report_to_serializable``, to
``reports.jsonl`` in a host directory shared read-write with ``--rwdir``. Back on the
host, each kernel test reports the guest's setup/call/teardown reports as its own:
pass stays pass, a failure shows the guest's traceback and captured output, a skip
keeps its reason (``-rs``), xfail stays xfail.

A boot group is the set of tests with the same extra kernel arguments: the default
group boots with :data:`DEFAULT_KERNEL_ARGS`, and
``@pytest.mark.kernel_args("vivid.n_devs=16")`` puts a test into a boot of its own
with those arguments appended (a later ``module.param=`` overrides an earlier one).

Prerequisites: ``qemu-system-x86_64`` (apt ``qemu-system-x86``), ``udevadm`` (apt
``udev``: virtme-ng's ``--exec`` I/O needs udevd in the guest), ``vng`` (pip
``virtme-ng``, in ``.[test]``) and the kernel image (env ``MEDIATUI_TEST_KERNEL``,
default ``../shared/kernel/bzImage`` relative to the repository root). Outside CI a
missing prerequisite skips the kernel tests and says what to install. With
``CI=true`` it is a failure, every skipped kernel test is a failure, and a VM that
does not boot or an inner run that crashes fails every test without a result, with
the tail of the guest's output in the message. A boot's run is bounded by
``MEDIATUI_VM_TIMEOUT`` seconds (default: 900, or 120 + 15 per test when more); on
timeout the VM is killed. In the
guest, a test phase (setup, call or teardown) that runs longer than
``MEDIATUI_VM_TEST_TIMEOUT`` seconds (default 300) is failed where it hangs, and the
run goes on with the next test.

Other knobs: ``pytest -s`` (or ``MEDIATUI_VM_VERBOSE=1``) streams the guest's output
live; ``MEDIATUI_VM_KEEP=1`` keeps the run directory (``vng.log``, ``reports.jsonl``)
even after a green run; ``MEDIATUI_VM_9P_CACHE=none`` turns off the guest's caching
of the read-only root (see :func:`root_cache_args`). The guest kernel's console
(oopses, panics, the OOM killer) goes into ``vng.log`` and into a crash's failure
message unless ``MEDIATUI_VM_CONSOLE=0`` (see :func:`console_args`). A guest that
crashes fails the test it was running, and the tests it had not started run in a new
boot, at most ``MEDIATUI_VM_RESTARTS`` times per boot group (default 1). The outer
``-v``/``-q``, ``--tb``, ``-l`` and ``-s`` are passed to the inner pytest.

Devices in the guest with the default arguments
-----------------------------------------------
``vivid.n_devs=3 vivid.multiplanar=1,2,1 vivid.allocators=0,0,1`` gives three vivid
instances: ``vivid-000`` single-planar/vmalloc, ``vivid-001`` multiplanar/vmalloc,
``vivid-002`` single-planar/dma-contig. Seen on 6.1.192-mediatest (probe order is
vicodec, vim2m, vimc, vivid, so numbers are an accident: look nodes up by name with
:func:`node_by_name`, which reads ``/sys/class/video4linux/*/name``)::

    video0  stateful-encoder   (vicodec)   video7   vivid-000-vid-cap
    video1  stateful-decoder   (vicodec)   video8   vivid-000-vid-out
    video2  stateless-decoder  (vicodec)   video9   vivid-000-meta-cap
    video3  vim2m                          video10  vivid-000-meta-out
    video4  Raw Capture 0      (vimc)      video11  vivid-001-vid-cap  (multiplanar)
    video5  Raw Capture 1      (vimc)      video12  vivid-001-vid-out  (multiplanar)
    video6  RGB/YUV Capture    (vimc)      video13/14 vivid-001-meta-cap/-out
    v4l-subdev0..7 (vimc: Sensor A/B, Debayer A/B, RGB/YUV Input, Scaler, Lens A/B)
    video15..18 vivid-002-vid-cap, -vid-out, -meta-cap, -meta-out  (dma-contig)
    vbi0..5 vivid-00N-vbi-cap/-out   radio0..5 vivid-00N-rad-rx/-tx
    swradio0..2 vivid-00N-sdr-cap    v4l-touch0..2 vivid-00N-touch-cap
    media0 vidtv, media1 vicodec, media2 vim2m, media3 vimc, media4..6 vivid-000..002
    /dev/dvb/adapter0/{frontend0,demux0,dvr0}   (vidtv; sysfs dvb0.frontend0 etc.)
    /dev/dma_heap/system  /dev/udmabuf  /dev/cec0 /dev/cec1

udevd runs in the guest, so nodes are ``root:video`` 0660 and the tests run as root.
"""

from __future__ import annotations

import contextlib
import faulthandler
import fcntl
import itertools
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest
from _pytest.reports import TestReport

KERNEL_DIR = Path(__file__).resolve().parent
REPO_ROOT = KERNEL_DIR.parent.parent

DEFAULT_KERNEL_ARGS: tuple[str, ...] = (
    "vivid.n_devs=3",
    "vivid.multiplanar=1,2,1",
    "vivid.allocators=0,0,1",
)
GUEST_RELEASE = "6.1.192-mediatest"
DEFAULT_TIMEOUT_S = 900.0  # one boot's whole guest run, at least
PER_TEST_BUDGET_S = 15.0  # ... plus this per test (the default boot runs ~150 tests)
DEFAULT_TEST_TIMEOUT_S = 300.0  # one phase (setup, call, teardown) of one test
VM_MEMORY = "2G"
VM_CPUS = 2
TAIL_LINES = 60
# Installed pytest plugins to load in the guest (autoloading is off there, see
# guest_command); the root of the host is read-only there, so no cacheprovider.
GUEST_PLUGINS: tuple[str, ...] = ()

ENV_IN_VM = "MEDIATUI_IN_VM"
ENV_VM_DIR = "MEDIATUI_VM_DIR"
ENV_MARK_FD = "MEDIATUI_VM_MARK_FD"
ENV_KERNEL = "MEDIATUI_TEST_KERNEL"
ENV_TIMEOUT = "MEDIATUI_VM_TIMEOUT"
ENV_TEST_TIMEOUT = "MEDIATUI_VM_TEST_TIMEOUT"
ENV_VERBOSE = "MEDIATUI_VM_VERBOSE"
ENV_KEEP = "MEDIATUI_VM_KEEP"
ENV_9P_CACHE = "MEDIATUI_VM_9P_CACHE"
ENV_CONSOLE = "MEDIATUI_VM_CONSOLE"  # 0: no guest kernel console in vng.log
ENV_RESTARTS = "MEDIATUI_VM_RESTARTS"  # new boots after a crash, per boot group
ENV_VNG = "MEDIATUI_VNG"  # another vng executable (the harness's own tests use a fake)

MARK_PREFIX = "@@mediatui-vm@@ "
INSTALL_HINT = (
    "apt-get install qemu-system-x86 udev v4l-utils dvb-tools; "
    "pip install -e '.[test]'; "
    f"set {ENV_KERNEL}=/path/to/bzImage (default ../shared/kernel/bzImage)"
)


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def in_ci() -> bool:
    return _truthy(os.environ.get("CI"))


def restarts_allowed(environ: Mapping[str, str] | None = None) -> int:
    """``MEDIATUI_VM_RESTARTS``: new boots allowed per boot group after a crash
    (default 1). Raises pytest.UsageError, at start-up, for anything but an integer >= 0."""
    environ = os.environ if environ is None else environ
    value = (environ.get(ENV_RESTARTS) or "").strip()
    if not value:
        return 1
    try:
        n = int(value)
    except ValueError:
        n = -1
    if n < 0:
        raise pytest.UsageError(f"{ENV_RESTARTS}={value!r}: expected an integer >= 0")
    return n


def in_vm() -> bool:
    return os.environ.get(ENV_IN_VM) == "1"


# --------------------------------------------------------------------------------------
# Guest-side helpers for tests (used by tests/kernel/conftest.py fixtures)


def node_by_name(name: str, sysfs: str | os.PathLike[str] = "/sys/class/video4linux") -> str:
    """``/dev/<node>`` of the V4L2 node whose sysfs ``name`` is exactly *name*.

    Raises :class:`LookupError` listing the names present when there is none.
    """
    seen: list[str] = []
    root = Path(sysfs)
    entries = sorted(root.iterdir()) if root.is_dir() else []
    for entry in entries:
        try:
            node_name = (entry / "name").read_text().strip()
        except OSError:
            continue
        if node_name == name:
            return f"/dev/{entry.name}"
        seen.append(f"{entry.name}={node_name!r}")
    raise LookupError(f"no V4L2 node named {name!r} in {root}; present: {', '.join(seen)}")


def dvb_adapter_paths(driver: str = "vidtv", sysfs: str = "/sys/class/dvb") -> dict[str, str]:
    """Device paths of the DVB adapter whose sysfs device path mentions *driver*.

    Returns ``{"adapter": "/dev/dvb/adapterN", "frontend": ".../frontend0",
    "demux": ".../demux0", "dvr": ".../dvr0"}``.
    """
    root = Path(sysfs)
    entries = sorted(root.glob("dvb*.frontend0")) if root.is_dir() else []
    for entry in entries:
        if driver not in str(entry.resolve()):
            continue
        adapter = entry.name.split(".", 1)[0].removeprefix("dvb")
        base = f"/dev/dvb/adapter{adapter}"
        return {
            "adapter": base,
            "frontend": f"{base}/frontend0",
            "demux": f"{base}/demux0",
            "dvr": f"{base}/dvr0",
        }
    present = ", ".join(e.name for e in sorted(root.iterdir())) if root.is_dir() else "none"
    raise LookupError(f"no DVB adapter driven by {driver!r} in {root}; present: {present}")


# --------------------------------------------------------------------------------------
# Which tests belong to the tier, and to which boot


def is_kernel_item(item: pytest.Item, kernel_dir: Path | None = None) -> bool:
    try:
        return Path(item.path).resolve().is_relative_to(kernel_dir or KERNEL_DIR)
    except (AttributeError, OSError):
        return False


def kernel_args_of(item: pytest.Item) -> tuple[str, ...]:
    """Extra kernel arguments from ``kernel_args`` markers (outermost first)."""
    args: list[str] = []
    for mark in reversed(list(item.iter_markers("kernel_args"))):
        for value in mark.args:
            args.extend(shlex.split(str(value)))
    return tuple(args)


def boot_cmdline(extra: Sequence[str]) -> tuple[str, ...]:
    return DEFAULT_KERNEL_ARGS + tuple(extra)


def root_cache_args(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Kernel args that make the guest cache the read-only 9p root (``cache=loose``).

    virtme-ng 1.42 mounts the host root over 9p without caching, so every import
    stats and reads through to the host: ``import pytest`` took 47 s of which 19 s
    system time on a loaded host, and 18 s with ``cache=loose``. The root is
    read-only in the guest and the repository does not change during a run, so a
    stale cache cannot happen in practice. The last ``rootflags=`` on the command line
    wins; this repeats vng 1.42's flags plus the cache mode.
    ``MEDIATUI_VM_9P_CACHE=none`` keeps vng's own.
    """
    environ = os.environ if environ is None else environ
    mode = environ.get(ENV_9P_CACHE, "loose")
    if mode in ("", "none"):
        return ()
    return (f"rootflags=version=9p2000.L,trans=virtio,access=any,msize=524288,cache={mode}",)


# --------------------------------------------------------------------------------------
# Prerequisites


@dataclass
class Prereqs:
    kernel: Path | None = None
    vng: Path | None = None
    qemu: str | None = None
    udevadm: str | None = None
    missing: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing

    def reason(self) -> str:
        return (
            "kernel tier prerequisites missing: "
            + "; ".join(self.missing)
            + f". To run the kernel tier: {INSTALL_HINT}"
        )


def kernel_image_path(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    value = environ.get(ENV_KERNEL)
    if value:
        return Path(value).expanduser().resolve()
    return (REPO_ROOT.parent / "shared" / "kernel" / "bzImage").resolve()


def find_vng(executable: str | None = None) -> Path | None:
    override = os.environ.get(ENV_VNG)
    if override:
        return Path(override) if os.access(override, os.X_OK) else None
    bindir = Path(executable or sys.executable).parent
    candidate = bindir / "vng"
    if os.access(candidate, os.X_OK):
        return candidate
    found = shutil.which("vng")
    return Path(found) if found else None


def check_prereqs() -> Prereqs:
    pre = Prereqs()
    sbin_path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    pre.qemu = shutil.which("qemu-system-x86_64")
    if not pre.qemu:
        pre.missing.append("qemu-system-x86_64 not found (apt-get install qemu-system-x86)")
    pre.udevadm = shutil.which("udevadm", path=sbin_path)
    if not pre.udevadm:
        pre.missing.append(
            "udevadm not found (apt-get install udev; virtme-ng needs udevd in the guest)"
        )
    pre.vng = find_vng()
    if not pre.vng:
        pre.missing.append("vng (virtme-ng) not found (pip install -e '.[test]')")
    kernel = kernel_image_path()
    if kernel.is_file():
        pre.kernel = kernel
    else:
        pre.missing.append(
            f"kernel image {kernel} not found (set {ENV_KERNEL} to a 6.1 bzImage with the "
            "media test drivers built in, see README 'Testing')"
        )
    return pre


# --------------------------------------------------------------------------------------
# One boot: run the inner pytest in the guest


@dataclass
class BootRun:
    """What one boot (one kernel command line) produced."""

    extra_args: tuple[str, ...]
    nodeids: list[str]
    status: str = "pending"  # ok | crashed | timeout | error | aborted
    message: str = ""
    returncode: int | None = None
    release: str | None = None
    boot_s: float | None = None  # vng start -> first test starts in the guest
    inner_s: float | None = None  # first test starts -> inner session finished
    total_s: float | None = None  # vng start -> vng exited
    pytest_start_s: float | None = None  # vng start -> guest pytest session starts
    guest_uptime_s: float | None = None  # guest clock when its pytest session started
    tail: list[str] = field(default_factory=list)
    rundir: Path | None = None
    log_path: Path | None = None
    reports: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    collect_errors: list[str] = field(default_factory=list)
    inner_exitstatus: int | None = None
    started: list[str] = field(default_factory=list)  # nodeids, in the guest's order
    alarms: list[str] = field(default_factory=list)  # kernel_alarms() of the log
    restarted_as: GuestRun | None = None  # the boot that re-ran the tests after a crash
    rerun: int = 0  # how many tests that new boot re-ran
    rerun_interrupted: str | None = None  # the running test re-ran too (no kernel alarm)

    def finished(self, nodeid: str) -> bool:
        """*nodeid* has all its reports (the last one is its teardown's)."""
        return any(r.get("when") == "teardown" for r in self.reports.get(nodeid, []))

    def running_at_end(self) -> str | None:
        """The test the guest had started and not finished when its run ended, if any."""
        for nodeid in reversed(self.started):
            if not self.finished(nodeid):
                return nodeid
        return None

    @property
    def cmdline(self) -> str:
        return " ".join(boot_cmdline(self.extra_args))

    def failure_text(self, nodeid: str | None = None) -> str:
        """Why a test of this boot (*nodeid*, if given) has no (complete) result."""
        lines = [f"kernel tier: {self.message or 'no result from the guest'}"]
        if nodeid is not None and self.status == "crashed":
            if nodeid == self.running_at_end():
                lines.append(f"the guest died while this test ran ({nodeid})")
                if not self.alarms:
                    lines.append("the guest kernel's console says nothing of why")
            if self.rerun:
                lines.append(
                    f"{self.rerun} test(s) it left ran again in a new boot ({ENV_RESTARTS})"
                )
        lines.append(f"kernel args: {self.cmdline}")
        if self.returncode is not None:
            lines.append(f"vng exit status: {self.returncode}")
        for err in self.collect_errors:
            lines.append("inner collection error:")
            lines.append(err)
        if self.alarms:
            lines.append("--- what the guest kernel said (oops, panic, OOM killer) ---")
            lines.extend(self.alarms)
        if self.tail:
            lines.append(f"--- last {len(self.tail)} lines of the guest's output ---")
            lines.extend(self.tail)
        if self.log_path:
            lines.append(f"--- full log: {self.log_path} ---")
        return "\n".join(lines)


KERNEL_ALARM = re.compile(
    r"Kernel panic|Oops|BUG: |WARNING: |general protection fault|Call Trace:|"
    r"invoked oom-killer|Out of memory|Killed process|segfault at|traps: |"
    r"soft lockup|hung_task|detected stalls|RIP: "
)
CONSOLE_LINE = re.compile(r"^\[\s*\d+\.\d+\]")  # printk's "[   41.523456] "


def kernel_alarms(lines: Iterable[str], *, context: int = 24, limit: int = 120) -> list[str]:
    """The guest console's lines that say why a guest died: each kernel line matching
    :data:`KERNEL_ALARM` (an oops, a panic, the OOM killer, a segfault report) and the
    *context* kernel lines after it (lines without printk's timestamp, the tests' own
    output, are left out), in log order; the last *limit* of them when there are more,
    since a crash comes last."""
    out: list[str] = []
    left = 0
    for line in lines:
        if not CONSOLE_LINE.match(line):
            continue
        if KERNEL_ALARM.search(line):
            left = context
        if left > 0:
            out.append(line)
            left -= 1
    if len(out) > limit:
        out = ["[... earlier lines in vng.log]", *out[-limit:]]
    return out


def inner_pytest_args(config: pytest.Config, paths: Iterable[str]) -> list[str]:
    """The guest's pytest command line, mirroring the outer options that shape reports."""
    args = ["-m", "pytest", "-p", "no:cacheprovider", "--color=no"]
    for plugin in GUEST_PLUGINS:
        args += ["-p", plugin]
    args += ["--rootdir", str(config.rootpath)]
    if config.inipath:
        args += ["-c", str(config.inipath)]
    verbose = config.getoption("verbose", 0) or 0
    if verbose > 0:
        args.append("-" + "v" * verbose)
    elif verbose < 0:
        args.append("-" + "q" * -verbose)
    tbstyle = config.getoption("tbstyle", "auto")
    if tbstyle and tbstyle != "auto":
        args.append(f"--tb={tbstyle}")
    if config.getoption("showlocals", False):
        args.append("-l")
    if config.getoption("capture", "fd") == "no":
        args.append("-s")
    args += sorted(set(paths))
    return args


def guest_command(python: str, pytest_args: Sequence[str], rundir: Path, cwd: Path) -> str:
    """The shell command vng runs in the guest. fd 3 carries the timing markers."""
    bindir = str(Path(python).parent)
    env = {
        ENV_IN_VM: "1",
        ENV_VM_DIR: str(rundir),
        ENV_MARK_FD: "3",
        "PYTHONDONTWRITEBYTECODE": "1",
        # Autoloading the installed plugins (textual-snapshot pulls in textual, syrupy
        # and jinja2) costs tens of seconds under TCG; GUEST_PLUGINS lists the ones
        # kernel tests need.
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    if os.environ.get(ENV_TEST_TIMEOUT):
        env[ENV_TEST_TIMEOUT] = os.environ[ENV_TEST_TIMEOUT]
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    return (
        f"cd {shlex.quote(str(cwd))} && exec 3>&1 && "
        f'export {exports} PATH={shlex.quote(bindir)}:"$PATH" && '
        f"exec {shlex.join([python, *pytest_args])}"
    )


# x86's COMMAND_LINE_SIZE. vng 1.42 passes ``--exec`` base64-encoded on the kernel
# command line (``virtme.exec=``), so a long command makes QEMU refuse the boot: vng
# exited 255 with no output once the checkout lived at /check/work/main instead of
# /work/main (2076 bytes).
KERNEL_CMDLINE_MAX = 2048


def boot_timeout(n_tests: int) -> float:
    """How long one boot's guest run may take before the VM is killed (seconds).

    It bounds a guest that hangs outside any test (a test that hangs is failed where it
    hangs by the per-phase limit), so it grows with the number of tests: a flat 900 s
    killed the default boot's ~150 tests at their end on a loaded 2-core host, when they
    had all passed.
    """
    return max(DEFAULT_TIMEOUT_S, 120.0 + PER_TEST_BUDGET_S * n_tests)


def guest_script(command: str, rundir: Path) -> str:
    """Write *command* to ``rundir/guest.sh``; return the short command that runs it.

    The run directory is shared read-write with the guest (``--rwdir``) at the same
    path, so the kernel command line carries only ``sh <rundir>/guest.sh`` whatever
    the checkout path and the number of test files.
    """
    script = rundir / "guest.sh"
    script.write_text("#!/bin/sh\n" + command + "\n", encoding="utf-8")
    return f"exec sh {shlex.quote(str(script))}"


def console_args(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """vng flags that show the guest kernel's console (unless ``MEDIATUI_VM_CONSOLE=0``).

    vng 1.42 sends the console to /dev/null and boots with ``quiet loglevel=0``, so a
    guest that oopses, panics or meets the OOM killer dies "without a word": a CI run
    once reported only "the guest pytest run ended without finishing", vng exit status
    255, with nothing to tell why.  vng's ``--verbose`` is what passes
    ``--show-boot-console`` to virtme-run (virtme_ng/run.py ``_get_virtme_verbose``):
    the console then goes to QEMU's stderr, which the harness merges into the guest
    output and ``vng.log``, with every printk level, and a crash's failure quotes the
    kernel's own lines (:func:`kernel_alarms`).  It cost no measurable boot time here
    (20.6 s to the first test with it, 20-38 s without).
    """
    environ = os.environ if environ is None else environ
    value = environ.get(ENV_CONSOLE)
    on = True if value is None or not value.strip() else _truthy(value)
    return ("--verbose",) if on else ()


def vng_command(pre: Prereqs, extra: Sequence[str], rundir: Path, command: str) -> list[str]:
    assert pre.vng and pre.kernel
    return [
        str(pre.vng),
        "--run",
        str(pre.kernel),
        "--disable-kvm",
        *console_args(),
        "--user",
        "root",
        "--cpus",
        str(VM_CPUS),
        "--memory",
        VM_MEMORY,
        f"--rwdir={rundir}",
        "--append",
        " ".join(root_cache_args() + boot_cmdline(extra)),
        "--exec",
        command,
    ]


class GuestRun:
    """One boot running in the background; the outer consumes its results as they come.

    The guest appends each report to ``reports.jsonl`` as soon as it is made, so the
    outer run shows kernel tests finishing live instead of all at the end.
    """

    POLL_S = 0.2

    def __init__(
        self,
        config: pytest.Config,
        pre: Prereqs,
        extra: tuple[str, ...],
        items: Sequence[pytest.Item],
        *,
        echo: Callable[[str], None] | None = None,
    ) -> None:
        self.config = config
        self.pre = pre
        self.items = list(items)
        self.echo = echo
        self.result = BootRun(extra_args=extra, nodeids=[item.nodeid for item in items])
        self.timeout = float(os.environ.get(ENV_TIMEOUT) or boot_timeout(len(self.items)))
        self.proc: subprocess.Popen[bytes] | None = None
        self._tail: deque[str] = deque(maxlen=TAIL_LINES)
        self._marks: dict[str, tuple[float, dict[str, Any]]] = {}
        self._offset = 0
        self._buffer = b""
        self._reader: threading.Thread | None = None
        self._log: Any = None
        self._start = 0.0
        self._done = False
        self._lock: IO[str] | None = None
        self._log_lines = 0  # lines written to vng.log after its "$ command" line
        self._test_start_line = 0  # that count when the last test started

    # -- lifecycle

    def start(self) -> None:
        run = self.result
        rundir = Path(tempfile.mkdtemp(prefix="mediatui-kernel-"))
        run.rundir, run.log_path = rundir, rundir / "vng.log"
        (rundir / "selection.json").write_text(json.dumps({"nodeids": run.nodeids}))
        pytest_args = inner_pytest_args(self.config, (str(item.path) for item in self.items))
        command = guest_command(sys.executable, pytest_args, rundir, Path(self.config.rootpath))
        argv = vng_command(self.pre, run.extra_args, rundir, guest_script(command, rundir))
        assert self.pre.vng is not None
        compile_bytecode(Path(self.config.rootpath))
        env = dict(os.environ)
        # vng runs virtme-run through PATH.
        env["PATH"] = os.pathsep.join([str(self.pre.vng.parent), env.get("PATH", "")])
        self._log = open(run.log_path, "w", encoding="utf-8", errors="replace")  # noqa: SIM115
        self._log.write("$ " + shlex.join(argv) + "\n")
        self._log.flush()
        self._lock = acquire_vm_lock(self.echo)
        self._start = time.monotonic()
        try:
            # vng's QEMU writes to /proc/self/fd/1 itself: stdout must be a pipe, not a file.
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=str(self.config.rootpath),
                start_new_session=True,
            )
        except OSError as exc:
            run.status, run.message = "error", f"could not start vng: {exc}"
            self._finish()
            return
        self._reader = threading.Thread(target=self._read_output, name="vng-output", daemon=True)
        self._reader.start()

    def _read_output(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            # A marker may follow pytest's own unterminated progress output.
            at = line.find(MARK_PREFIX)
            if at >= 0:
                with contextlib.suppress(ValueError):
                    data = json.loads(line[at + len(MARK_PREFIX) :])
                    self._marks.setdefault(data.get("event", "?"), (time.monotonic(), data))
                    if data.get("event") == "test-start":
                        self._test_start_line = self._log_lines
                line = line[:at]
                if not line.strip():
                    continue
            self._tail.append(line)
            with contextlib.suppress(ValueError):  # closed after a kill
                self._log.write(line + "\n")
                self._log_lines += 1
            if self.echo:
                self.echo(line)

    def wait_for(self, nodeid: str | None) -> BootRun:
        """Block until *nodeid* has all its reports (None: all), or the run is over."""
        deadline = self._start + self.timeout
        while not self._done:
            self._poll_reports()
            if nodeid is not None and self.result.finished(nodeid):
                break
            assert self.proc is not None
            if self.proc.poll() is not None:
                self._finish()
                break
            if time.monotonic() > deadline:
                self.kill()
                self.result.status = "timeout"
                self.result.message = (
                    f"the guest run timed out after {self.timeout:.0f} s "
                    f"({ENV_TIMEOUT}); the VM was killed"
                )
                self._finish()
                break
            time.sleep(self.POLL_S)
        return self.result

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            _kill_group(self.proc)

    def abort(self, why: str) -> None:
        """Stop a run the outer session no longer needs (-x, Ctrl-C)."""
        if self._done:
            return
        self.kill()
        if self.result.status == "pending":
            self.result.status, self.result.message = "aborted", why
        self._finish()

    def drain(self) -> None:
        """Let the guest run all its tests and power off (within its timeout)."""
        if not self._done:
            self.wait_for(None)

    def close(self, grace_s: float = 60.0) -> None:
        """Let a guest that has run all its tests power off; abort one that has not."""
        if self._done:
            return
        if self.result.inner_exitstatus is None and not self.complete():
            self.abort("the outer session ended before the guest run (-x or interrupt)")
            return
        assert self.proc is not None
        try:
            self.proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            self.kill()
        self._finish()

    def complete(self) -> bool:
        """Every selected test of this boot has all its reports."""
        self._poll_reports()
        return all(self.result.finished(nodeid) for nodeid in self.result.nodeids)

    def _finish(self) -> None:
        if self._done:
            return
        self._done = True
        run = self.result
        if self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                run.returncode = self.proc.wait(timeout=30)
        if self._lock is not None:
            self._lock.close()  # closing the file releases the flock
            self._lock = None
        if self._reader is not None:
            self._reader.join(timeout=10)
        end = time.monotonic()
        if self._log is not None:
            self._log.close()
        self._poll_reports(final=True)
        if run.log_path is not None and run.inner_exitstatus is None:
            # Only what the kernel said since the last test started: an earlier test's
            # harmless WARNING must not be quoted as the cause, nor stop a re-run.
            with (
                contextlib.suppress(OSError),
                open(run.log_path, encoding="utf-8", errors="replace") as log,
            ):
                since = itertools.islice(log, 1 + self._test_start_line, None)
                run.alarms = kernel_alarms(since)
        run.total_s = end - self._start
        run.tail = list(self._tail)
        marks = self._marks
        if "session-start" in marks:
            run.release = marks["session-start"][1].get("release")
            run.guest_uptime_s = marks["session-start"][1].get("uptime")
            run.pytest_start_s = marks["session-start"][0] - self._start
        if "test-start" in marks:  # the first test's start
            run.boot_s = marks["test-start"][0] - self._start
            finish = marks.get("session-finish", (end, {}))[0]
            run.inner_s = finish - marks["test-start"][0]
        if run.status == "pending":
            if "session-start" not in marks:
                run.status = "error"
                run.message = "the VM did not boot or the guest pytest never started"
            elif run.inner_exitstatus is None:
                run.status = "crashed"
                run.message = "the guest pytest run ended without finishing (crash?)"
            else:
                run.status = "ok"
                run.message = (
                    f"the guest run ended (inner pytest exit status {run.inner_exitstatus})"
                )

    # -- results

    def _poll_reports(self, *, final: bool = False) -> None:
        run = self.result
        assert run.rundir is not None
        path = run.rundir / "reports.jsonl"
        try:
            with open(path, "rb") as fh:
                fh.seek(self._offset)
                chunk = fh.read()
        except FileNotFoundError:
            return
        self._offset += len(chunk)
        data = self._buffer + chunk
        lines = data.split(b"\n")
        self._buffer = lines.pop()  # an incomplete last line waits for the rest
        if final and self._buffer:
            lines.append(self._buffer)  # a line cut short by a crash: try it anyway
            self._buffer = b""
        for line in lines:
            add_record(run, line)


def compile_bytecode(root: Path) -> None:
    """Write the project's .pyc files on the host before a boot.

    The guest sees the repository read-only, so Python there can write no bytecode
    cache and would compile every module from source at every start (twice the cost of
    the imports themselves, and ~15x slower under TCG); an installed wheel ships its
    .pyc files too. Done here explicitly because PYTHONDONTWRITEBYTECODE may be set.
    """
    import compileall

    for package in ("core", "mediatui"):
        if (root / package).is_dir():
            compileall.compile_dir(root / package, quiet=1)


def acquire_vm_lock(echo: Callable[[str], None] | None = None) -> IO[str] | None:
    """Hold the machine-wide VM lock (``MEDIATUI_VM_LOCK``, default /tmp/mediatui-vm.lock).

    The machines this runs on have 2 cores: two TCG guests at once starve each other and
    every timing test in them. Several pytest runs (checkouts, worktrees) therefore take
    turns; the lock is released when the boot finishes. ``MEDIATUI_VM_LOCK=`` (empty)
    disables it. Returns the open lock file (closing it releases the lock).
    """
    path = os.environ.get("MEDIATUI_VM_LOCK", "/tmp/mediatui-vm.lock")
    if not path:
        return None
    lock = open(path, "a")  # noqa: SIM115 - held until the boot finishes
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        if echo is not None:
            echo(f"kernel tier: waiting for another VM to finish ({path})")
        fcntl.flock(lock, fcntl.LOCK_EX)
    return lock


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=5)
            return
        except subprocess.TimeoutExpired:
            continue


def add_record(run: BootRun, line: bytes | str) -> None:
    """Take one line of the guest's ``reports.jsonl`` into *run*."""
    try:
        record = json.loads(line)
    except ValueError:
        return
    kind = record.get("type")
    if kind == "report":
        data = record["data"]
        run.reports.setdefault(data["nodeid"], []).append(data)
    elif kind == "collect-error":
        run.collect_errors.append(f"{record.get('nodeid')}: {record.get('longrepr')}")
    elif kind == "start":
        run.started.append(record["nodeid"])
    elif kind == "finish":
        run.inner_exitstatus = record.get("exitstatus")


# --------------------------------------------------------------------------------------
# Mapping guest results to outer reports (pure; unit-tested in tests/unit)


def report_from_data(config: pytest.Config, data: dict[str, Any]) -> TestReport:
    """A guest report back from its JSON form (a skip's longrepr tuple became a list)."""
    report = config.hook.pytest_report_from_serializable(config=config, data=data)
    if isinstance(report.longrepr, list) and len(report.longrepr) == 3:
        report.longrepr = tuple(report.longrepr)
    return report


def _item_info(item: pytest.Item) -> tuple[str, tuple[str, int | None, str], dict[str, int]]:
    return item.nodeid, item.location, {x: 1 for x in item.keywords}


def skip_longrepr(item: pytest.Item, reason: str) -> tuple[str, int, str]:
    path, line = item.reportinfo()[:2]
    return (os.fspath(path), (line or 0) + 1, reason)


def make_report(
    nodeid: str,
    location: tuple[str, int | None, str],
    keywords: Mapping[str, Any],
    when: str,
    outcome: str,
    longrepr: Any = None,
    *,
    sections: Iterable[tuple[str, str]] = (),
    duration: float = 0.0,
) -> TestReport:
    now = time.time()
    return TestReport(
        nodeid,
        location,
        keywords,
        outcome,  # type: ignore[arg-type]
        longrepr,
        when,  # type: ignore[arg-type]
        sections=sections,
        duration=duration,
        start=now,
        stop=now + duration,
    )


def _skip_reason(report: TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        path, lineno, reason = longrepr
        return f"{reason} ({path}:{lineno})"
    return str(longrepr)


def apply_ci_policy(reports: list[TestReport], *, ci: bool) -> list[TestReport]:
    """With CI, a skipped kernel test (not an xfail) becomes a failed call."""
    if not ci:
        return reports
    out: list[TestReport] = []
    for rep in reports:
        if rep.outcome != "skipped" or hasattr(rep, "wasxfail"):
            out.append(rep)
            continue
        message = (
            "CI=true: a skipped kernel-tier test counts as a failure.\n"
            f"skip reason: {_skip_reason(rep)}"
        )
        info = (rep.nodeid, rep.location, rep.keywords)
        if rep.when == "setup":
            out.append(make_report(*info, "setup", "passed", duration=rep.duration))
        out.append(
            make_report(
                *info, "call", "failed", message, sections=rep.sections, duration=rep.duration
            )
        )
    return out


def complete_reports(
    item_info: tuple[str, tuple[str, int | None, str], Mapping[str, Any]],
    inner: list[TestReport],
    failure_text: str,
) -> list[TestReport]:
    """Inner reports for one test, completed with a failure where the guest left off.

    No report at all: a failed call. Setup passed but nothing after it: the guest died
    in the call. Anything else without a teardown: it died in the teardown.
    """
    if any(rep.when == "teardown" for rep in inner):
        return list(inner)
    text = f"no complete result for this test from the guest.\n{failure_text}"
    out = list(inner)
    if not out:
        out.append(make_report(*item_info, "setup", "passed"))
    if len(out) == 1 and out[0].when == "setup" and out[0].passed:
        out.append(make_report(*item_info, "call", "failed", text))
        out.append(make_report(*item_info, "teardown", "passed"))
    else:
        out.append(make_report(*item_info, "teardown", "failed", text))
    return out


def missing_prereq_reports(item: pytest.Item, reason: str, *, ci: bool) -> list[TestReport]:
    info = _item_info(item)
    if ci:
        message = f"CI=true: the kernel tier cannot run, which is a failure.\n{reason}"
        return [
            make_report(*info, "setup", "passed"),
            make_report(*info, "call", "failed", message),
            make_report(*info, "teardown", "passed"),
        ]
    return [
        make_report(*info, "setup", "skipped", skip_longrepr(item, reason)),
        make_report(*info, "teardown", "passed"),
    ]


# --------------------------------------------------------------------------------------
# The host plugin


class HostPlugin:
    """Runs on the host: intercepts kernel tests and replays the guest's results."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.ci = in_ci()
        self.groups: dict[tuple[str, ...], list[pytest.Item]] = {}
        self.runs: list[GuestRun] = []  # every boot, in order (restarts included)
        self.run_of: dict[str, GuestRun] = {}  # nodeid -> the boot that runs it
        self.restarts: dict[tuple[str, ...], int] = {}
        self.max_restarts = restarts_allowed()
        self._prereqs: Prereqs | None = None

    @property
    def prereqs(self) -> Prereqs:
        if self._prereqs is None:
            self._prereqs = check_prereqs()
        return self._prereqs

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        """Run each boot's kernel tests together, so boots run one after the other.

        Kernel tests keep the slots they had among the fast tests; within those slots
        they are ordered by boot (in order of first appearance), stably.
        """
        slots = [i for i, item in enumerate(items) if is_kernel_item(item)]
        order: dict[tuple[str, ...], int] = {}
        for i in slots:
            order.setdefault(kernel_args_of(items[i]), len(order))
        kernel = sorted((items[i] for i in slots), key=lambda it: order[kernel_args_of(it)])
        for i, item in zip(slots, kernel, strict=True):
            items[i] = item

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.groups.clear()
        for item in session.items:
            if is_kernel_item(item):
                self.groups.setdefault(kernel_args_of(item), []).append(item)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None):
        if not is_kernel_item(item):
            return None
        ihook = item.ihook
        ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        for report in self.reports_for(item):
            ihook.pytest_runtest_logreport(report=report)
        ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        return True

    def reports_for(self, item: pytest.Item) -> list[TestReport]:
        pre = self.prereqs
        if not pre.ok:
            return missing_prereq_reports(item, pre.reason(), ci=self.ci)
        key = kernel_args_of(item)
        guest = self.run_of.get(item.nodeid)
        if guest is None:
            items = self.groups.get(key) or [item]
            if item not in items:
                items = [*items, item]
            guest = self._boot(key, items)
        while True:
            try:
                run = guest.wait_for(item.nodeid)
                if guest.complete():
                    guest.close()  # the boot's last test: let the VM power off, take timings
            except BaseException:
                guest.abort("interrupted")
                raise
            if run.status != "crashed" or run.finished(item.nodeid):
                break
            nxt = self._restart_after_crash(key, guest)
            if nxt is None or self.run_of.get(item.nodeid) is not nxt:
                break
            guest = nxt  # the crashed guest never started this test: the new boot runs it
        inner = [report_from_data(self.config, data) for data in run.reports.get(item.nodeid, [])]
        reports = complete_reports(_item_info(item), inner, run.failure_text(item.nodeid))
        return apply_ci_policy(reports, ci=self.ci)

    def _boot(self, key: tuple[str, ...], items: Sequence[pytest.Item]) -> GuestRun:
        for other in self.runs:
            other.drain()  # one VM at a time: 2 host cores, timing-sensitive tests
        guest = GuestRun(self.config, self.prereqs, key, items, echo=self._echo())
        self.runs.append(guest)
        for it in items:
            self.run_of[it.nodeid] = guest
        guest.start()
        return guest

    def _restart_after_crash(self, key: tuple[str, ...], crashed: GuestRun) -> GuestRun | None:
        """After a guest crash, boot again for the tests it had not finished (once per
        crash, at most ``MEDIATUI_VM_RESTARTS`` times per boot group, default 1).

        When the guest kernel's console shows why it died (:func:`kernel_alarms`: an
        oops, a panic, the OOM killer), the test that was running fails with those
        lines and only the tests it never started run again. When the VM died without
        a word from its kernel (QEMU killed from outside: vng exit status 255 and an
        empty console), nothing points at that test, and it runs again too; the
        summary says so either way. Returns the new boot, or None when there is
        nothing to re-run or no restart left.
        """
        run = crashed.result
        if run.restarted_as is not None:
            return run.restarted_as
        if self.restarts.get(key, 0) >= self.max_restarts:
            return None
        started = set(run.started)
        if not run.alarms and (running := run.running_at_end()) is not None:
            started.discard(running)
            run.rerun_interrupted = running
        todo = [it for it in crashed.items if it.nodeid not in started]
        if not todo:
            return None
        self.restarts[key] = self.restarts.get(key, 0) + 1
        guest = self._boot(key, todo)
        run.restarted_as = guest
        run.rerun = len(todo)
        return guest

    def _echo(self) -> Callable[[str], None] | None:
        live = self.config.getoption("capture", "fd") == "no"
        if not (live or _truthy(os.environ.get(ENV_VERBOSE))):
            return None
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None:
            return None
        reporter.write_line("")
        return lambda line: reporter.write_line(f"[guest] {line}")

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.groups or self.config.getoption("collectonly", False):
            return
        tr = terminalreporter
        tr.ensure_newline()
        tr.section("kernel tier")
        pre = self._prereqs
        if pre is not None and not pre.ok:
            verdict = "FAILED (CI=true)" if self.ci else "skipped"
            tr.write_line(f"kernel tier: not run, {verdict}: {pre.reason()}")
            return
        if not self.runs:
            tr.write_line("kernel tier: no kernel test ran")
        for guest in self.runs:
            run = guest.result
            n = len(run.nodeids)
            if run.boot_s is not None:
                tr.write_line(
                    f"kernel tier: booted {run.release or '?'} in {run.boot_s:.1f} s "
                    f"(vng start to first test), inner run {run.inner_s or 0.0:.1f} s, "
                    f"VM total {run.total_s or 0.0:.1f} s; {n} test(s); "
                    f"kernel args: {run.cmdline}"
                )
                tr.write_line(
                    f"kernel tier:   guest pytest started {run.pytest_start_s or 0.0:.1f} s "
                    f"after vng (guest uptime {run.guest_uptime_s or 0.0:.1f} s)"
                )
            else:
                tr.write_line(
                    f"kernel tier: boot FAILED ({run.status}: {run.message}); {n} test(s); "
                    f"kernel args: {run.cmdline}",
                    red=True,
                )
            if run.status == "crashed":
                where = run.running_at_end() or "between tests"
                tr.write_line(
                    f"kernel tier: the guest crashed ({where}); "
                    + (f"{run.rerun} test(s) re-ran in a new boot" if run.rerun else "no re-run")
                    + (
                        ", the interrupted one included (no kernel alarm on the console)"
                        if run.rerun_interrupted
                        else ""
                    ),
                    red=True,
                )
            if run.status != "ok" or run.release != GUEST_RELEASE:
                tr.write_line(f"kernel tier: guest log kept in {run.log_path}")

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        # A run still going here was cut short by -x/--maxfail or an interrupt.
        for guest in self.runs:
            guest.close()

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if _truthy(os.environ.get(ENV_KEEP)):
            return
        for guest in self.runs:
            run = guest.result
            if run.status == "ok" and run.rundir is not None:
                shutil.rmtree(run.rundir, ignore_errors=True)


# --------------------------------------------------------------------------------------
# The guest plugin


class GuestPlugin:
    """Runs in the guest: keeps only the selected kernel tests, records their reports."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        vm_dir = os.environ.get(ENV_VM_DIR)
        self.rundir = Path(vm_dir) if vm_dir else None
        self.selection: set[str] | None = None
        self.out = None
        if self.rundir is not None:
            selection = json.loads((self.rundir / "selection.json").read_text())
            self.selection = set(selection["nodeids"])
            self.out = open(self.rundir / "reports.jsonl", "a", encoding="utf-8")  # noqa: SIM115

    def _mark(self, event: str, **data: Any) -> None:
        fd = os.environ.get(ENV_MARK_FD)
        if not fd:
            return
        payload = MARK_PREFIX + json.dumps({"event": event, **data}) + "\n"
        with contextlib.suppress(OSError, ValueError):
            os.write(int(fd), payload.encode())

    def _record(self, record: dict[str, Any]) -> None:
        if self.out is None:
            return
        self.out.write(json.dumps(record, default=str) + "\n")
        self.out.flush()

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        try:
            uptime = float(Path("/proc/uptime").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            uptime = None
        self._mark("session-start", release=os.uname().release, uptime=uptime)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        keep, drop = [], []
        for item in items:
            wanted = is_kernel_item(item) and (
                self.selection is None or item.nodeid in self.selection
            )
            (keep if wanted else drop).append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self._record(
                {"type": "collect-error", "nodeid": report.nodeid, "longrepr": str(report.longrepr)}
            )

    @contextlib.contextmanager
    def _phase_timeout(self, item: pytest.Item, when: str):
        """Fail a test phase that hangs, so one stuck test does not eat the whole boot.

        SIGALRM interrupts the main thread wherever it waits; the failure's traceback
        shows where, and every thread's stack goes to the captured stderr.
        """
        limit = float(os.environ.get(ENV_TEST_TIMEOUT) or DEFAULT_TEST_TIMEOUT_S)
        if limit <= 0 or threading.current_thread() is not threading.main_thread():
            yield
            return

        def expired(signum: int, frame: Any) -> None:
            with contextlib.suppress(Exception):
                faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
            pytest.fail(
                f"kernel tier: {item.nodeid} {when} took longer than {limit:.0f} s "
                f"({ENV_TEST_TIMEOUT}); stopped here",
                pytrace=True,
            )

        previous = signal.signal(signal.SIGALRM, expired)
        signal.setitimer(signal.ITIMER_REAL, limit)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item):
        with self._phase_timeout(item, "setup"):
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item):
        with self._phase_timeout(item, "call"):
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item, nextitem: pytest.Item | None):
        with self._phase_timeout(item, "teardown"):
            return (yield)

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        self._record({"type": "start", "nodeid": nodeid})
        self._mark("test-start", nodeid=nodeid)  # the host keeps the first one's time

    def pytest_runtest_logreport(self, report: TestReport) -> None:
        data = self.config.hook.pytest_report_to_serializable(config=self.config, report=report)
        self._record({"type": "report", "data": data})

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self._record({"type": "finish", "exitstatus": int(exitstatus)})
        self._mark("session-finish", exitstatus=int(exitstatus))
        if self.out is not None:
            self.out.close()
            self.out = None


def register(config: pytest.Config) -> None:
    """Install the host or guest side of the kernel tier (from tests/conftest.py)."""
    name = "mediatui-kernel-tier"
    if config.pluginmanager.has_plugin(name):
        return
    plugin = GuestPlugin(config) if in_vm() else HostPlugin(config)
    config.pluginmanager.register(plugin, name)
