"""The ctypes ABI in ``core/abi`` checked against the C headers it transcribes.

A wrong offset in a ctypes struct does not fail loudly: the kernel reads garbage, or
writes past what Python allocated.  So instead of trusting transcription, the gcc test
below generates a C program from the Python modules themselves (every struct, every
field path, every ioctl number, every constant whose name the headers know), compiles it
against the kernel headers, and compares all of it in one go, reporting every mismatch
as a table.

It does so for every architecture in :data:`core.abi.target.TARGETS` that has a
compiler here: the native gcc and Debian's cross compilers (i386 and 32-bit ARM with
``_TIME_BITS=64``).  Nothing is run: the probe is compiled with ``-S`` and every value
is an ``"i"`` operand of an ``asm`` string, read back from the assembly (the kernel's
``asm-offsets`` technique), so no emulator is needed.  The Python side for a foreign
target comes from :func:`core.abi.layout.layout` and :func:`core.abi.ioctl.number_for`,
which for the host are checked against ctypes itself.

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

from core.abi import dmabuf, dvb, mbus, media, subdev, v4l2
from core.abi import ioctl as abi_ioctl
from core.abi.layout import layout
from core.abi.target import TARGETS, Target, host_target

MODULES: tuple[ModuleType, ...] = (v4l2, dvb, dmabuf, media, subdev, mbus)

INCLUDE_DIR = Path("/usr/include")

# Included in this order.  fcntl.h first: DMA_HEAP_VALID_FD_FLAGS uses O_CLOEXEC and
# O_ACCMODE, which linux/dma-heap.h does not include itself.
C_HEADERS = (
    "fcntl.h",
    "sys/time.h",
    "time.h",
    "linux/time_types.h",
    "linux/videodev2.h",
    "linux/dvb/dmx.h",
    "linux/dvb/frontend.h",
    "linux/dma-heap.h",
    "linux/udmabuf.h",
    "linux/dma-buf.h",
    "linux/media.h",
    "linux/v4l2-subdev.h",
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
    "linux/v4l2-subdev.h",
    "linux/v4l2-mediabus.h",
    "linux/media-bus-format.h",
)

# Structs that come from libc rather than the kernel headers.
LIBC_STRUCTS = {"timeval", "timespec"}

# Python structs compared with a differently named C type.  v4l2_event.timestamp is
# written by the kernel as __kernel_timespec (two 64-bit words); glibc's time64
# ``struct timespec`` on a 32-bit target has a 32-bit tv_nsec plus padding in the same
# 16 bytes, so the members under such a field are compared on the kernel type only.
C_TYPE_OVERRIDES = {"timespec": "struct __kernel_timespec"}

# Compared on the native target only: values Python takes from the running machine
# (open(2) flags differ on alpha and sparc), so the host's value says nothing about a
# foreign target.
HOST_DERIVED = {"DMA_HEAP_VALID_FD_FLAGS"}
# sparc64's timeval keeps a 32-bit tv_usec (core.abi.v4l2.timeval picks that layout on a
# sparc64 host only), so from another host these two member sizes cannot match; the
# struct sizes and offsets still must.
TARGET_SPECIFIC = {
    "sparc64": {("fsize", "timeval.tv_usec"), ("fsize", "v4l2_buffer.timestamp.tv_usec")},
}

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
        if _is_struct(ftype) and ftype.__name__ not in C_TYPE_OVERRIDES:
            yield from field_paths(ftype, path, offset)


def _module_ints(module: ModuleType) -> Iterator[tuple[str, int]]:
    for name, value in vars(module).items():
        if CONSTANT_RE.match(name) and isinstance(value, int) and not isinstance(value, bool):
            yield name, int(value)


def abi_ioctls() -> dict[str, int]:
    """Module-level names defined through the ioctl helpers (aliases included)."""
    out = {}
    for module in MODULES:
        for name, value in _module_ints(module):
            if name in abi_ioctl.DEFINITIONS:
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


def include_dir(target: Target) -> Path:
    """Where the target's compiler finds its kernel headers (``/usr/<triplet>/include``)."""
    if target.cc[0] == "gcc":
        return INCLUDE_DIR
    return Path("/usr") / target.cc[0].removesuffix("-gcc") / "include"


