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
``MEDIATUI_VM_TIMEOUT`` seconds (default 900); on timeout the VM is killed.

Other knobs: ``pytest -s`` (or ``MEDIATUI_VM_VERBOSE=1``) streams the guest's output
live; ``MEDIATUI_VM_KEEP=1`` keeps the run directory (``vng.log``, ``reports.jsonl``)
even after a green run. The outer ``-v``/``-q``, ``--tb``, ``-l`` and ``-s`` are passed
to the inner pytest.

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
import json
import os
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
from typing import Any

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
DEFAULT_TIMEOUT_S = 900.0
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
ENV_VERBOSE = "MEDIATUI_VM_VERBOSE"
ENV_KEEP = "MEDIATUI_VM_KEEP"
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
    status: str = "pending"  # ok | crashed | timeout | error
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

    @property
    def cmdline(self) -> str:
        return " ".join(boot_cmdline(self.extra_args))

    def failure_text(self) -> str:
        """Why a test of this boot has no (complete) result."""
        lines = [f"kernel tier: {self.message or 'no result from the guest'}"]
        lines.append(f"kernel command line extras: {self.cmdline}")
        if self.returncode is not None:
            lines.append(f"vng exit status: {self.returncode}")
        for err in self.collect_errors:
            lines.append("inner collection error:")
            lines.append(err)
        if self.tail:
            lines.append(f"--- last {len(self.tail)} lines of the guest's output ---")
            lines.extend(self.tail)
        if self.log_path:
            lines.append(f"--- full log: {self.log_path} ---")
        return "\n".join(lines)


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
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    return (
        f"cd {shlex.quote(str(cwd))} && exec 3>&1 && "
        f'export {exports} PATH={shlex.quote(bindir)}:"$PATH" && '
        f"exec {shlex.join([python, *pytest_args])}"
    )


def vng_command(pre: Prereqs, extra: Sequence[str], rundir: Path, command: str) -> list[str]:
    assert pre.vng and pre.kernel
    return [
        str(pre.vng),
        "--run",
        str(pre.kernel),
        "--disable-kvm",
        "--user",
        "root",
        "--cpus",
        str(VM_CPUS),
        "--memory",
        VM_MEMORY,
        f"--rwdir={rundir}",
        "--append",
        " ".join(boot_cmdline(extra)),
        "--exec",
        command,
    ]


