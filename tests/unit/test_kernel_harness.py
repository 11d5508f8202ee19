"""The kernel tier's harness (tests/kernel/vm.py), on the host and without a VM.

The pure result mapping is tested directly; the whole outer/inner round trip is tested
with pytester and a fake ``vng`` that runs the guest command on the host.
"""

from __future__ import annotations

import os
import shlex
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

TESTS_DIR = Path(__file__).resolve().parent.parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from kernel import vm  # noqa: E402

pytest_plugins = ["pytester"]

INFO = ("tests/kernel/test_x.py::test_x", ("tests/kernel/test_x.py", 3, "test_x"), {"test_x": 1})


def _rep(when, outcome, longrepr=None, **kw):
    return vm.make_report(*INFO, when, outcome, longrepr, **kw)


def _roundtrip(config, report):
    data = config.hook.pytest_report_to_serializable(config=config, report=report)
    return config.hook.pytest_report_from_serializable(config=config, data=data)


def test_failed_inner_result_keeps_message_and_captured_output(pytestconfig):
    inner = [
        _rep("setup", "passed"),
        _rep(
            "call",
            "failed",
            "E   AssertionError: vivid said 42",
            sections=[("Captured stdout call", "hello from the guest\n")],
        ),
        _rep("teardown", "passed"),
    ]
    inner = [_roundtrip(pytestconfig, r) for r in inner]
    out = vm.apply_ci_policy(vm.complete_reports(INFO, inner, "unused"), ci=True)
    call = next(r for r in out if r.when == "call")
    assert call.failed
    assert "vivid said 42" in call.longreprtext
    assert call.capstdout == "hello from the guest\n"


@pytest.mark.parametrize("when", ["setup", "call"])
def test_ci_turns_a_skip_into_a_failure(when):
    skip = _rep(when, "skipped", ("/x/test_x.py", 4, "Skipped: no v4l2-ctl"))
    inner = [_rep("setup", "passed"), skip] if when == "call" else [skip]
    inner.append(_rep("teardown", "passed"))

    kept = vm.apply_ci_policy(list(inner), ci=False)
    assert [r.outcome for r in kept] == [r.outcome for r in inner]

    out = vm.apply_ci_policy(list(inner), ci=True)
    assert [(r.when, r.outcome) for r in out] == [
        ("setup", "passed"),
        ("call", "failed"),
        ("teardown", "passed"),
    ]
    failed = out[1]
    assert "CI=true" in failed.longreprtext
    assert "no v4l2-ctl" in failed.longreprtext


def test_ci_keeps_xfail():
    xfail = _rep("call", "skipped", "reason")
    xfail.wasxfail = "known kernel bug"
    out = vm.apply_ci_policy([_rep("setup", "passed"), xfail], ci=True)
    assert out[1] is xfail


def test_no_result_fails_with_the_guest_tail():
    run = vm.BootRun(extra_args=(), nodeids=[INFO[0]], message="the VM did not boot")
    run.tail = ["Kernel panic - not syncing: VFS"]
    out = vm.complete_reports(INFO, [], run.failure_text())
    assert [(r.when, r.outcome) for r in out] == [
        ("setup", "passed"),
        ("call", "failed"),
        ("teardown", "passed"),
    ]
    assert "Kernel panic" in out[1].longreprtext
    assert "the VM did not boot" in out[1].longreprtext


def test_guest_died_during_call_or_teardown():
    out = vm.complete_reports(INFO, [_rep("setup", "passed")], "died")
    assert [(r.when, r.outcome) for r in out][1:] == [("call", "failed"), ("teardown", "passed")]
    inner = [_rep("setup", "passed"), _rep("call", "passed")]
    out = vm.complete_reports(INFO, inner, "died")
    assert (out[-1].when, out[-1].outcome) == ("teardown", "failed")
    assert "died" in out[-1].longreprtext


