"""The ``_IOC`` encoding from ``asm-generic/ioctl.h``.

ioctl numbers are computed from the direction, the type letter, the number and
``ctypes.sizeof`` of the argument, exactly as the C macros do, so a struct whose size
is wrong also yields a wrong ioctl number, which the ABI test catches.
"""

from __future__ import annotations

import ctypes

_IOC_NRBITS = 8
_IOC_TYPEBITS = 8
_IOC_SIZEBITS = 14

_IOC_NRSHIFT = 0
_IOC_TYPESHIFT = _IOC_NRSHIFT + _IOC_NRBITS
_IOC_SIZESHIFT = _IOC_TYPESHIFT + _IOC_TYPEBITS
_IOC_DIRSHIFT = _IOC_SIZESHIFT + _IOC_SIZEBITS

_IOC_NONE = 0
_IOC_WRITE = 1
_IOC_READ = 2

# Every ioctl defined through the helpers below, number -> (name, argument type).
# The chokepoint uses it to name an ioctl in traces and errors.
REGISTRY: dict[int, tuple[str, type | None]] = {}


def _type_code(kind: str | int) -> int:
    return ord(kind) if isinstance(kind, str) else kind


def _IOC(direction: int, kind: str | int, nr: int, size: int) -> int:
    return (
        (direction << _IOC_DIRSHIFT)
        | (_type_code(kind) << _IOC_TYPESHIFT)
        | (nr << _IOC_NRSHIFT)
        | (size << _IOC_SIZESHIFT)
    )


def _register(name: str, number: int, argtype: type | None) -> int:
    previous = REGISTRY.get(number)
    if previous is not None and previous[0] != name:
        raise ValueError(f"ioctl number clash: {name} and {previous[0]} are both {number:#x}")
    REGISTRY[number] = (name, argtype)
    return number


def IO(name: str, kind: str | int, nr: int) -> int:
    """``_IO``: an ioctl without an argument."""
    return _register(name, _IOC(_IOC_NONE, kind, nr, 0), None)


def IOR(name: str, kind: str | int, nr: int, argtype: type) -> int:
    """``_IOR``: the kernel writes ``argtype`` back to user space."""
    return _register(name, _IOC(_IOC_READ, kind, nr, ctypes.sizeof(argtype)), argtype)


def IOW(name: str, kind: str | int, nr: int, argtype: type) -> int:
    """``_IOW``: user space passes ``argtype`` to the kernel."""
    return _register(name, _IOC(_IOC_WRITE, kind, nr, ctypes.sizeof(argtype)), argtype)


def IOWR(name: str, kind: str | int, nr: int, argtype: type) -> int:
    """``_IOWR``: both directions."""
    return _register(
        name, _IOC(_IOC_READ | _IOC_WRITE, kind, nr, ctypes.sizeof(argtype)), argtype
    )


def ioctl_name(number: int) -> str:
    """The kernel's name for an ioctl number, or its hex value when unknown."""
    entry = REGISTRY.get(number)
    return entry[0] if entry else f"ioctl({number:#x})"
