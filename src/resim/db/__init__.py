"""Engine, sessions, the declarative base, portable types and migrations."""