def test_missing_prerequisites_skip_outside_ci_and_fail_in_ci(request):
    reason = vm.Prereqs(missing=["qemu-system-x86_64 not found"]).reason()
    assert "apt-get install qemu-system-x86 udev" in reason
    skipped = vm.missing_prereq_reports(request.node, reason, ci=False)
    assert skipped[0].skipped and "qemu-system-x86_64" in skipped[0].longrepr[2]
    failed = vm.missing_prereq_reports(request.node, reason, ci=True)
    assert [r.outcome for r in failed] == ["passed", "failed", "passed"]
    assert "qemu-system-x86_64" in failed[1].longreprtext


def test_kernel_args_and_items():
    marks = [pytest.mark.kernel_args("vivid.n_devs=16 vivid.multiplanar=2").mark]
    item = SimpleNamespace(
        iter_markers=lambda name: iter(marks), path=vm.KERNEL_DIR / "test_smoke.py"
    )
    assert vm.kernel_args_of(item) == ("vivid.n_devs=16", "vivid.multiplanar=2")
    assert vm.boot_cmdline(vm.kernel_args_of(item))[-2:] == (
        "vivid.n_devs=16",
        "vivid.multiplanar=2",
    )
    assert vm.is_kernel_item(item)
    assert not vm.is_kernel_item(SimpleNamespace(path=Path(__file__)))


def test_each_boots_tests_run_together_in_the_kernel_slots():
    def item(name, kernel=True, args=None):
        marks = [pytest.mark.kernel_args(args).mark] if args else []
        path = (vm.KERNEL_DIR if kernel else Path(__file__).parent) / f"test_{name}.py"
        return SimpleNamespace(name=name, path=path, iter_markers=lambda _name: iter(marks))

    items = [
        item("host1", kernel=False),
        item("d1"),
        item("many", args="vivid.n_devs=16"),
        item("host2", kernel=False),
        item("d2"),
        item("many2", args="vivid.n_devs=16"),
    ]
    plugin = vm.HostPlugin(SimpleNamespace())
    plugin.pytest_collection_modifyitems(None, None, items)
    assert [i.name for i in items] == ["host1", "d1", "d2", "host2", "many", "many2"]


def test_kernel_image_default_is_beside_the_repo(monkeypatch):
    monkeypatch.delenv(vm.ENV_KERNEL, raising=False)
    assert vm.kernel_image_path() == (vm.REPO_ROOT.parent / "shared/kernel/bzImage").resolve()
    monkeypatch.setenv(vm.ENV_KERNEL, "/opt/k/bzImage")
    assert vm.kernel_image_path() == Path("/opt/k/bzImage")


def test_guest_command_is_one_shell_command(tmp_path):
    cmd = vm.guest_command("/v env/bin/python", ["-m", "pytest", "a b.py"], tmp_path, tmp_path)
    words = shlex.split(cmd)
    assert f"{vm.ENV_IN_VM}=1" in words
    assert words[-4:] == ["/v env/bin/python", "-m", "pytest", "a b.py"]


def test_node_and_adapter_lookup_by_name(tmp_path):
    v4l = tmp_path / "video4linux"
    for node, name in [("video3", "vim2m"), ("video7", "vivid-000-vid-cap")]:
        (v4l / node).mkdir(parents=True)
        (v4l / node / "name").write_text(name + "\n")
    assert vm.node_by_name("vivid-000-vid-cap", v4l) == "/dev/video7"
    with pytest.raises(LookupError, match="video3='vim2m'"):
        vm.node_by_name("vivid-001-vid-cap", v4l)

    target = tmp_path / "devices/platform/vidtv.0/i2c-0/dvb/dvb1.frontend0"
    target.mkdir(parents=True)
    (tmp_path / "dvb").mkdir()
    (tmp_path / "dvb/dvb1.frontend0").symlink_to(target)
    assert vm.dvb_adapter_paths("vidtv", str(tmp_path / "dvb")) == {
        "adapter": "/dev/dvb/adapter1",
        "frontend": "/dev/dvb/adapter1/frontend0",
        "demux": "/dev/dvb/adapter1/demux0",
        "dvr": "/dev/dvb/adapter1/dvr0",
    }