def header_text(include: Path = INCLUDE_DIR) -> str:
    paths = [include / h for h in NAME_HEADERS]
    return "\n".join(p.read_text(errors="replace") for p in paths if p.exists())


def in_headers(name: str, text: str) -> bool:
    return re.search(rf"\b{re.escape(name)}\b", text) is not None


# Every value is an "i" operand printed into the assembly as a decimal (after a "$" on
# x86 and "#" on ARM), split into 32-bit halves because some targets (MIPS, Alpha) only
# print constants that fit a register.
PROBE_MACRO = (
    "#define PROBE(kind, name, val) __asm__ volatile("
    '"\\n.ascii \\"@@probe " kind " " name " %0 %1\\""'
    " :: \"i\" ((unsigned)((unsigned long long)(val) & 0xffffffffu)),"
    " \"i\" ((unsigned)((unsigned long long)(val) >> 32)))"
)
PROBE_LINE = re.compile(r"@@probe (\w+) (\S+) [$#]?(-?\d+) [$#]?(-?\d+)")


def _c_type(name: str, cls: type) -> str:
    return C_TYPE_OVERRIDES.get(name) or c_type_name(name, cls)


def build_probe(text: str) -> tuple[str, list[tuple[str, str, str]]]:
    """The C source, plus rows for Python names the headers do not have at all."""
    lines = [f"#include <{h}>" for h in C_HEADERS]
    lines += ["#include <stddef.h>", "", PROBE_MACRO, "", "void probe(void)", "{"]
    missing: list[tuple[str, str, str]] = []

    for name, cls in abi_structs():
        ctype = _c_type(name, cls)
        tag = ctype.split()[0]
        if name not in LIBC_STRUCTS and not re.search(rf"\b{tag}\s+{name}\b", text):
            missing.append(("size", name, str(ctypes.sizeof(cls))))
            continue
        lines.append(f'\tPROBE("size", "{name}", sizeof({ctype}));')
        lines.append(f'\tPROBE("align", "{name}", _Alignof({ctype}));')
        for path, _offset, size in field_paths(cls):
            lines.append(f'\tPROBE("off", "{name}.{path}", offsetof({ctype}, {path}));')
            if size is not None:
                member = f"((({ctype} *)0)->{path})"
                lines.append(f'\tPROBE("fsize", "{name}.{path}", sizeof{member});')

    for name in sorted(abi_ioctls()):
        if not in_headers(name, text):
            missing.append(("ioctl", name, str(abi_ioctls()[name])))
            continue
        lines.append(f'\tPROBE("ioctl", "{name}", {name});')

    for name, value in sorted(abi_constants().items()):
        if not in_headers(name, text):
            if name not in NEWER_THAN_HEADERS:
                missing.append(("const", name, str(value)))
            continue
        lines.append(f'\tPROBE("const", "{name}", {name});')

    lines += ["}", ""]
    return "\n".join(lines), missing


def parse_probe(assembly: str, target: Target) -> dict[tuple[str, str], str]:
    """The probe's values from gcc's ``-S`` output.  ioctl numbers are ``unsigned long``
    in C (32 bits on ILP32); constants are compared as 64-bit two's complement."""
    out: dict[tuple[str, str], str] = {}
    for kind, name, low, high in PROBE_LINE.findall(assembly):
        value = (int(low) & 0xFFFFFFFF) | (int(high) & 0xFFFFFFFF) << 32
        if kind == "ioctl":
            value &= (1 << (8 * target.long_size)) - 1
        out[(kind, name)] = str(value)
    return out


def _u64(value: int) -> str:
    return str(value & 0xFFFFFFFFFFFFFFFF)


