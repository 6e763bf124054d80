//! Operating-system specifics, one folder per concern and one file per OS inside it:
//!
//! | concern | what | files |
//! |---|---|---|
//! | `shell` | opening files and folders, editing the ini (as administrator), the parent console, the notification identity, the session's end | `unix.rs`, `windows.rs` |
//! | `heap` | the allocator's arenas and handing free memory back | `unix.rs`, `windows.rs` |
//! | `ipc` | the single-instance channel and the status endpoint (local sockets, named pipes) | `unix.rs`, `windows.rs` |
//! | `net` | many datagrams a system call | `linux.rs` (`recvmmsg`); elsewhere the receiver reads one a call |
//! | `text` | text in the system's code page | `unix.rs`, `windows.rs` |
//! | `spoof` | UDP sent with a sensor's source address (forwarding with `KeepSource`) | `linux.rs`; `other.rs` refuses |
//! | `secret` | passwords in the ini encrypted for this machine (DPAPI) | `windows.rs`; `other.rs` refuses |
//! | `service` | the Windows service and its control manager | `windows.rs` |
//!
//! Everything else in nf-svc is the same on every OS; callers use `os::name` whatever the
//! concern.

#[cfg_attr(windows, path = "shell/windows.rs")]
#[cfg_attr(not(windows), path = "shell/unix.rs")]
mod shell;
pub use shell::*;

#[cfg_attr(windows, path = "heap/windows.rs")]
#[cfg_attr(not(windows), path = "heap/unix.rs")]
mod heap;
pub use heap::*;

#[cfg_attr(windows, path = "ipc/windows.rs")]
#[cfg_attr(not(windows), path = "ipc/unix.rs")]
mod ipc;
pub use ipc::*;

#[cfg_attr(windows, path = "text/windows.rs")]
#[cfg_attr(not(windows), path = "text/unix.rs")]
mod text;
pub use text::*;

#[cfg_attr(target_os = "linux", path = "spoof/linux.rs")]
#[cfg_attr(not(target_os = "linux"), path = "spoof/other.rs")]
mod spoof;
pub use spoof::*;

#[cfg_attr(windows, path = "secret/windows.rs")]
#[cfg_attr(not(windows), path = "secret/other.rs")]
pub mod secret;

#[cfg(target_os = "linux")]
#[path = "net/linux.rs"]
mod net;
#[cfg(target_os = "linux")]
pub use net::*;

#[cfg(windows)]
#[path = "service/windows.rs"]
mod service;
#[cfg(windows)]
pub use service::*;

/// A NUL-terminated UTF-16 string for a Win32 call.
#[cfg(windows)]
fn wide(s: &std::ffi::OsStr) -> Vec<u16> {
    use std::os::windows::ffi::OsStrExt;
    s.encode_wide().chain(std::iter::once(0)).collect()
}
