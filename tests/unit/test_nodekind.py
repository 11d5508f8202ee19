"""Only media nodes are opened: a path is stat()ed (fstat of an O_PATH fd) first, and
anything but a video4linux, DVB, media, dma_heap or udmabuf character device is refused
with what it is, never opened (issue 12 part 5)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from core import ioctl as chokepoint
from core.errors import NotAMediaNode, PathError
from core.handle import NodeHandle
from core.nodekind import char_majors, classify

PROC_DEVICES = """Character devices:
  1 mem
  5 /dev/tty
  5 /dev/console
 10 misc
 81 video4linux
212 DVB
240 media
251 dma_heap

Block devices:
  8 sd
"""


@pytest.fixture
def registry(tmp_path: Path) -> tuple[str, str]:
    """A /proc/devices and a /sys/dev/char with udmabuf and watchdog as misc minors."""
    proc = tmp_path / "proc-devices"
    proc.write_text(PROC_DEVICES)
    sys_char = tmp_path / "dev-char"
    sys_char.mkdir()
    for minor, name in ((125, "udmabuf"), (130, "watchdog")):
        device = tmp_path / "sys" / "devices" / "virtual" / "misc" / name
        device.mkdir(parents=True)
        (device / "subsystem").symlink_to(tmp_path / "sys" / "class" / "misc")
        (sys_char / f"10:{minor}").symlink_to(device)
    return str(proc), str(sys_char)


def _chr(major: int, minor: int) -> os.stat_result:
    return os.stat_result((stat.S_IFCHR | 0o660, 1, 1, 1, 0, 0, 0, 0, 0, 0),
                          {"st_rdev": os.makedev(major, minor)})


def test_proc_devices_character_section_only(registry: tuple[str, str]) -> None:
    majors = char_majors(registry[0])
    assert majors[81] == ("video4linux",) and majors[5] == ("/dev/tty", "/dev/console")
    assert 8 not in majors  # a block major


@pytest.mark.parametrize(
    ("major", "minor", "media_class"),
    [(81, 0, "video4linux"), (212, 4, "dvb"), (240, 0, "media"), (251, 0, "dma_heap"),
     (10, 125, "udmabuf")],
)
def test_media_majors_from_the_running_kernel(
    registry: tuple[str, str], major: int, minor: int, media_class: str
) -> None:
    proc, sys_char = registry
    kind = classify("/dev/x", _chr(major, minor), proc_devices=proc, sys_dev_char=sys_char)
    assert kind.is_media and kind.media_class == media_class


def test_another_misc_minor_is_named_with_its_driver(registry: tuple[str, str]) -> None:
    """/dev/watchdog is a misc minor like udmabuf: refused, and named."""
    proc, sys_char = registry
    kind = classify("/dev/watchdog", _chr(10, 130), proc_devices=proc, sys_dev_char=sys_char)
    assert not kind.is_media
    assert "driver 'misc'" in kind.describe() and "misc/watchdog" in kind.describe()


def test_an_unknown_major_is_not_media(registry: tuple[str, str]) -> None:
    proc, sys_char = registry
    kind = classify("/dev/ttyS0", _chr(4, 64), proc_devices=proc, sys_dev_char=sys_char)
    assert not kind.is_media and "no registered driver" in kind.describe()


@pytest.fixture
def no_open(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Record every os.open the chokepoint makes; only O_PATH opens run no driver code."""
    calls: list[tuple[str, int]] = []
    real = os.open

    def spy(path: str, flags: int, *args: int) -> int:
        calls.append((path, flags))
        return real(path, flags, *args)

    monkeypatch.setattr(chokepoint.os, "open", spy)
    return calls


def _refused(path: str, calls: list[tuple[str, int]]) -> NotAMediaNode:
    with pytest.raises(NotAMediaNode) as info:
        NodeHandle(path)
    assert all(flags & os.O_PATH for _, flags in calls), calls
    return info.value


def test_directory_is_refused_unopened(tmp_path: Path, no_open: list) -> None:
    err = _refused(str(tmp_path), no_open)
    assert "a directory" in err.title and str(err).startswith(f"{tmp_path}: not opened")


def test_regular_file_is_refused_unopened(tmp_path: Path, no_open: list) -> None:
    f = tmp_path / "video0"
    f.write_text("")
    assert "a regular file" in _refused(str(f), no_open).title


def test_fifo_is_refused_unopened(tmp_path: Path, no_open: list) -> None:
    """Opening a FIFO O_RDWR would succeed (and O_RDONLY block): it must not happen."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert "a FIFO" in _refused(str(fifo), no_open).title


def test_another_drivers_char_device_is_refused_with_its_name(no_open: list) -> None:
    err = _refused("/dev/null", no_open)
    assert "driver 'mem'" in err.title and "1:3" in err.title


def test_symlink_loop_is_a_path_error(tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(PathError) as info:
        NodeHandle(str(loop))
    assert info.value.errno_name == "ELOOP" and "path" in info.value.explanation


def test_symlink_to_a_non_media_node_is_refused(tmp_path: Path, no_open: list) -> None:
    link = tmp_path / "video9"
    link.symlink_to("/dev/null")
    assert "driver 'mem'" in _refused(str(link), no_open).title


def test_heap_takes_a_name_never_a_path() -> None:
    from core.dmabuf import DmaHeap

    for bad in ("../../dev/zero", "/dev/zero", "", "..", "a/b"):
        with pytest.raises(ValueError, match="--heap"):
            DmaHeap(bad)
    assert DmaHeap("linux,cma").path == "/dev/dma_heap/linux,cma"


def test_virtual_nodes_answer_through_the_backend_hook() -> None:
    """--demo nodes are not in /dev: the backend says what they are, consistently."""
    from core.virtual.board import demo_board

    with demo_board() as backend:
        for facts in backend.nodes():
            kind = chokepoint.node_kind(facts.path)
            assert kind.is_media, (facts.path, kind)
            NodeHandle(facts.path).close()


def test_proc_devices_is_read_once_per_burst_and_again_for_a_new_major(
    registry: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A list classifies dozens of nodes: /proc/devices is read once for all of them, and
    again at once when a major is not in it (a driver registered since)."""
    import core.nodekind as nk

    proc, sys_char = registry
    reads: list[str] = []
    real = nk.char_majors
    monkeypatch.setattr(nk, "char_majors", lambda p: reads.append(p) or real(p))
    monkeypatch.setattr(nk, "_majors_cache", {})
    for minor in range(5):
        assert classify("/dev/x", _chr(81, minor), proc_devices=proc,
                        sys_dev_char=sys_char).media_class == "video4linux"
    assert reads == [proc]
    with open(proc, "a") as f:  # a DVB adapter's driver loads: a new major appears
        f.write("Character devices:\n213 DVB\n")
    assert classify("/dev/y", _chr(213, 0), proc_devices=proc,
                    sys_dev_char=sys_char).media_class == "dvb"
    assert reads == [proc, proc]
