"""fdinfo parsing for dma-buf accounting."""

from __future__ import annotations

import os

from core.fdinfo import dmabuf_info, dmabuf_info_from_text, open_fds, parse_fdinfo

DMABUF_FDINFO = """pos:\t0
flags:\t02000002
mnt_id:\t15
ino:\t1052
size:\t462848
count:\t2
exp_name:\tvideobuf2_vmalloc
name:\t
"""


def test_parse_dmabuf_fdinfo() -> None:
    info = dmabuf_info_from_text(DMABUF_FDINFO)
    assert info.size == 462848 and info.exp_name == "videobuf2_vmalloc"
    assert info.inode == 1052 and info.count == 2 and info.name is None
    assert info.flags == 0o2000002 and info.is_dmabuf


def test_plain_file_is_not_a_dmabuf() -> None:
    fields = parse_fdinfo("pos:\t0\nflags:\t0100002\nmnt_id:\t3\n")
    assert fields["flags"] == "0100002"
    assert not dmabuf_info_from_text("pos:\t0\n").is_dmabuf


def test_own_fd_inode_and_size_fallback(tmp_path) -> None:
    """Kernels before 6.2 print no ino/size for non-dma-bufs: fstat and lseek fill in."""
    path = tmp_path / "f"
    path.write_bytes(b"x" * 1234)
    fd = os.open(path, os.O_RDONLY)
    try:
        info = dmabuf_info(fd)
        assert info.inode == os.fstat(fd).st_ino and info.size == 1234
        assert fd in open_fds()
    finally:
        os.close(fd)
