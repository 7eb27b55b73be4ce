//! Integration tests: content (filled in by its issue).
