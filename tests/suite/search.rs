//! Integration tests: search (filled in by its issue).