def python_side(target: Target | None = None) -> dict[tuple[str, str], str]:
    """The same keys the probe prints, from ctypes (``target`` None: this host) or from
    :func:`core.abi.layout.layout` and :func:`core.abi.ioctl.number_for` for a target."""
    out: dict[tuple[str, str], str] = {}
    for name, cls in abi_structs():
        if target is None:
            out[("size", name)] = str(ctypes.sizeof(cls))
            out[("align", name)] = str(ctypes.alignment(cls))
            for path, offset, size in field_paths(cls):
                out[("off", f"{name}.{path}")] = str(offset)
                if size is not None:
                    out[("fsize", f"{name}.{path}")] = str(size)
            continue
        shape = layout(cls, target)
        out[("size", name)] = str(shape.size)
        out[("align", name)] = str(shape.align)
        for path, _offset, size in field_paths(cls):
            offset, fsize = shape.fields[path]
            out[("off", f"{name}.{path}")] = str(offset)
            if size is not None:
                out[("fsize", f"{name}.{path}")] = str(fsize)
    for name, value in abi_ioctls().items():
        if target is not None:
            value = abi_ioctl.number_for(abi_ioctl.DEFINITIONS[name], target)
        out[("ioctl", name)] = str(value)
    for name, value in abi_constants().items():
        out[("const", name)] = _u64(value)
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


# The Debian packages that provide each target's compiler and headers (.ci/run installs
# them; gcc-multilib is not used for i386 because Debian's multilib and cross gcc
# packages conflict).
CROSS_PACKAGES = {
    "i386": "gcc-i686-linux-gnu libc6-dev-i386-cross",
    "aarch64": "gcc-aarch64-linux-gnu libc6-dev-arm64-cross",
    "armhf": "gcc-arm-linux-gnueabihf libc6-dev-armhf-cross",
    "mips": "gcc-mips-linux-gnu libc6-dev-mips-cross",
    "powerpc": "gcc-powerpc-linux-gnu libc6-dev-powerpc-cross",
    "sparc64": "gcc-sparc64-linux-gnu libc6-dev-sparc64-cross",
    "alpha": "gcc-alpha-linux-gnu libc6-dev-alpha-cross",
}


def _gcc_m32_works() -> bool:
    """``gcc -m32`` with its headers (gcc-multilib), the other way to build for i386."""
    if shutil.which("gcc") is None or os.uname().machine != "x86_64":
        return False
    done = subprocess.run(["gcc", "-m32", "-S", "-o", "/dev/null", "-x", "c", "-"],
                          input="#include <linux/videodev2.h>\n#include <sys/time.h>\n",
                          capture_output=True, text=True, check=False)
    return done.returncode == 0


def _target_cc(target: Target) -> list[str]:
    if target.cc[0] == "gcc" and os.uname().machine != target.name:
        # Not this machine's architecture: use the cross compiler by its triplet.
        return [f"{target.name}-linux-gnu-gcc"]
    if target.name == "i386" and shutil.which(target.cc[0]) is None and _gcc_m32_works():
        return ["gcc", "-m32", *target.cc[1:]]
    return list(target.cc)


