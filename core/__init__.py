"""The shared ioctl core of mediatui.

Pure Python (ctypes, os, mmap, pyudev): it never imports Textual, Rich or
``mediatui``, so the TUI, the CLI, the tests and scripts can all share it.
"""
