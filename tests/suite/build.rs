//! Integration tests: build (filled in by its issue).
