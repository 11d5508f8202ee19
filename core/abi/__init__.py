"""Kernel ABI: ctypes structs, constants and ioctl numbers with the kernel's names.

Nothing here is typed in from memory alone: ``tests/unit/test_abi.py`` compiles a C
probe against ``/usr/include/linux`` and compares every size, offset and ioctl number.
"""
