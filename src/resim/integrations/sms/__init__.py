"""SMS: an outbox folder shown in the UI by default; Kannel's HTTP interface is the real route."""
