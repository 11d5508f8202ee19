"""mediatui: a terminal UI for Linux media devices and their buffers."""

__version__ = "0.1.0"
