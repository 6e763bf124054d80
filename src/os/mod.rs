//! Operating-system specifics, one file per OS: reading many datagrams a system call (Linux's
//! `recvmmsg`), opening files and folders, the parent console for a GUI-subsystem exe, the
//! app's notification identity, and the single-instance channel. Everything else in nf-svc is
//! the same on every OS.

#[cfg(not(windows))]
mod unix;
#[cfg(windows)]
mod windows;

#[cfg(not(windows))]
pub use unix::*;
#[cfg(windows)]
pub use windows::*;
