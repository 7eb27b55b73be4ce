//! Integration tests: check (filled in by its issue).
