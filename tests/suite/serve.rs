//! Integration tests: serve (filled in by its issue).
