//! The heap on glibc: arenas, the threshold for mapped blocks, and handing free pages back.

/// Two heap arenas for the whole process, not glibc's eight per core: nf-svc's threads
/// allocate little after start, and memory freed by one thread's arena cannot serve another,
/// so more arenas only hold more freed memory (measured: the 10 k flows/s soak's resident
/// memory creeps up by 5 MiB a minute with the default and stays flat with two).
///
/// Blocks of 64 KiB and more come straight from the system and go back to it when freed.
/// glibc's default threshold starts at 128 KiB but rises to the size of any large block freed
/// (up to 32 MiB): once a summary table's arena has grown past a few megabytes, every report,
/// page and summary text of that size is then carved from the heap, where what is freed stays
/// resident between the blocks still in use. Measured side by side, `bench/soak 50 10000`:
/// 26.9–28.1 MiB between summaries and 28.5 at the peak with 64 KiB, 28.2–28.9 and 29.6 with
/// the default. Nothing on the per-record path allocates, and the decode stage's batches are
/// reused (`core::decode_stage::Spares`), so the extra system calls come per summary, page or
/// table growth. Call before any thread starts.
pub fn tune_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets glibc malloc parameters.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 64 * 1024);
    }
}

/// Hand the heap's free pages back to the system (glibc keeps them otherwise, even when a
/// large table was freed): called after summaries are written (and rows of the summary
/// table dropped) and after the report pages are made.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns unused heap pages.
    unsafe {
        libc::malloc_trim(0);
    }
}