@pytest.mark.parametrize("arch", sorted(TARGETS))
def test_ctypes_layout_matches_c_headers(arch: str, tmp_path: Path) -> None:
    target = TARGETS[arch]
    cc = _target_cc(target)
    compiler = shutil.which(cc[0])
    _require(compiler is not None,
             f"{cc[0]} is not installed: apt-get install {CROSS_PACKAGES.get(arch, 'gcc')}")
    include = INCLUDE_DIR if cc[0] == "gcc" else include_dir(target)
    absent = [h for h in C_HEADERS if h.startswith("linux/") and not (include / h).exists()]
    _require(not absent, f"kernel headers missing in {include} ({', '.join(absent)}): "
             f"apt-get install {CROSS_PACKAGES.get(arch, 'linux-libc-dev')}")

    text = header_text(include)
    source, missing = build_probe(text)
    (tmp_path / "probe.c").write_text(source)
    compiled = subprocess.run(
        [*cc, "-std=gnu11", "-O0", "-S", "-o", str(tmp_path / "probe.s"),
         str(tmp_path / "probe.c")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert compiled.returncode == 0, f"probe did not compile for {arch}:\n{compiled.stderr}"
    c_side = parse_probe((tmp_path / "probe.s").read_text(), target)
    native = target == host_target() or (arch == os.uname().machine and target.cc == ("gcc",))
    py_side = python_side(None if native else target)
    if not native:
        for key in [*TARGET_SPECIFIC.get(arch, ()), *(("const", n) for n in HOST_DERIVED)]:
            c_side.pop(key, None)
            py_side.pop(key, None)

    rows = [(kind, name, value, "(not in headers)") for kind, name, value in missing]
    for key, c_value in sorted(c_side.items()):
        if py_side.get(key) != c_value:
            rows.append((key[0], key[1], py_side.get(key, "-"), c_value))
    kinds = {k: sum(1 for key in c_side if key[0] == k)
             for k in ("size", "off", "ioctl", "const")}
    figures = (f"{arch}: compared {kinds['size']} structs, {kinds['off']} fields, "
               f"{kinds['ioctl']} ioctls, {kinds['const']} constants")
    print(f"abi probe {figures}, {len(rows)} mismatch(es)")
    assert not rows, (
        f"{len(rows)} ABI mismatch(es) against {include} ({' '.join(cc)}):\n{_table(rows)}\n"
        f"({figures})"
    )
    # Everything the Python side has was printed by the probe (nothing silently dropped).
    compared = {k for k in py_side if k[0] != "const" or k[1] not in NEWER_THAN_HEADERS}
    assert compared <= set(c_side) | {(k, n) for k, n, _ in missing}


def test_layout_engine_equals_ctypes_on_this_host() -> None:
    """For the running machine, core.abi.layout must give exactly what ctypes gives:
    that is what makes its answer for another target trustworthy."""
    host = host_target()
    assert python_side(host) == python_side(None)
    assert len(abi_structs()) > 50


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
        if name not in ("DMA_BUF_SET_NAME_A", "DMA_BUF_SET_NAME_B"):  # aliases
            assert abi_ioctl.ioctl_name(number) == name
    assert abi_ioctl.REGISTRY[v4l2.VIDIOC_QBUF][1] is v4l2.v4l2_buffer


def test_timeval_is_time64_on_every_target() -> None:
    # __kernel_v4l2_timeval: 64-bit seconds on 32-bit targets too (y2038-safe QBUF/DQBUF).
    for target in TARGETS.values():
        assert layout(v4l2.timeval, target).size == 16
        assert layout(v4l2.timespec, target).size == 16
    # i386 aligns 64-bit members to 4, armhf to 8: v4l2_buffer is 76 and 80 bytes there.
    assert layout(v4l2.v4l2_buffer, TARGETS["i386"]).size == 76
    assert layout(v4l2.v4l2_buffer, TARGETS["armhf"]).size == 80
    tv = v4l2.timeval(tv_sec=3, tv_usec=250)
    assert v4l2.v4l2_timeval_to_ns(tv) == 3_000_250_000
    assert isinstance(tv.tv_sec, int)  # c_s64 reads as int, like any fundamental type


def test_ioc_encoding_per_architecture() -> None:
    from core.abi.target import GENERIC, PARISC, SPARC, THREE_DIR_BITS, encoding_for_machine

    querycap = abi_ioctl.DEFINITIONS["VIDIOC_QUERYCAP"]
    streamon = abi_ioctl.DEFINITIONS["VIDIOC_STREAMON"]
    dmx_start = abi_ioctl.DEFINITIONS["DMX_START"]
    # _IOR('V', 0, 104 bytes): READ is 2 everywhere but in the 2-bit field on generic.
    assert abi_ioctl.number_for(querycap, TARGETS["x86_64"]) == 0x80685600
    assert abi_ioctl.number_for(querycap, TARGETS["mips"]) == 0x40685600
    # _IOW: WRITE is 1 (generic) or 4 (mips/powerpc/sparc/alpha).
    assert abi_ioctl.number_for(streamon, TARGETS["armhf"]) == 0x40045612
    assert abi_ioctl.number_for(streamon, TARGETS["powerpc"]) == 0x80045612
    # _IO: _IOC_NONE is 1, not 0, in the 3-bit layouts.
    assert abi_ioctl.number_for(dmx_start, TARGETS["aarch64"]) == 0x6F29
    assert abi_ioctl.number_for(dmx_start, TARGETS["alpha"]) == 0x20006F29
    assert encoding_for_machine("mips64el") is THREE_DIR_BITS
    assert encoding_for_machine("ppc64le") is THREE_DIR_BITS
    assert encoding_for_machine("sparc64") is SPARC
    assert encoding_for_machine("parisc64") is PARISC
    assert encoding_for_machine("armv7l") is GENERIC
    assert encoding_for_machine("riscv64") is GENERIC
    # parisc swaps READ and WRITE (arch/parisc/include/uapi/asm/ioctl.h).
    assert PARISC.encode(PARISC.direction(True, False), ord("V"), 0, 104) == 0x40685600
    # A size too wide for _IOC_SIZEBITS is refused, as _IOC_TYPECHECK does; SPARC has 14.
    with pytest.raises(ValueError, match="13 bits"):
        THREE_DIR_BITS.encode(2, ord("V"), 0, 1 << 13)
    assert SPARC.encode(2, ord("V"), 0, 1 << 13) == (2 << 29) | (1 << 29) | 0x5600
    assert GENERIC.split(0xC058560F) == (3, ord("V"), 15, 88)


def test_host_target_is_what_ctypes_says() -> None:
    host = host_target()
    assert host.pointer_size == ctypes.sizeof(ctypes.c_void_p)
    assert host.long_size == ctypes.sizeof(ctypes.c_long)
    assert host.ioc is abi_ioctl.ENCODING


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


# ---------------------------------------------------------------------------------------
# Media bus codes, media controller names (core/abi/mbus.py, core/abi/media.py)
# ---------------------------------------------------------------------------------------


def test_mbus_table_has_every_code_of_the_header() -> None:
    """The shipped table and ``linux/media-bus-format.h`` list the same codes by name
    (the probe compares the values; this catches a code the header has and we lack)."""
    header = INCLUDE_DIR / "linux/media-bus-format.h"
    _require(header.exists(), "linux/media-bus-format.h missing: install linux-libc-dev")
    pattern = r"#define\s+MEDIA_BUS_FMT_(\w+)\s+(0x[0-9a-fA-F]+)"
    found = dict(re.findall(pattern, header.read_text()))
    assert {name: int(v, 16) for name, v in found.items()} == {
        name: code for code, name in mbus.MBUS_CODES.items()
    }
    assert mbus.mbus_code_name(0x3001) == "SBGGR8_1X8"
    assert mbus.mbus_code_from_name("sbggr8_1x8") == 0x3001
    assert mbus.mbus_code_from_name("MEDIA_BUS_FMT_RGB888_1X24") == 0x100A
    assert mbus.mbus_code_from_name("0x100a") == 0x100A
    assert mbus.mbus_code_from_name("NOPE") is None
    assert mbus.mbus_code_name(0xDEAD) == "0xdead"


def test_media_names() -> None:
    assert media.entity_function_name(media.MEDIA_ENT_F_CAM_SENSOR) == "CAM_SENSOR"
    assert media.entity_function_name(media.MEDIA_ENT_F_V4L2_SUBDEV_UNKNOWN) == (
        "V4L2_SUBDEV_UNKNOWN")
    assert media.intf_type_name(media.MEDIA_INTF_T_V4L_SUBDEV) == "V4L_SUBDEV"
    flags = media.MEDIA_LNK_FL_ENABLED | media.MEDIA_LNK_FL_IMMUTABLE
    assert media.link_flag_names(flags | media.MEDIA_LNK_FL_INTERFACE_LINK) == [
        "ENABLED", "IMMUTABLE"]
    assert media.link_type(flags | media.MEDIA_LNK_FL_ANCILLARY_LINK) == "ANCILLARY_LINK"
    assert media.link_type(flags) == "DATA_LINK"
    assert subdev.VIDIOC_SUBDEV_QUERYCAP != v4l2.VIDIOC_QUERYCAP