# --------------------------------------------------------------------------------------
# Round trip with a fake vng: outer pytest -> "guest" pytest -> reports -> outer results

FAKE_VNG = """\
#!{python}
import os, sys, time
args = sys.argv[1:]
mode = os.environ.get("FAKE_VNG_MODE", "run")
print("fake vng booting", flush=True)
if mode == "noboot":
    print("Kernel panic - not syncing: fake", flush=True)
    sys.exit(1)
if mode == "hang":
    time.sleep(60)
cmd = args[args.index("--exec") + 1]
os.execvp("sh", ["sh", "-c", cmd])
"""

CONFTEST = """\
import sys
from pathlib import Path
sys.path.insert(0, {tests_dir!r})
from kernel import vm
vm.KERNEL_DIR = Path(__file__).resolve().parent / "ktests"

def pytest_configure(config):
    vm.register(config)
"""

KERNEL_TESTS = """\
import os
import pytest

def test_pass():
    assert os.environ["MEDIATUI_IN_VM"] == "1"

def test_fail():
    print("captured in the guest")
    assert 6 * 7 == 41, "inner assertion message"

def test_skip():
    pytest.skip("needs a real tuner")

@pytest.mark.xfail(reason="known")
def test_xfail():
    assert False

@pytest.mark.kernel_args("vivid.n_devs=16")
def test_other_boot():
    pass
"""


