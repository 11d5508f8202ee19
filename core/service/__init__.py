"""The service layer: what the TUI and the CLI verbs call (one module per area)."""
