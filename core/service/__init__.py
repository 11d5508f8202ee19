"""The service layer under both front ends (the TUI and the CLI verbs): no Textual here."""
