//! Unit tests for `metainfo`.
