"""The service layer: one module per area, called by both the TUI and the CLI verbs."""
