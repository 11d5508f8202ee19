"""The ctypes ABI in ``core/abi`` checked against the C headers it transcribes.

A wrong offset in a ctypes struct does not fail loudly: the kernel reads garbage, or
writes past what Python allocated.  So instead of trusting transcription, the gcc test
below generates a C program from the Python modules themselves (every struct, every
field path, every ioctl number, every constant whose name the headers know), compiles it
against ``/usr/include``, and compares all of it in one go, reporting every mismatch as a
table.

The pure tests at the end cover the helpers and the ``_IOC`` encoding without gcc.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from core.abi import dmabuf, dvb, media, v4l2
from core.abi import ioctl as abi_ioctl

MODULES: tuple[ModuleType, ...] = (v4l2, dvb, dmabuf, media)

INCLUDE_DIR = Path("/usr/include")

# Included in this order.  fcntl.h first: DMA_HEAP_VALID_FD_FLAGS uses O_CLOEXEC and
# O_ACCMODE, which linux/dma-heap.h does not include itself.
C_HEADERS = (
    "fcntl.h",
    "sys/time.h",
    "time.h",
    "linux/videodev2.h",
    "linux/dvb/dmx.h",
    "linux/dvb/frontend.h",
    "linux/dma-heap.h",
    "linux/udmabuf.h",
    "linux/dma-buf.h",
    "linux/media.h",
)

# Headers searched for names (a constant is compared when its name appears here).
# v4l2-controls.h carries the V4L2_CID_* and control-class definitions.
NAME_HEADERS = (
    "linux/videodev2.h",
    "linux/v4l2-controls.h",
    "linux/v4l2-common.h",
    "linux/dvb/dmx.h",
    "linux/dvb/frontend.h",
    "linux/dma-heap.h",
    "linux/udmabuf.h",
    "linux/dma-buf.h",
    "linux/media.h",
)

# Structs that come from libc rather than the kernel headers.
LIBC_STRUCTS = {"timeval", "timespec"}

# Names defined in core/abi that are newer than the installed (Debian 12, 6.1) headers.
# They are compared whenever the headers do have them; when absent they are skipped here
# instead of failing.  Anything else missing from the headers is reported as a mismatch.
NEWER_THAN_HEADERS = {
    # 6.8: VIDIOC_CREATE_BUFS/REQBUFS can report a queue's max_num_buffers.
    "V4L2_BUF_CAP_SUPPORTS_MAX_NUM_BUFFERS",
    # 6.10: VIDIOC_REMOVE_BUFS.
    "V4L2_BUF_CAP_SUPPORTS_REMOVE_BUFS",
    # 6.10: the never-implemented V4L2_CAP_ASYNCIO bit became V4L2_CAP_EDID.
    "V4L2_CAP_EDID",
}

CONSTANT_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")


# ---------------------------------------------------------------------------------------
# What the Python side claims
# ---------------------------------------------------------------------------------------


def _is_struct(obj: object) -> bool:
    return isinstance(obj, type) and issubclass(obj, ctypes.Structure | ctypes.Union)


def abi_structs() -> list[tuple[str, type]]:
    """Every public struct/union class defined in the modules: (C tag, class)."""
    found = []
    for module in MODULES:
        for name, obj in vars(module).items():
            if _is_struct(obj) and obj.__module__ == module.__name__ and not name.startswith("_"):
                found.append((name, obj))
    return found


def c_type_name(name: str, cls: type) -> str:
    return f"{'union' if issubclass(cls, ctypes.Union) else 'struct'} {name}"


FieldPath = tuple[str, int, int | None]


def field_paths(cls: type, prefix: str = "", base: int = 0) -> Iterator[FieldPath]:
    """(C member path, offset, size or None for a flexible array) for every field.

    Anonymous unions/structs (``_anonymous_``) add no path segment, exactly as in C, so
    ``v4l2_buffer._request.request_fd`` becomes ``request_fd``.  Nested aggregates are
    walked too (``m.planes``, ``fmt.pix_mp.plane_fmt``), which also checks that a packed
    or aligned inner type sits where C puts it.
    """
    anonymous = set(getattr(cls, "_anonymous_", ()))
    for entry in cls._fields_:
        name, ftype = entry[0], entry[1]
        desc = getattr(cls, name)
        offset = base + desc.offset
        if name in anonymous:
            path = prefix
        else:
            path = f"{prefix}.{name}" if prefix else name
            flexible = issubclass(ftype, ctypes.Array) and ftype._length_ == 0
            yield path, offset, None if flexible else desc.size
        if _is_struct(ftype):
            yield from field_paths(ftype, path, offset)


def _module_ints(module: ModuleType) -> Iterator[tuple[str, int]]:
    for name, value in vars(module).items():
        if CONSTANT_RE.match(name) and isinstance(value, int) and not isinstance(value, bool):
            yield name, int(value)


def abi_ioctls() -> dict[str, int]:
    """Module-level names that are registered ioctls under that same name."""
    out = {}
    for module in MODULES:
        for name, value in _module_ints(module):
            entry = abi_ioctl.REGISTRY.get(value)
            if entry is not None and entry[0] == name:
                out[name] = value
    return out


def abi_constants() -> dict[str, int]:
    """Every other module-level UPPER_CASE int (enum aliases included)."""
    ioctls = abi_ioctls()
    out = {}
    for module in MODULES:
        for name, value in _module_ints(module):
            if name not in ioctls:
                out[name] = value
    return out


# ---------------------------------------------------------------------------------------
# The C probe
# ---------------------------------------------------------------------------------------


def header_text() -> str:
    paths = [INCLUDE_DIR / h for h in NAME_HEADERS]
    return "\n".join(p.read_text(errors="replace") for p in paths if p.exists())


def in_headers(name: str, text: str) -> bool:
    return re.search(rf"\b{re.escape(name)}\b", text) is not None


def build_probe(text: str) -> tuple[str, list[tuple[str, str, str]]]:
    """The C source, plus rows for Python names the headers do not have at all."""
    lines = [f"#include <{h}>" for h in C_HEADERS]
    lines += ["#include <stddef.h>", "#include <stdio.h>", "", "int main(void)", "{"]
    missing: list[tuple[str, str, str]] = []

    for name, cls in abi_structs():
        ctype = c_type_name(name, cls)
        tag = ctype.split()[0]
        if name not in LIBC_STRUCTS and not re.search(rf"\b{tag}\s+{name}\b", text):
            missing.append(("size", name, str(ctypes.sizeof(cls))))
            continue
        lines.append(f'\tprintf("size {name} %zu\\n", sizeof({ctype}));')
        lines.append(f'\tprintf("align {name} %zu\\n", _Alignof({ctype}));')
        for path, _offset, size in field_paths(cls):
            lines.append(f'\tprintf("off {name}.{path} %zu\\n", offsetof({ctype}, {path}));')
            if size is not None:
                member = f"((({ctype} *)0)->{path})"
                lines.append(f'\tprintf("fsize {name}.{path} %zu\\n", sizeof{member});')

    for name in sorted(abi_ioctls()):
        if not in_headers(name, text):
            missing.append(("ioctl", name, str(abi_ioctls()[name])))
            continue
        lines.append(f'\tprintf("ioctl {name} %lu\\n", (unsigned long)({name}));')

    for name, value in sorted(abi_constants().items()):
        if not in_headers(name, text):
            if name not in NEWER_THAN_HEADERS:
                missing.append(("const", name, str(value)))
            continue
        lines.append(f'\tprintf("const {name} %lld\\n", (long long)({name}));')

    lines += ["\treturn 0;", "}", ""]
    return "\n".join(lines), missing


def python_side() -> dict[tuple[str, str], str]:
    """The same lines the probe prints, computed from ctypes."""
    out: dict[tuple[str, str], str] = {}
    for name, cls in abi_structs():
        out[("size", name)] = str(ctypes.sizeof(cls))
        out[("align", name)] = str(ctypes.alignment(cls))
        for path, offset, size in field_paths(cls):
            out[("off", f"{name}.{path}")] = str(offset)
            if size is not None:
                out[("fsize", f"{name}.{path}")] = str(size)
    for name, value in abi_ioctls().items():
        out[("ioctl", name)] = str(value)
    for name, value in abi_constants().items():
        out[("const", name)] = str(value)
    return out


def _table(rows: list[tuple[str, str, str, str]]) -> str:
    head = ("kind", "name", "python", "C headers")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    fmt = "  ".join(f"{{:{w}}}" for w in widths)
    return "\n".join([fmt.format(*head), fmt.format(*("-" * w for w in widths))] + [
        fmt.format(*r) for r in rows
    ])


def _require(condition: bool, reason: str) -> None:
    """Skip locally when the toolchain is missing; in CI that is a broken runner."""
    if condition:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true, so this is not skipped)")
    pytest.skip(reason)


def test_ctypes_layout_matches_c_headers(tmp_path: Path) -> None:
    gcc = shutil.which("gcc")
    _require(gcc is not None, "gcc is not installed: cannot compile the ABI probe")
    absent = [h for h in C_HEADERS if h.startswith("linux/") and not (INCLUDE_DIR / h).exists()]
    _require(not absent, f"kernel headers missing ({', '.join(absent)}): install linux-libc-dev")

    text = header_text()
    source, missing = build_probe(text)
    (tmp_path / "probe.c").write_text(source)
    compiled = subprocess.run(
        [gcc, "-std=gnu11", "-O0", "-o", str(tmp_path / "probe"), str(tmp_path / "probe.c")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert compiled.returncode == 0, f"probe did not compile:\n{compiled.stderr}"
    ran = subprocess.run(
        [str(tmp_path / "probe")], capture_output=True, text=True, check=True
    )

    c_side: dict[tuple[str, str], str] = {}
    for line in ran.stdout.splitlines():
        kind, name, value = line.split()
        c_side[(kind, name)] = value
    py_side = python_side()

    rows = [(kind, name, value, "(not in headers)") for kind, name, value in missing]
    for key, c_value in sorted(c_side.items()):
        if py_side.get(key) != c_value:
            rows.append((key[0], key[1], py_side.get(key, "-"), c_value))
    kinds = {k: sum(1 for key in c_side if key[0] == k) for k in ("size", "off", "ioctl", "const")}
    assert not rows, (
        f"{len(rows)} ABI mismatch(es) against {INCLUDE_DIR}:\n{_table(rows)}\n"
        f"(compared {kinds['size']} structs, {kinds['off']} fields, {kinds['ioctl']} ioctls, "
        f"{kinds['const']} constants)"
    )
    # Everything the Python side has was printed by the probe (nothing silently dropped).
    compared = {k for k in py_side if k[0] != "const" or k[1] not in NEWER_THAN_HEADERS}
    assert compared <= set(c_side) | {(k, n) for k, n, _ in missing}


def test_newer_than_headers_names_exist() -> None:
    """The exclusion list must only name things we define (no stale entries)."""
    assert set(NEWER_THAN_HEADERS) <= set(abi_constants())


# ---------------------------------------------------------------------------------------
# Pure tests: no gcc needed
# ---------------------------------------------------------------------------------------


def _ioc_fields(number: int) -> tuple[int, str, int, int]:
    """Split an ioctl number the way ``_IOC_DIR``/``_IOC_TYPE``/``_IOC_NR``/``_IOC_SIZE`` do."""
    direction = (number >> abi_ioctl._IOC_DIRSHIFT) & ((1 << 2) - 1)
    kind = chr((number >> abi_ioctl._IOC_TYPESHIFT) & ((1 << abi_ioctl._IOC_TYPEBITS) - 1))
    nr = (number >> abi_ioctl._IOC_NRSHIFT) & ((1 << abi_ioctl._IOC_NRBITS) - 1)
    size = (number >> abi_ioctl._IOC_SIZESHIFT) & ((1 << abi_ioctl._IOC_SIZEBITS) - 1)
    return direction, kind, nr, size


def test_ioc_encoding_of_well_known_ioctls() -> None:
    # VIDIOC_QUERYCAP is _IOR('V', 0, struct v4l2_capability), and that struct is
    # 16 + 32 + 32 bytes of strings plus six __u32.
    assert ctypes.sizeof(v4l2.v4l2_capability) == 16 + 32 + 32 + 6 * 4
    assert _ioc_fields(v4l2.VIDIOC_QUERYCAP) == (abi_ioctl._IOC_READ, "V", 0, 104)
    rw = abi_ioctl._IOC_READ | abi_ioctl._IOC_WRITE
    assert _ioc_fields(v4l2.VIDIOC_QBUF) == (rw, "V", 15, ctypes.sizeof(v4l2.v4l2_buffer))
    assert _ioc_fields(v4l2.VIDIOC_STREAMON) == (abi_ioctl._IOC_WRITE, "V", 18, 4)
    assert _ioc_fields(dvb.DMX_START) == (abi_ioctl._IOC_NONE, "o", 41, 0)
    assert _ioc_fields(dvb.DMX_SET_BUFFER_SIZE) == (abi_ioctl._IOC_NONE, "o", 45, 0)
    assert _ioc_fields(dvb.FE_GET_PROPERTY) == (abi_ioctl._IOC_READ, "o", 83, 16)
    assert _ioc_fields(dmabuf.DMA_HEAP_IOCTL_ALLOC) == (rw, "H", 0, 24)


def test_registry_names_every_ioctl() -> None:
    ioctls = abi_ioctls()
    assert {"VIDIOC_QUERYCAP", "VIDIOC_DQBUF", "DMX_DQBUF", "FE_SET_PROPERTY"} <= set(ioctls)
    for name, number in ioctls.items():
        assert abi_ioctl.ioctl_name(number) == name
    assert abi_ioctl.REGISTRY[v4l2.VIDIOC_QBUF][1] is v4l2.v4l2_buffer


def test_timeval_is_two_longs() -> None:
    assert ctypes.sizeof(v4l2.timeval) == 2 * ctypes.sizeof(ctypes.c_long)
    tv = v4l2.timeval(tv_sec=3, tv_usec=250)
    assert v4l2.v4l2_timeval_to_ns(tv) == 3_000_250_000


def test_fourcc_round_trip() -> None:
    for code in ("YUYV", "NV12", "MJPG", "Y10 ", "BA81"):
        assert v4l2.fourcc_str(v4l2.fourcc(code)) == code
    assert v4l2.fourcc("YUYV") == ord("Y") | ord("U") << 8 | ord("Y") << 16 | ord("V") << 24
    assert v4l2.fourcc("Y10") == v4l2.V4L2_PIX_FMT_Y10
    assert v4l2.fourcc_str(v4l2.fourcc_be("AR15")) == "AR15-BE"
    assert v4l2.fourcc_str(0x00010203) == "...."
    with pytest.raises(ValueError):
        v4l2.fourcc("TOOLONG")


def test_decode_flags() -> None:
    caps = v4l2.V4L2_BUF_CAP_SUPPORTS_MMAP | v4l2.V4L2_BUF_CAP_SUPPORTS_DMABUF
    assert v4l2.decode_flags(caps, v4l2.BufCap) == ["MMAP", "DMABUF"]
    assert v4l2.decode_flags(0, v4l2.BufCap) == []
    assert v4l2.decode_flags(1 << 30 | 1, v4l2.BufCap) == ["MMAP", "0x40000000"]
    device_caps = (
        v4l2.V4L2_CAP_VIDEO_CAPTURE_MPLANE | v4l2.V4L2_CAP_STREAMING | v4l2.V4L2_CAP_DEVICE_CAPS
    )
    assert v4l2.decode_flags(device_caps, v4l2.Cap) == [
        "VIDEO_CAPTURE_MPLANE",
        "STREAMING",
        "DEVICE_CAPS",
    ]


def test_buf_flag_names_splits_timestamp_fields() -> None:
    flags = (
        v4l2.V4L2_BUF_FLAG_QUEUED
        | v4l2.V4L2_BUF_FLAG_DONE
        | v4l2.V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC
        | v4l2.V4L2_BUF_FLAG_TSTAMP_SRC_SOE
    )
    assert v4l2.buf_flag_names(flags) == [
        "QUEUED",
        "DONE",
        "TIMESTAMP_MONOTONIC",
        "TSTAMP_SRC_SOE",
    ]
    assert v4l2.buf_flag_names(v4l2.V4L2_BUF_FLAG_ERROR) == ["ERROR"]


def test_dvb_flag_names() -> None:
    locked = (
        dvb.FE_HAS_SIGNAL | dvb.FE_HAS_CARRIER | dvb.FE_HAS_VITERBI | dvb.FE_HAS_SYNC
        | dvb.FE_HAS_LOCK
    )
    assert dvb.fe_status_names(locked) == [
        "FE_HAS_SIGNAL",
        "FE_HAS_CARRIER",
        "FE_HAS_VITERBI",
        "FE_HAS_SYNC",
        "FE_HAS_LOCK",
    ]
    assert dvb.fe_status_names(dvb.FE_TIMEDOUT) == ["FE_TIMEDOUT"]
    assert dvb.fe_status_names(0) == []
    flags = dvb.DMX_BUFFER_FLAG_TEI | dvb.DMX_BUFFER_PKT_COUNTER_MISMATCH
    assert dvb.dmx_buffer_flag_names(flags) == [
        "DMX_BUFFER_FLAG_TEI",
        "DMX_BUFFER_PKT_COUNTER_MISMATCH",
    ]


def test_cstr() -> None:
    assert v4l2.cstr(b"vivid\0garbage") == "vivid"
    assert v4l2.cstr(b"no-nul") == "no-nul"
    assert v4l2.cstr(b"bad\xff\0") == "bad\ufffd"
    cap = v4l2.v4l2_capability(driver=b"uvcvideo")
    assert v4l2.cstr(cap.driver) == "uvcvideo"
    raw = (ctypes.c_uint8 * 8)(*b"abc\0def\0")
    assert v4l2.cstr(raw) == "abc"


def test_buffer_type_helpers() -> None:
    assert v4l2.is_multiplanar(v4l2.V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE)
    assert not v4l2.is_multiplanar(v4l2.V4L2_BUF_TYPE_VIDEO_CAPTURE)
    assert v4l2.is_output(v4l2.V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE)
    assert v4l2.is_output(v4l2.V4L2_BUF_TYPE_VIDEO_OVERLAY)  # as V4L2_TYPE_IS_OUTPUT says
    assert not v4l2.is_output(v4l2.V4L2_BUF_TYPE_META_CAPTURE)
    assert v4l2.BUF_TYPE_NAMES[v4l2.V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE] == "video-capture-mplane"
    assert v4l2.MEMORY_NAMES[v4l2.V4L2_MEMORY_DMABUF] == "dmabuf"
    assert v4l2.buf_type_name(99) == "type-99"


def test_attach_planes_points_into_the_array() -> None:
    buf = v4l2.v4l2_buffer(type=v4l2.V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE)
    planes = v4l2.attach_planes(buf, 2)
    planes[1].length = 4096
    assert buf.length == 2
    assert buf.m.planes[1].length == 4096
    assert ctypes.addressof(buf.m.planes.contents) == ctypes.addressof(planes)


def test_dtv_property_is_packed() -> None:
    # 4 (cmd) + 12 (reserved) + 56 (u: the buffer member with its pointer) + 4 (result)
    assert ctypes.sizeof(dvb.dtv_property) == 76
    assert dvb.dtv_property.result.offset == 72


# ---------------------------------------------------------------------------------------
# Trace summaries (core/abi/describe.py)
# ---------------------------------------------------------------------------------------


def test_describe_registers_with_the_chokepoint() -> None:
    from core import ioctl as chokepoint
    from core.abi import describe

    req = v4l2.v4l2_requestbuffers(
        count=4,
        type=v4l2.V4L2_BUF_TYPE_VIDEO_CAPTURE,
        memory=v4l2.V4L2_MEMORY_MMAP,
        capabilities=v4l2.V4L2_BUF_CAP_SUPPORTS_MMAP
        | v4l2.V4L2_BUF_CAP_SUPPORTS_USERPTR
        | v4l2.V4L2_BUF_CAP_SUPPORTS_DMABUF,
    )
    assert chokepoint.summarize(req) == (
        "type=video-capture memory=mmap count=4 caps=MMAP|USERPTR|DMABUF"
    )
    # Every registered argument type is a real ioctl argument type.
    argtypes = {entry[1] for entry in abi_ioctl.REGISTRY.values()}
    assert set(describe.SUMMARIZERS) <= argtypes


def test_describe_multiplanar_buffer_follows_planes() -> None:
    from core.abi import describe

    buf = v4l2.v4l2_buffer(
        index=2,
        type=v4l2.V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE,
        memory=v4l2.V4L2_MEMORY_MMAP,
        flags=v4l2.V4L2_BUF_FLAG_QUEUED | v4l2.V4L2_BUF_FLAG_DONE,
    )
    planes = v4l2.attach_planes(buf, 1)
    planes[0].length = planes[0].bytesused = 460800
    text = describe.summarize_buffer(buf)
    assert text.startswith(
        "index=2 type=video-capture-mplane flags=QUEUED|DONE planes=[0:len=460800 used=460800]"
    )
    buf.memory = v4l2.V4L2_MEMORY_DMABUF
    planes[0].m.fd = 9
    assert "memory=dmabuf" in describe.summarize_buffer(buf)
    assert "fd=9]" in describe.summarize_buffer(buf)


def test_describe_exportbuffer_names_open_flags() -> None:
    from core.abi import describe

    exp = v4l2.v4l2_exportbuffer(index=0, plane=1, flags=os.O_CLOEXEC | os.O_RDONLY, fd=7)
    assert describe.summarize_exportbuffer(exp) == "index=0 plane=1 flags=O_CLOEXEC|O_RDONLY fd=7"


def test_describe_format_and_dvb() -> None:
    from core.abi import describe

    fmt = v4l2.v4l2_format(type=v4l2.V4L2_BUF_TYPE_VIDEO_CAPTURE)
    fmt.fmt.pix.width, fmt.fmt.pix.height = 640, 480
    fmt.fmt.pix.pixelformat = v4l2.V4L2_PIX_FMT_YUYV
    fmt.fmt.pix.field = v4l2.V4L2_FIELD_NONE
    assert describe.summarize_format(fmt).startswith(
        "type=video-capture width=640 height=480 pixelformat='YUYV' field=none"
    )
    arg, _keep_alive = dvb.dtv_props(
        (dvb.DTV_DELIVERY_SYSTEM, dvb.SYS_DVBT), (dvb.DTV_FREQUENCY, 474_000_000), dvb.DTV_TUNE
    )
    assert describe.summarize_dtv_properties(arg) == (
        "num=3 [DELIVERY_SYSTEM=DVBT FREQUENCY=474000000 TUNE]"
    )
    pes = dvb.dmx_pes_filter_params(
        pid=0x2000,
        input=dvb.DMX_IN_FRONTEND,
        output=dvb.DMX_OUT_TSDEMUX_TAP,
        pes_type=dvb.DMX_PES_OTHER,
        flags=dvb.DMX_IMMEDIATE_START,
    )
    assert describe.summarize_pes_filter(pes) == (
        "pid=0x2000 input=frontend output=tsdemux-tap pes_type=other flags=IMMEDIATE_START"
    )
    sync = dmabuf.dma_buf_sync(flags=dmabuf.DMA_BUF_SYNC_START | dmabuf.DMA_BUF_SYNC_READ)
    assert describe.summarize_dma_buf_sync(sync) == "flags=START|READ"


def test_every_summarizer_describes_an_ioctl_something_issues() -> None:
    """No trace summarizer for a struct only unissued ioctls take (dead code otherwise):
    each argument type belongs to an ioctl whose constant core or mediatui names."""
    import re
    from pathlib import Path

    from core.abi import describe

    root = Path(__file__).resolve().parents[2]
    sources = [p for d in ("core", "mediatui") for p in (root / d).rglob("*.py")
               if not p.relative_to(root).as_posix().startswith(("core/abi/", "core/virtual/"))]
    used = set()
    for path in sources:
        used |= set(re.findall(r"\.([A-Z][A-Z0-9_]+)\b", path.read_text()))
    issued_types = {argtype for name, argtype in abi_ioctl.REGISTRY.values() if name in used}
    unused = [t.__name__ for t in describe.SUMMARIZERS if t not in issued_types]
    assert not unused, unused
