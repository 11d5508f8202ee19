"""The right cause for real kernel errors, and only media nodes opened (issue 12, parts 5-6).

Runs in the default boot. Nodes made for a test (mknod) live in /dev, a devtmpfs that
allows device nodes, and are removed afterwards; the real nodes are never chmod()ed.
"""

from __future__ import annotations

import contextlib
import errno
import grp
import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.abi import v4l2
from core.dvb import DemuxDevice, FrontendDevice
from core.errors import (
    InvalidRequest,
    LastBufferDequeued,
    MediaError,
    NoDevice,
    NotAMediaNode,
    PathError,
)
from core.handle import NodeHandle
from core.nodekind import classify
from core.video import VideoDevice

ROOT = Path(__file__).resolve().parents[2]
AS_NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


@contextlib.contextmanager
def _node_copy(name: str, like: str, mode: int, gid: int = 0) -> Iterator[str]:
    """A second device node for the same device as ``like``, with its own mode/group."""
    path = f"/dev/mediatui-test-{name}"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    os.mknod(path, stat.S_IFCHR | 0o600, os.stat(like).st_rdev)
    try:
        os.chown(path, 0, gid)
        os.chmod(path, mode)
        yield path
    finally:
        os.unlink(path)


def _python_for_nobody() -> str:
    """An interpreter the unprivileged user can run: the venv's may live under a 0700
    home directory, so fall back to the system's (core needs only the standard library)."""
    for candidate in (sys.executable, shutil.which("python3"), "/usr/bin/python3"):
        if candidate is None:
            continue
        probe = subprocess.run([*AS_NOBODY, candidate, "-c", "import typing; typing.Self"],
                               capture_output=True, timeout=120, check=False)
        if probe.returncode == 0:
            return candidate
    pytest.fail("no Python 3.11+ interpreter that the user nobody may run")


_OPEN_AS_NOBODY = """
import json, sys
from core.video import VideoDevice
from core.errors import MediaError
out = {}
for path in sys.argv[1:]:
    try:
        VideoDevice(path).close()
        out[path] = None
    except MediaError as exc:
        out[path] = [type(exc).__name__, exc.errno, exc.title, exc.explanation]
print(json.dumps(out))
"""


def test_eacces_says_who_may_open_the_node(vivid_cap: str) -> None:
    """chmod 000 (root only) and 0660 root:video, opened as nobody: each explanation
    names the mode, owner and group, and whether the user is in that group."""
    try:
        video_gid = grp.getgrnam("video").gr_gid
    except KeyError:
        video_gid = 44
    with _node_copy("denied", vivid_cap, 0o000) as root_only, \
            _node_copy("group", vivid_cap, 0o660, video_gid) as group_only:
        proc = subprocess.run(
            [*AS_NOBODY, _python_for_nobody(), "-c", _OPEN_AS_NOBODY, root_only, group_only],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True, text=True, timeout=300, check=False,
        )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    kind, err, title, explanation = result[root_only]
    assert (kind, err) == ("PermissionDenied", errno.EACCES)
    assert "root only" in title and "c--------- root:root" in explanation
    assert "devtmpfs" not in explanation and "usermod" not in explanation
    kind, err, title, explanation = result[group_only]
    assert (kind, err) == ("PermissionDenied", errno.EACCES)
    try:
        group = grp.getgrgid(video_gid).gr_name
    except KeyError:
        group = str(video_gid)
    assert f"crw-rw---- root:{group}" in explanation
    assert "nobody" in explanation and "not in that group" in explanation


def test_enxio_on_a_stale_node_is_no_device_not_an_unplug(vivid_cap: str) -> None:
    """A video4linux node whose minor has no device: open gives ENXIO (chrdev_open)."""
    major = os.major(os.stat(vivid_cap).st_rdev)
    minor = next(m for m in range(255, 0, -1) if not os.path.exists(f"/sys/dev/char/{major}:{m}"))
    path = "/dev/mediatui-test-stale"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(major, minor))
    try:
        assert classify(path).media_class == "video4linux"
        with pytest.raises(NoDevice) as info:
            VideoDevice(path)
    finally:
        os.unlink(path)
    assert info.value.errno == errno.ENXIO
    assert "No device behind this node" in info.value.title
    assert "unplug" not in info.value.explanation