@pytest.fixture
def fake_tier(pytester, tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    vng = bindir / "vng"
    vng.write_text(FAKE_VNG.format(python=sys.executable))
    for tool in ("qemu-system-x86_64", "udevadm"):
        (bindir / tool).write_text("#!/bin/sh\nexit 0\n")
    for exe in bindir.iterdir():
        exe.chmod(0o755)
    kernel = tmp_path / "bzImage"
    kernel.write_bytes(b"fake")
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    monkeypatch.setenv(vm.ENV_VNG, str(vng))
    monkeypatch.setenv(vm.ENV_KERNEL, str(kernel))
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the harness's run directories
    # a lock of its own: the fake guests must not wait for a real VM booted elsewhere
    monkeypatch.setenv("MEDIATUI_VM_LOCK", str(tmp_path / "vm.lock"))
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv(vm.ENV_IN_VM, raising=False)
    pytester.makeconftest(CONFTEST.format(tests_dir=str(TESTS_DIR)))
    pytester.mkdir("ktests")
    pytester.path.joinpath("ktests/test_k.py").write_text(KERNEL_TESTS)
    pytester.makepyfile(
        test_host="def test_host():\n    import os\n    assert 'MEDIATUI_IN_VM' not in os.environ\n"
    )
    return pytester


def test_round_trip_outside_ci(fake_tier):
    result = fake_tier.runpytest_subprocess("-rsx")
    result.assert_outcomes(passed=3, failed=1, skipped=1, xfailed=1)
    out = result.stdout.str()
    assert "inner assertion message" in out
    assert "captured in the guest" in out
    assert "needs a real tuner" in out
    assert out.count("kernel tier: booted") == 2  # default boot + kernel_args boot


def test_round_trip_in_ci_fails_skips(fake_tier, monkeypatch):
    monkeypatch.setenv("CI", "true")
    result = fake_tier.runpytest_subprocess()
    result.assert_outcomes(passed=3, failed=2, xfailed=1)
    assert "CI=true: a skipped kernel-tier test counts as a failure" in result.stdout.str()


def test_vm_that_does_not_boot_fails_every_kernel_test(fake_tier, monkeypatch):
    monkeypatch.setenv("FAKE_VNG_MODE", "noboot")
    result = fake_tier.runpytest_subprocess()
    result.assert_outcomes(passed=1, failed=5)
    assert "Kernel panic - not syncing: fake" in result.stdout.str()
    assert "the VM did not boot" in result.stdout.str()


def test_timeout_kills_the_vm(fake_tier, monkeypatch):
    monkeypatch.setenv("FAKE_VNG_MODE", "hang")
    monkeypatch.setenv(vm.ENV_TIMEOUT, "1")
    result = fake_tier.runpytest_subprocess("-k", "test_pass or test_host")
    result.assert_outcomes(passed=1, failed=1)
    assert "timed out after 1 s" in result.stdout.str()


def test_a_hanging_guest_test_fails_alone(fake_tier, monkeypatch):
    fake_tier.path.joinpath("ktests/test_hang.py").write_text(
        "import time\n\ndef test_hangs():\n    time.sleep(60)\n\ndef test_after():\n    pass\n"
    )
    monkeypatch.setenv(vm.ENV_TEST_TIMEOUT, "1")
    result = fake_tier.runpytest_subprocess("ktests/test_hang.py")
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    assert "test_hangs call took longer than 1 s" in out
    assert "time.sleep(60)" in out  # where it hung


CRASHING_TESTS = """\
import os, signal

def test_before():
    pass

def test_crashes():
    # what a guest kernel oops in the test's process looks like from outside: the
    # console says why, the guest pytest dies without a last report
    fd = int(os.environ["MEDIATUI_VM_MARK_FD"])
    os.write(fd, b"[   41.5] BUG: kernel NULL pointer dereference, address: 0000000000000008\\n")
    os.write(fd, b"[   41.5] RIP: 0010:vb2_fake_fn+0x1c/0x80\\n")
    os.kill(os.getpid(), signal.SIGKILL)

def test_after_one():
    assert os.environ["MEDIATUI_IN_VM"] == "1"

def test_after_two():
    pass
"""


def test_a_guest_crash_fails_its_test_and_the_rest_run_in_a_new_boot(fake_tier, monkeypatch):
    fake_tier.path.joinpath("ktests/test_crash.py").write_text(CRASHING_TESTS)
    monkeypatch.setenv("CI", "true")
    result = fake_tier.runpytest_subprocess("ktests/test_crash.py", "-rf")
    result.assert_outcomes(passed=3, failed=1)
    out = result.stdout.str()
    assert "FAILED ktests/test_crash.py::test_crashes" in out
    assert "the guest died while this test ran (ktests/test_crash.py::test_crashes)" in out
    assert "BUG: kernel NULL pointer dereference" in out  # the kernel's own words
    assert "RIP: 0010:vb2_fake_fn" in out
    assert "2 test(s) it left ran again in a new boot" in out
    assert "re-ran in a new boot" in out
    assert out.count("kernel tier: booted") == 2


SILENT_DEATH = """\
import os, signal
from pathlib import Path

def test_killed_once():
    # the VM killed from outside: no word from the kernel, and the test is not to blame
    marker = Path({marker!r})
    if not marker.exists():
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)

def test_after():
    pass
"""


def test_a_silent_death_reruns_the_interrupted_test_too(fake_tier, monkeypatch, tmp_path):
    fake_tier.path.joinpath("ktests/test_silent.py").write_text(
        SILENT_DEATH.format(marker=str(tmp_path / "killed-once"))
    )
    monkeypatch.setenv("CI", "true")
    result = fake_tier.runpytest_subprocess("ktests/test_silent.py")
    result.assert_outcomes(passed=2)
    out = result.stdout.str()
    assert "the interrupted one included (no kernel alarm on the console)" in out
    assert out.count("kernel tier: booted") == 2


def test_restarts_are_bounded(fake_tier, monkeypatch):
    fake_tier.path.joinpath("ktests/test_crash.py").write_text(CRASHING_TESTS)
    monkeypatch.setenv(vm.ENV_RESTARTS, "0")
    result = fake_tier.runpytest_subprocess("ktests/test_crash.py")
    result.assert_outcomes(passed=1, failed=3)
    assert "no re-run" in result.stdout.str()


def test_kernel_alarms_keep_the_oops_and_its_context():
    log = [
        "boot",
        "[    1.000000] vivid: loaded",
        "[    2.000000] Oops: 0002 [#1] SMP",
        "[    2.000000] RIP: x",
        ".....                     [ 40%]",  # the tests' own output: not the kernel's
        "[    2.000000] Call Trace:",
        "[    2.000000]  <TASK>",
        "[    2.000000] later",
    ]
    assert vm.kernel_alarms(log, context=2) == [log[2], log[3], log[5], log[6]]
    assert vm.kernel_alarms(["fine", "[ 1.0] all fine", "BUG: not a console line"]) == []
    # Many alarms: the last ones are kept, the crash comes last.
    many = [f"[ {n}.0] WARNING: at x" for n in range(10)] + ["[ 11.0] Kernel panic - fatal"]
    kept = vm.kernel_alarms(many, context=1, limit=4)
    assert kept[0] == "[... earlier lines in vng.log]" and kept[-1] == many[-1]
    assert len(kept) == 5


def test_restarts_must_be_a_count():
    assert vm.restarts_allowed({}) == 1
    assert vm.restarts_allowed({vm.ENV_RESTARTS: "0"}) == 0
    for bad in ("abc", "-1", "1.5"):
        with pytest.raises(pytest.UsageError, match="MEDIATUI_VM_RESTARTS"):
            vm.restarts_allowed({vm.ENV_RESTARTS: bad})


# SILENT_DEATH with a harmless kernel WARNING in an earlier, passing test.
EARLIER_WARNING = SILENT_DEATH.replace(
    "\ndef test_killed_once",
    """
def test_warns():
    fd = int(os.environ["MEDIATUI_VM_MARK_FD"])
    os.write(fd, b"[   10.000000] WARNING: CPU: 0 PID: 1 at vb2_core_reqbufs+0x1/0x2\\n")

def test_killed_once""",
    1,
)


def test_an_earlier_tests_warning_is_not_the_crash(fake_tier, monkeypatch, tmp_path):
    """Only what the kernel said since the crashed test started counts: a WARNING in an
    earlier test neither gets quoted as the cause nor stops the re-run."""
    fake_tier.path.joinpath("ktests/test_warn.py").write_text(
        EARLIER_WARNING.format(marker=str(tmp_path / "killed-once"))
    )
    monkeypatch.setenv("CI", "true")
    result = fake_tier.runpytest_subprocess("ktests/test_warn.py")
    result.assert_outcomes(passed=3)
    assert "the interrupted one included" in result.stdout.str()


def test_missing_prerequisites(fake_tier, monkeypatch, tmp_path):
    monkeypatch.setenv(vm.ENV_KERNEL, str(tmp_path / "no-such-bzImage"))
    result = fake_tier.runpytest_subprocess("-rs")
    result.assert_outcomes(passed=1, skipped=5)
    assert "no-such-bzImage not found" in result.stdout.str()
    monkeypatch.setenv("CI", "true")
    result = fake_tier.runpytest_subprocess()
    result.assert_outcomes(passed=1, failed=5)


def test_vm_lock_makes_boots_take_turns(tmp_path, monkeypatch):
    """Two holders of the machine-wide VM lock never overlap; an empty name disables it."""
    monkeypatch.setenv("MEDIATUI_VM_LOCK", str(tmp_path / "vm.lock"))
    first = vm.acquire_vm_lock()
    assert first is not None
    waited: list[str] = []
    got = threading.Event()

    def second() -> None:
        lock = vm.acquire_vm_lock(waited.append)
        got.set()
        assert lock is not None
        lock.close()

    thread = threading.Thread(target=second)
    thread.start()
    assert not got.wait(0.3)  # blocked while the first holds it
    assert waited and "waiting for another VM" in waited[0]
    first.close()
    assert got.wait(5.0)
    thread.join()
    monkeypatch.setenv("MEDIATUI_VM_LOCK", "")
    assert vm.acquire_vm_lock() is None


def test_the_kernel_command_line_fits_whatever_the_checkout_path(tmp_path):
    """vng puts ``--exec`` on the kernel command line: a long path must not overflow it.

    CI checked the repository out at /check/work/main; with every kernel test file on
    the guest's pytest command line the kernel command line reached 2076 bytes and QEMU
    refused to boot (vng exit 255, no output). Asks vng itself (``--dry-run``) what it
    would give QEMU.
    """
    vng = vm.find_vng()
    kernel = vm.kernel_image_path()
    if vng is None or not kernel.exists() or not vm.shutil.which("qemu-system-x86_64"):
        pytest.skip("needs vng, qemu-system-x86_64 and the kernel image")
    root = Path("/" + "/".join(["a-long-checkout-directory"] * 8)) / "main"
    files = [str(root / f"tests/kernel/test_file_number_{n}.py") for n in range(40)]
    args = ["-m", "pytest", "--rootdir", str(root), "-c", str(root / "pyproject.toml"), *files]
    command = vm.guest_command(str(root / ".venv/bin/python"), args, tmp_path, root)
    pre = vm.Prereqs(kernel=kernel, vng=vng)
    argv = vm.vng_command(pre, ("vivid.n_devs=3",), tmp_path, vm.guest_script(command, tmp_path))
    env = dict(os.environ, PATH=os.pathsep.join([str(vng.parent), os.environ["PATH"]]))
    out = vm.subprocess.run(
        [*argv, "--dry-run"], capture_output=True, text=True, env=env, timeout=60, check=True
    ).stdout
    qemu = shlex.split(out.strip().splitlines()[-1])
    cmdline = qemu[qemu.index("-append") + 1]
    assert len(cmdline.encode()) < vm.KERNEL_CMDLINE_MAX - 512, cmdline
    script = (tmp_path / "guest.sh").read_text()
    assert shlex.join([str(root / ".venv/bin/python"), *args]) in script


@pytest.mark.parametrize("console", [None, "1", "0"])
def test_the_guest_console_is_shown_unless_turned_off(tmp_path, monkeypatch, console):
    """By default (and ``MEDIATUI_VM_CONSOLE=1``) vng gives QEMU a console chardev on
    stderr (which the harness logs) and the kernel no ``quiet loglevel=0``; with
    ``MEDIATUI_VM_CONSOLE=0`` vng's /dev/null. Asks vng itself (``--dry-run``)."""
    vng = vm.find_vng()
    kernel = vm.kernel_image_path()
    if vng is None or not kernel.exists() or not vm.shutil.which("qemu-system-x86_64"):
        pytest.skip("needs vng, qemu-system-x86_64 and the kernel image")
    if console is None:
        monkeypatch.delenv(vm.ENV_CONSOLE, raising=False)
    else:
        monkeypatch.setenv(vm.ENV_CONSOLE, console)
    pre = vm.Prereqs(kernel=kernel, vng=vng)
    argv = vm.vng_command(pre, (), tmp_path, vm.guest_script("true", tmp_path))
    env = dict(os.environ, PATH=os.pathsep.join([str(vng.parent), os.environ["PATH"]]))
    out = vm.subprocess.run(
        [*argv, "--dry-run"], capture_output=True, text=True, env=env, timeout=60, check=True
    ).stdout
    qemu = shlex.split(out.strip().splitlines()[-1])
    chardevs = [qemu[i + 1] for i, a in enumerate(qemu) if a == "-chardev"]
    console_dev = next(c for c in chardevs if "id=console" in c)
    kernel_args = qemu[qemu.index("-append") + 1].split()
    if console != "0":
        assert "path=/proc/self/fd/2" in console_dev, console_dev
        assert "quiet" not in kernel_args and "loglevel=0" not in kernel_args
    else:
        assert "path=/dev/null" in console_dev, console_dev
        assert "loglevel=0" in kernel_args


def test_a_boot_with_many_tests_gets_time_for_them(monkeypatch):
    """A flat 900 s killed the default boot's ~150 passing tests on a loaded host."""
    assert vm.boot_timeout(3) == vm.DEFAULT_TIMEOUT_S
    assert vm.boot_timeout(152) >= 152 * vm.PER_TEST_BUDGET_S
