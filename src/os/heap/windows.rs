//! The Windows heap: nothing to tune.

/// Nothing to tune: the Windows heap has no per-thread arenas to hold freed memory.
pub fn tune_heap() {}

/// Nothing to do: the Windows heap decommits large freed blocks by itself.
pub fn release_free_memory() {}