def test_fe_set_property_out_of_range_names_the_frontend_range(
    dvb_adapter: dict[str, str],
) -> None:
    with FrontendDevice(dvb_adapter["frontend"]) as fe:
        info = fe.info()
        with pytest.raises(InvalidRequest) as caught:
            fe.tune_dvbt(frequency=1_000)
    exc = caught.value
    assert exc.ioctl == "FE_SET_PROPERTY" and exc.errno == errno.EINVAL
    assert "out of range" in exc.title
    assert f"{info.frequency_min:,} to {info.frequency_max:,} Hz" in exc.explanation


@pytest.mark.parametrize(
    ("path", "what"),
    [("/tmp", "a directory"), ("/dev/null", "driver 'mem'"), ("/dev/tty", "/dev/tty"),
     ("/proc/version", "a regular file")],
)
def test_non_media_paths_are_refused_unopened(path: str, what: str) -> None:
    with pytest.raises(NotAMediaNode) as info:
        NodeHandle(path)
    assert what in info.value.title


def test_path_errors_are_about_the_path(tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    for path, err in ((str(loop), errno.ELOOP), ("/dev/null/x", errno.ENOTDIR),
                      ("/dev/" + "v" * 300, errno.ENAMETOOLONG)):
        with pytest.raises(PathError) as info:
            NodeHandle(path)
        assert info.value.errno == err and "path" in info.value.explanation


def test_every_real_media_node_passes_the_check(dvb_adapter: dict[str, str]) -> None:
    """The check must not refuse what mediatui exists for: every video4linux, media and
    DVB node, the system heap and udmabuf, from the running kernel's registry."""
    paths = [str(p) for pattern in ("video*", "v4l-subdev*", "media*")
             for p in Path("/dev").glob(pattern)]
    paths += [dvb_adapter[k] for k in ("frontend", "demux", "dvr")]
    paths += ["/dev/dma_heap/system", "/dev/udmabuf"]
    refused = {p: classify(p).describe() for p in paths if not classify(p).is_media}
    assert not refused
    assert classify("/dev/udmabuf").media_class == "udmabuf"


def test_cli_refuses_a_non_media_node_with_its_name() -> None:
    proc = subprocess.run([sys.executable, "-m", "mediatui", "info", "/dev/null"],
                          cwd=ROOT, capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "not opened: Not a media node" in proc.stderr and "mem/null" in proc.stderr


def test_dmx_start_without_a_filter_says_so(dvb_adapter: dict[str, str]) -> None:
    with DemuxDevice(dvb_adapter["demux"]) as demux, pytest.raises(InvalidRequest) as info:
        demux.start()
    assert info.value.errno == errno.EINVAL and "No filter set" in info.value.title


def test_streamon_epipe_is_a_link_validation_failure(node_by_name) -> None:
    """vimc's Raw Capture 0 at a size its sensor does not send: link validation fails at
    STREAMON (once vimc's minimum of buffers is queued, K13) with EPIPE, which is a
    pipeline error, not mem2mem's last buffer."""
    path = node_by_name("Raw Capture 0")
    bt = v4l2.V4L2_BUF_TYPE_VIDEO_CAPTURE
    with VideoDevice(path) as dev:
        fmt = dev.get_format(bt)
        dev.set_format(bt, width=fmt.width // 2, height=fmt.height // 2)
        alloc = dev.request_buffers(bt, v4l2.V4L2_MEMORY_MMAP, 4)
        for index in range(alloc.granted):
            dev.queue_buffer(bt, index)
        with pytest.raises(MediaError) as info:
            dev.stream_on(bt)
        dev.free_buffers(bt)
    exc = info.value
    assert exc.errno == errno.EPIPE and not isinstance(exc, LastBufferDequeued)
    assert "link" in (exc.title + exc.explanation).lower()
