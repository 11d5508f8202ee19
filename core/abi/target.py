"""What a Linux architecture's C ABI and ioctl encoding look like, as data.

The ctypes structs in ``core/abi`` are laid out by the interpreter that runs them, so on
a board they follow that board's C ABI.  To check them for a board from a build host,
:mod:`core.abi.layout` recomputes their layout from a :class:`Target` (pointer and
``long`` size, where 64-bit integers are aligned inside structs) and encodes the ioctl
numbers with the target's :class:`IocEncoding`.  ``tests/unit/test_abi.py`` compares
both with a cross-compiled C probe.

Sources:

* ``_IOC`` layouts: ``include/uapi/asm-generic/ioctl.h`` and the overrides in
  ``arch/{mips,powerpc,sparc,alpha,parisc}/include/uapi/asm/ioctl.h`` (Linux 6.1).
* 64-bit integer alignment: the psABIs (i386 System V: ``long long`` is 4-aligned
  inside structs, ``_Alignof`` says 8 but a struct member gets 4; every other target
  here aligns it to 8).
"""

from __future__ import annotations

import ctypes
import os

from core.record import record


@record
class IocEncoding:
    """The bit layout of an ioctl number (``_IOC(dir, type, nr, size)``)."""

    name: str
    sizebits: int
    dirbits: int
    none: int
    read: int
    write: int
    nrbits: int = 8
    typebits: int = 8
    # SPARC lets a size use one more bit, overlapping _IOC_NONE's bit ("Actually 14").
    size_limit_bits: int | None = None

    @property
    def typeshift(self) -> int:
        return self.nrbits

    @property
    def sizeshift(self) -> int:
        return self.nrbits + self.typebits

    @property
    def dirshift(self) -> int:
        return self.sizeshift + self.sizebits

    def direction(self, read: bool, write: bool) -> int:
        """The ``dir`` field of ``_IO`` (neither), ``_IOR``, ``_IOW`` or ``_IOWR``."""
        if not read and not write:
            return self.none
        return (self.read if read else 0) | (self.write if write else 0)

    def encode(self, direction: int, kind: int, nr: int, size: int) -> int:
        """``_IOC(dir, type, nr, size)``.

        Raises ``ValueError`` when ``size`` does not fit ``_IOC_SIZEBITS`` (the kernel's
        ``_IOC_TYPECHECK`` refuses such a definition at compile time).
        """
        bits = self.size_limit_bits or self.sizebits
        if not 0 <= size < 1 << bits:
            raise ValueError(f"ioctl argument size {size} does not fit {bits} bits")
        return (
            (direction << self.dirshift)
            | (kind << self.typeshift)
            | (nr & ((1 << self.nrbits) - 1))
            | (size << self.sizeshift)
        )

    def split(self, number: int) -> tuple[int, int, int, int]:
        """``(_IOC_DIR, _IOC_TYPE, _IOC_NR, _IOC_SIZE)`` of an ioctl number."""
        return (
            (number >> self.dirshift) & ((1 << self.dirbits) - 1),
            (number >> self.typeshift) & ((1 << self.typebits) - 1),
            number & ((1 << self.nrbits) - 1),
            (number >> self.sizeshift) & ((1 << self.sizebits) - 1),
        )


# include/uapi/asm-generic/ioctl.h
GENERIC = IocEncoding("asm-generic", sizebits=14, dirbits=2, none=0, read=2, write=1)
# arch/mips/include/uapi/asm/ioctl.h, arch/powerpc/include/uapi/asm/ioctl.h and
# arch/alpha/include/uapi/asm/ioctl.h: 13 size bits, 3 direction bits, and _IOC_NONE is 1
# (not 0), so even _IO numbers differ.
THREE_DIR_BITS = IocEncoding("3-bit-dir", sizebits=13, dirbits=3, none=1, read=2, write=4)
# arch/sparc/include/uapi/asm/ioctl.h: the same bits, but a size may use 14 bits.
SPARC = IocEncoding("sparc", sizebits=13, dirbits=3, none=1, read=2, write=4,
                    size_limit_bits=14)
# arch/parisc/include/uapi/asm/ioctl.h: the generic layout with READ and WRITE swapped.
PARISC = IocEncoding("parisc", sizebits=14, dirbits=2, none=0, read=1, write=2)


@record
class Target:
    """One architecture's C data model as it matters to ioctl structs.

    ``int64_align`` is the alignment of ``long long``/``__u64`` *inside a struct*;
    ``long`` and pointers are aligned to their size on every Linux target.
    """

    name: str
    pointer_size: int
    long_size: int
    int64_align: int
    ioc: IocEncoding
    big_endian: bool = False
    # The C compiler and flags the ABI probe uses for this target (gcc's -S output is read
    # without running anything, so no emulator is needed).  _TIME_BITS=64 asks glibc for
    # the y2038-safe time64 ABI, which is what the kernel's v4l2/dvb uapi expects.
    cc: tuple[str, ...] = ("gcc",)


_TIME64 = ("-D_TIME_BITS=64", "-D_FILE_OFFSET_BITS=64")

TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target("x86_64", 8, 8, 8, GENERIC),
        Target("i386", 4, 4, 4, GENERIC, cc=("i686-linux-gnu-gcc", *_TIME64)),
        Target("aarch64", 8, 8, 8, GENERIC, cc=("aarch64-linux-gnu-gcc",)),
        Target("armhf", 4, 4, 8, GENERIC, cc=("arm-linux-gnueabihf-gcc", *_TIME64)),
        Target("mips", 4, 4, 8, THREE_DIR_BITS, big_endian=True,
               cc=("mips-linux-gnu-gcc", *_TIME64)),
        Target("powerpc", 4, 4, 8, THREE_DIR_BITS, big_endian=True,
               cc=("powerpc-linux-gnu-gcc", *_TIME64)),
        Target("sparc64", 8, 8, 8, SPARC, big_endian=True,
               cc=("sparc64-linux-gnu-gcc",)),
        Target("alpha", 8, 8, 8, THREE_DIR_BITS, cc=("alpha-linux-gnu-gcc",)),
    )
}


def encoding_for_machine(machine: str) -> IocEncoding:
    """The ``_IOC`` layout for a ``uname -m`` value (``mips64el``, ``ppc64le``, …)."""
    if machine.startswith("sparc"):
        return SPARC
    if machine.startswith(("mips", "ppc", "powerpc", "alpha")):
        return THREE_DIR_BITS
    if machine.startswith("parisc"):
        return PARISC
    return GENERIC


def host_target() -> Target:
    """The running interpreter's target, from ``uname -m`` and ctypes' own sizes."""
    machine = os.uname().machine
    pointer = ctypes.sizeof(ctypes.c_void_p)

    class _Probe(ctypes.Structure):
        _fields_ = [("c", ctypes.c_char), ("q", ctypes.c_longlong)]

    return Target(
        name=machine,
        pointer_size=pointer,
        long_size=ctypes.sizeof(ctypes.c_long),
        int64_align=_Probe.q.offset,
        ioc=encoding_for_machine(machine),
        big_endian=ctypes.c_uint16.from_buffer_copy(b"\x01\x00").value != 1,
    )
