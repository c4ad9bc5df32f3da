"""E-mail: SMTP for real, an outbox folder shown in the UI by default."""
