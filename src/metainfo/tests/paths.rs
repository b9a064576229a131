//! Path cleaning seen through `Metainfo`: the exact paths and notes.
