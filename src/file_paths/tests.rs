//! Unit tests for `file_paths`.
