//! Integration tests: workflow (filled in by its issue).