def run_boot(
    config: pytest.Config,
    pre: Prereqs,
    extra: tuple[str, ...],
    items: Sequence[pytest.Item],
    *,
    echo: Callable[[str], None] | None = None,
) -> BootRun:
    """Boot once and run *items* in the guest; never raises for guest problems."""
    nodeids = [item.nodeid for item in items]
    run = BootRun(extra_args=extra, nodeids=nodeids)
    rundir = Path(tempfile.mkdtemp(prefix="mediatui-kernel-"))
    run.rundir = rundir
    run.log_path = rundir / "vng.log"
    (rundir / "selection.json").write_text(json.dumps({"nodeids": nodeids}))
    pytest_args = inner_pytest_args(config, (str(item.path) for item in items))
    command = guest_command(sys.executable, pytest_args, rundir, Path(config.rootpath))
    argv = vng_command(pre, extra, rundir, command)
    env = dict(os.environ)
    assert pre.vng is not None
    env["PATH"] = os.pathsep.join([str(pre.vng.parent), env.get("PATH", "")])
    timeout = float(os.environ.get(ENV_TIMEOUT) or DEFAULT_TIMEOUT_S)

    tail: deque[str] = deque(maxlen=TAIL_LINES)
    marks: dict[str, tuple[float, dict[str, Any]]] = {}
    start = time.monotonic()
    with open(run.log_path, "w", encoding="utf-8", errors="replace") as log:
        log.write("$ " + shlex.join(argv) + "\n")
        log.flush()
        try:
            # vng's QEMU writes to /proc/self/fd/1 itself: stdout must be a pipe, not a file.
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=str(config.rootpath),
                start_new_session=True,
            )
        except OSError as exc:
            run.status, run.message = "error", f"could not start vng: {exc}"
            return run

        def reader() -> None:
            assert proc.stdout is not None
            for raw in proc.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                # A marker may follow pytest's own unterminated progress output.
                at = line.find(MARK_PREFIX)
                if at >= 0:
                    with contextlib.suppress(ValueError):
                        data = json.loads(line[at + len(MARK_PREFIX) :])
                        marks.setdefault(data.get("event", "?"), (time.monotonic(), data))
                    line = line[:at]
                    if not line.strip():
                        continue
                tail.append(line)
                log.write(line + "\n")
                if echo:
                    echo(line)

        thread = threading.Thread(target=reader, name="vng-output", daemon=True)
        thread.start()
        try:
            run.returncode = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            run.status = "timeout"
            run.message = f"the guest run timed out after {timeout:.0f} s; the VM was killed"
        except BaseException:
            _kill_group(proc)
            raise
        thread.join(timeout=10)
        log.flush()
    end = time.monotonic()

    run.total_s = end - start
    run.tail = list(tail)
    if "session-start" in marks:
        run.release = marks["session-start"][1].get("release")
        run.guest_uptime_s = marks["session-start"][1].get("uptime")
        run.pytest_start_s = marks["session-start"][0] - start
    if "first-test" in marks:
        run.boot_s = marks["first-test"][0] - start
        finish = marks.get("session-finish", (end, {}))[0]
        run.inner_s = finish - marks["first-test"][0]
    load_results(run, rundir / "reports.jsonl")
    if run.status == "pending":
        if "session-start" not in marks:
            run.status = "error"
            run.message = "the VM did not boot or the guest pytest never started"
        elif run.inner_exitstatus is None:
            run.status = "crashed"
            run.message = "the guest pytest run ended without finishing (crash?)"
        else:
            run.status = "ok"
            run.message = f"the guest run ended (inner pytest exit status {run.inner_exitstatus})"
    return run


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=5)
            return
        except subprocess.TimeoutExpired:
            continue


def load_results(run: BootRun, path: Path) -> None:
    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue  # a line cut short by a crash
        kind = record.get("type")
        if kind == "report":
            data = record["data"]
            run.reports.setdefault(data["nodeid"], []).append(data)
        elif kind == "collect-error":
            run.collect_errors.append(f"{record.get('nodeid')}: {record.get('longrepr')}")
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
        self.runs: dict[tuple[str, ...], BootRun] = {}
        self._prereqs: Prereqs | None = None

    @property
    def prereqs(self) -> Prereqs:
        if self._prereqs is None:
            self._prereqs = check_prereqs()
        return self._prereqs

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
        run = self.runs.get(key)
        if run is None:
            items = self.groups.get(key) or [item]
            if item not in items:
                items = [*items, item]
            run = self.runs[key] = run_boot(self.config, pre, key, items, echo=self._echo())
        inner = [report_from_data(self.config, data) for data in run.reports.get(item.nodeid, [])]
        reports = complete_reports(_item_info(item), inner, run.failure_text())
        return apply_ci_policy(reports, ci=self.ci)

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
        tr.section("kernel tier")
        pre = self._prereqs
        if pre is not None and not pre.ok:
            verdict = "FAILED (CI=true)" if self.ci else "skipped"
            tr.write_line(f"kernel tier: not run, {verdict}: {pre.reason()}")
            return
        if not self.runs:
            tr.write_line("kernel tier: no kernel test ran")
        for run in self.runs.values():
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
            if run.status != "ok" or run.release != GUEST_RELEASE:
                tr.write_line(f"kernel tier: guest log kept in {run.log_path}")

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if _truthy(os.environ.get(ENV_KEEP)):
            return
        for run in self.runs.values():
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
        self._first = True

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

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        if self._first:
            self._first = False
            self._mark("first-test", nodeid=nodeid)

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
