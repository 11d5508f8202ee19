"""The TUI's screens: the main browser/panels screen and the key help."""
