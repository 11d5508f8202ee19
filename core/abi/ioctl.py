"""The ``_IOC`` encoding, chosen for the architecture this runs on.

ioctl numbers are computed from the direction, the type letter, the number and
``ctypes.sizeof`` of the argument, exactly as the C macros do, so a struct whose size
is wrong also yields a wrong ioctl number, which the ABI test catches.  The bit layout
is the running machine's (:func:`core.abi.target.encoding_for_machine`): MIPS, PowerPC,
SPARC, Alpha and PA-RISC differ from ``asm-generic/ioctl.h``.  :data:`DEFINITIONS` keeps
each ioctl's parts so its number can be recomputed for another target
(:func:`number_for`).
"""

from __future__ import annotations

import ctypes

from core.abi.layout import layout
from core.abi.target import IocEncoding, Target, host_target
from core.record import record

HOST = host_target()
ENCODING: IocEncoding = HOST.ioc

_IOC_NRBITS = ENCODING.nrbits
_IOC_TYPEBITS = ENCODING.typebits
_IOC_SIZEBITS = ENCODING.sizebits
_IOC_DIRBITS = ENCODING.dirbits

_IOC_NRSHIFT = 0
_IOC_TYPESHIFT = ENCODING.typeshift
_IOC_SIZESHIFT = ENCODING.sizeshift
_IOC_DIRSHIFT = ENCODING.dirshift

_IOC_NONE = ENCODING.none
_IOC_WRITE = ENCODING.write
_IOC_READ = ENCODING.read


@record
class Definition:
    """An ioctl as its header defines it: ``_IOWR('V', 9, struct v4l2_buffer)``."""

    name: str
    read: bool
    write: bool
    kind: int
    nr: int
    argtype: type | None


# Every ioctl defined through the helpers below, number -> (name, argument type).
# The chokepoint uses it to name an ioctl in traces and errors.
REGISTRY: dict[int, tuple[str, type | None]] = {}
# name -> its definition, to encode it for another architecture.
DEFINITIONS: dict[str, Definition] = {}


def _type_code(kind: str | int) -> int:
    return ord(kind) if isinstance(kind, str) else kind


def _IOC(direction: int, kind: str | int, nr: int, size: int) -> int:
    return ENCODING.encode(direction, _type_code(kind), nr, size)


def number_for(definition: Definition, target: Target) -> int:
    """The ioctl number ``definition`` has on ``target`` (its encoding, its struct size)."""
    size = 0 if definition.argtype is None else layout(definition.argtype, target).size
    direction = target.ioc.direction(definition.read, definition.write)
    return target.ioc.encode(direction, definition.kind, definition.nr, size)


def _define(name: str, read: bool, write: bool, kind: str | int, nr: int,
            argtype: type | None, alias: bool = False) -> int:
    definition = Definition(name, read, write, _type_code(kind), nr, argtype)
    size = 0 if argtype is None else ctypes.sizeof(argtype)
    number = ENCODING.encode(ENCODING.direction(read, write), definition.kind, nr, size)
    DEFINITIONS[name] = definition
    if alias:
        return number
    previous = REGISTRY.get(number)
    if previous is not None and previous[0] != name:
        raise ValueError(f"ioctl number clash: {name} and {previous[0]} are both {number:#x}")
    REGISTRY[number] = (name, argtype)
    return number


def IO(name: str, kind: str | int, nr: int) -> int:
    """``_IO``: an ioctl without an argument."""
    return _define(name, False, False, kind, nr, None)


def IOR(name: str, kind: str | int, nr: int, argtype: type) -> int:
    """``_IOR``: the kernel writes ``argtype`` back to user space."""
    return _define(name, True, False, kind, nr, argtype)


def IOW(name: str, kind: str | int, nr: int, argtype: type) -> int:
    """``_IOW``: user space passes ``argtype`` to the kernel."""
    return _define(name, False, True, kind, nr, argtype)


def IOW_ALIAS(name: str, kind: str | int, nr: int, argtype: type) -> int:
    """``_IOW`` for a second spelling of a registered ioctl (``DMA_BUF_SET_NAME_A``/``_B``,
    one of which equals ``DMA_BUF_SET_NAME`` depending on the pointer size): defined
    for the ABI check, never registered, so the registry keeps the kernel's main name."""
    return _define(name, False, True, kind, nr, argtype, alias=True)


def IOWR(name: str, kind: str | int, nr: int, argtype: type) -> int:
    """``_IOWR``: both directions."""
    return _define(name, True, True, kind, nr, argtype)


def ioctl_name(number: int) -> str:
    """The kernel's name for an ioctl number, or its hex value when unknown."""
    entry = REGISTRY.get(number)
    return entry[0] if entry else f"ioctl({number:#x})"
