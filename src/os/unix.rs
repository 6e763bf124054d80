//! Linux (and other Unix desktops): freedesktop conventions.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Open a file with its default application, or a folder in the file manager.
///
/// xdg-open may run as long as the application it starts, so it is waited for on a thread of
/// its own: the tray never blocks, and no exited xdg-open lingers as a zombie. (The `opener`
/// crate does the same, but brings `url` and its IDNA tables for a path we already have.)
pub fn open_path(path: &Path) -> io::Result<()> {
    spawn_reaped(Command::new("xdg-open").arg(path)).map(|_| ())
}

/// Start `cmd` with no terminal input or output, and wait for it on a thread of its own.
/// Returns its process id.
fn spawn_reaped(cmd: &mut Command) -> io::Result<u32> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let pid = child.id();
    std::thread::Builder::new()
        .name("nf-svc-xdg-open".into())
        .stack_size(64 * 1024)
        .spawn(move || child.wait())
        .map(|_| pid)
}

/// Open a text file for editing in the default editor.
pub fn edit_file(path: &Path) -> io::Result<()> {
    open_path(path)
}

/// Open a file this user may not write: the editor opens it read-only (a system unit's
/// settings are changed with `sudoedit`, as the README says).
pub fn edit_file_as_admin(path: &Path) -> io::Result<()> {
    edit_file(path)
}

/// Nothing to do: a Unix program always has its terminal.
pub fn attach_parent_console() {}

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

/// The id notifications are sent under; freedesktop servers use the app name.
pub fn register_app_id(_icon: Option<&Path>) -> Option<String> {
    None
}

/// Where the single-instance socket lives: per user, in the runtime folder
/// (`$XDG_RUNTIME_DIR`), else in a private folder of this user under the temp folder — never
/// a shared path another user could take first.
pub fn instance_endpoint() -> io::Result<PathBuf> {
    let user = std::env::var("USER").unwrap_or_else(|_| "user".into());
    Ok(user_runtime_dir()?.join(format!("nf-svc-{user}.sock")))
}

/// `<tmp>/nf-svc-<uid>`, created with mode 700; refused when it is anything but a folder
/// owned by this user that nobody else may enter (a link, another owner, wider rights).
fn private_dir(tmp: &Path) -> io::Result<PathBuf> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    let dir = tmp.join(format!("nf-svc-{uid}"));
    match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
        _ => {}
    }
    let meta = std::fs::symlink_metadata(&dir)?;
    if !meta.is_dir() || meta.uid() != uid || meta.mode() & 0o077 != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} is not a private folder of this user (owner uid {uid}, mode 700)",
                dir.display()
            ),
        ));
    }
    Ok(dir)
}

/// Become the running instance, or hand `message` to the one that already is.
///
/// Binding the socket is the claim: if it is taken and someone answers, that instance gets the
/// message and `Ok(false)` is returned; a socket file nobody answers on (a crash) is replaced.
/// As the running instance, each line later launches send is passed to `on_message`.
pub fn instance_claim(
    endpoint: &Path,
    message: &str,
    on_message: impl Fn(String) + Send + 'static,
) -> io::Result<bool> {
    use std::io::{BufRead, Write};
    use std::os::unix::net::{UnixListener, UnixStream};
    let mut replaced = false;
    let listener = loop {
        match UnixListener::bind(endpoint) {
            Ok(l) => break l,
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => match UnixStream::connect(endpoint) {
                Ok(mut s) => {
                    s.write_all(message.as_bytes())?;
                    s.write_all(b"\n")?;
                    return Ok(false);
                }
                Err(_) if !replaced => {
                    let _ = std::fs::remove_file(endpoint);
                    replaced = true;
                }
                Err(e) => return Err(e),
            },
            Err(e) => return Err(e),
        }
    };
    std::thread::Builder::new()
        .name("nf-svc-instance".into())
        .spawn(move || {
            for conn in listener.incoming().flatten() {
                // A launch writes one short line: a connection is read up to 64 KiB.
                let conn = io::Read::take(conn, 64 * 1024);
                for line in io::BufReader::new(conn).lines().map_while(Result::ok) {
                    on_message(line);
                }
            }
        })?;
    Ok(true)
}

/// Where a collector serves its status endpoint: under systemd with `RuntimeDirectory=nf-svc`
/// in that folder (`/run/nf-svc` for a system unit, open to every local user), else in this
/// user's runtime folder beside the single-instance socket.
pub fn status_endpoint() -> io::Result<PathBuf> {
    match std::env::var_os("RUNTIME_DIRECTORY").filter(|d| !d.is_empty()) {
        Some(d) => {
            let first = std::env::split_paths(&d).next().unwrap_or_default();
            Ok(first.join("status.sock"))
        }
        None => Ok(user_runtime_dir()?.join("nf-svc-status.sock")),
    }
}

/// Where a tray looks for a collector, in order: this user's (a console, a systemd user
/// unit), then a system unit's.
pub fn status_endpoints() -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Ok(d) = user_runtime_dir() {
        v.push(d.join("nf-svc-status.sock"));
        v.push(d.join("nf-svc").join("status.sock"));
    }
    v.push(PathBuf::from("/run/nf-svc/status.sock"));
    v
}

/// This user's runtime folder (`$XDG_RUNTIME_DIR`), else a private folder of this user under
/// the temp folder — never a shared path another user could take first.
fn user_runtime_dir() -> io::Result<PathBuf> {
    match dirs::runtime_dir() {
        Some(dir) => Ok(dir),
        None => private_dir(&std::env::temp_dir()),
    }
}

/// A connection to the status endpoint, as the collector sees it.
pub type LocalConn = tokio::net::UnixStream;
/// A connection to the status endpoint, as a client sees it.
pub type LocalClient = std::os::unix::net::UnixStream;

/// The status endpoint's listening socket; the file is removed when it is dropped.
pub struct LocalListener {
    inner: tokio::net::UnixListener,
    path: PathBuf,
}

impl LocalListener {
    /// Listen at `path` (inside a tokio runtime). A socket file nobody answers on (a crash) is
    /// replaced; one that answers is another collector's: `AddrInUse`.
    pub fn bind(path: &Path) -> io::Result<LocalListener> {
        let inner = match tokio::net::UnixListener::bind(path) {
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => {
                if std::os::unix::net::UnixStream::connect(path).is_ok() {
                    return Err(e);
                }
                std::fs::remove_file(path)?;
                tokio::net::UnixListener::bind(path)?
            }
            r => r?,
        };
        if std::env::var_os("RUNTIME_DIRECTORY").is_some() {
            // A system unit's folder: every local user's tray may connect.
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666))?;
        }
        Ok(LocalListener {
            inner,
            path: path.to_path_buf(),
        })
    }

    pub async fn accept(&mut self) -> io::Result<LocalConn> {
        self.inner.accept().await.map(|(s, _)| s)
    }
}

impl Drop for LocalListener {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Connect to a status endpoint; reads and writes give up after `timeout`.
pub fn local_connect(path: &Path, timeout: std::time::Duration) -> io::Result<LocalClient> {
    let s = std::os::unix::net::UnixStream::connect(path)?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    Ok(s)
}

/// Logout on a Unix desktop arrives as SIGTERM, which the tray already handles.
pub fn on_session_end(_f: impl Fn() + Send + Sync + 'static) -> io::Result<()> {
    Ok(())
}

/// Text in the system's ANSI code page: there is none off Windows.
pub fn ansi_to_string(_bytes: &[u8]) -> Option<(String, u32)> {
    None
}

/// Read up to `got.len()` datagrams in one `recvmmsg` call, without waiting: datagram `i`
/// lands in `buf[i * MAX_DATAGRAM..]`, its sender and length go to `got[i]`. `WouldBlock`
/// when the socket is empty. One system call for up to [`crate::receive::SLOTS`] datagrams
/// instead of one each (at 2 M flows/s, 67,000 datagrams a second).
#[cfg(target_os = "linux")]
pub fn recv_many(
    sock: &impl std::os::fd::AsRawFd,
    buf: &mut [u8],
    got: &mut [(std::net::SocketAddr, usize)],
) -> io::Result<usize> {
    use crate::receive::{MAX_DATAGRAM, SLOTS};
    use socket2::{SockAddr, SockAddrStorage};
    let slots = got.len().min(SLOTS).min(buf.len() / MAX_DATAGRAM);
    let mut names: [SockAddrStorage; SLOTS] = std::array::from_fn(|_| SockAddrStorage::zeroed());
    let mut iov: [libc::iovec; SLOTS] = std::array::from_fn(|_| libc::iovec {
        iov_base: std::ptr::null_mut(),
        iov_len: 0,
    });
    // SAFETY: all zeroes is a valid mmsghdr (null pointers, zero lengths).
    let mut hdrs: [libc::mmsghdr; SLOTS] = unsafe { std::mem::zeroed() };
    for (((h, v), name), slot) in hdrs
        .iter_mut()
        .zip(iov.iter_mut())
        .zip(names.iter_mut())
        .zip(buf.chunks_mut(MAX_DATAGRAM))
        .take(slots)
    {
        *v = libc::iovec {
            iov_base: slot.as_mut_ptr().cast(),
            iov_len: slot.len(),
        };
        h.msg_hdr.msg_name = (name as *mut SockAddrStorage).cast();
        h.msg_hdr.msg_namelen = name.size_of();
        h.msg_hdr.msg_iov = v;
        h.msg_hdr.msg_iovlen = 1;
    }
    // SAFETY: the first `slots` headers point at live buffers of the sizes given (a slot of
    // `buf`, a sockaddr storage each), which outlive the call; the kernel writes only there.
    let n = unsafe {
        libc::recvmmsg(
            sock.as_raw_fd(),
            hdrs.as_mut_ptr(),
            slots as libc::c_uint,
            libc::MSG_DONTWAIT,
            std::ptr::null_mut(),
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let n = n as usize;
    for ((h, name), g) in hdrs
        .iter()
        .zip(names.iter_mut())
        .zip(got.iter_mut())
        .take(n)
    {
        let storage = std::mem::replace(name, SockAddrStorage::zeroed());
        // SAFETY: the kernel wrote a socket address of `msg_namelen` bytes into the storage.
        let from = unsafe { SockAddr::new(storage, h.msg_hdr.msg_namelen) };
        // UDP over IP always names an IP sender.
        let from = from
            .as_socket()
            .unwrap_or_else(|| std::net::SocketAddr::from(([0, 0, 0, 0], 0)));
        *g = (from, h.msg_len as usize);
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    #[test]
    fn the_fallback_folder_is_private_and_refused_when_not() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = private_dir(tmp.path()).unwrap();
        let meta = std::fs::metadata(&dir).unwrap();
        assert_eq!(meta.mode() & 0o777, 0o700);
        assert_eq!(private_dir(tmp.path()).unwrap(), dir, "found again");
        // Someone widened it (or made it first, open to all): refused.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(private_dir(tmp.path()).is_err());
        std::fs::remove_dir(&dir).unwrap();
        // A link planted in its place: refused.
        let elsewhere = tmp.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &dir).unwrap();
        let e = private_dir(tmp.path()).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::PermissionDenied, "{e}");
    }

    #[test]
    fn a_connection_to_the_running_instance_is_read_up_to_64_kib() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let endpoint = dir.path().join("instance.sock");
        let (tx, rx) = std::sync::mpsc::channel();
        assert!(instance_claim(&endpoint, "", move |l| tx.send(l).unwrap()).unwrap());
        let mut s = std::os::unix::net::UnixStream::connect(&endpoint).unwrap();
        // One short message, then a line that never ends.
        s.write_all(b"open\n").unwrap();
        let _ = s.write_all(&vec![b'x'; 1 << 20]);
        drop(s);
        let wait = std::time::Duration::from_secs(5);
        assert_eq!(rx.recv_timeout(wait).unwrap(), "open");
        // What is read of the endless line stops at the bound (the unread rest is dropped).
        let cut = rx.recv_timeout(wait).unwrap();
        assert_eq!(cut.len(), 64 * 1024 - "open\n".len());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn one_call_reads_many_datagrams_each_with_its_sender_and_size() {
        use crate::receive::{MAX_DATAGRAM, SLOTS};
        use std::net::{SocketAddr, UdpSocket};
        let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
        rx.set_nonblocking(true).unwrap();
        let to = rx.local_addr().unwrap();
        let mut buf = vec![0u8; SLOTS * MAX_DATAGRAM];
        let mut got = [(SocketAddr::from(([0, 0, 0, 0], 0)), 0); SLOTS];
        let empty = recv_many(&rx, &mut buf, &mut got).unwrap_err();
        assert_eq!(empty.kind(), io::ErrorKind::WouldBlock);
        let senders = [
            UdpSocket::bind("127.0.0.1:0").unwrap(),
            UdpSocket::bind("127.0.0.2:0").unwrap(),
        ];
        // Sizes from one byte to one of 60,000 (all of them fit the default receive buffer);
        // each filled with its own number.
        let sizes: Vec<usize> = (0..SLOTS + 3)
            .map(|i| if i == 2 { 60_000 } else { 1 + i * 97 % 1500 })
            .collect();
        for (i, &n) in sizes.iter().enumerate() {
            senders[i % 2].send_to(&vec![i as u8; n], to).unwrap();
        }
        let mut seen = Vec::new();
        while seen.len() < sizes.len() {
            let n = recv_many(&rx, &mut buf, &mut got).unwrap();
            assert!(
                seen.is_empty() || n == 3,
                "all that was queued, up to the slots: {n}"
            );
            for (slot, &(from, len)) in got[..n].iter().enumerate() {
                let data = &buf[slot * MAX_DATAGRAM..][..len];
                let i = seen.len();
                assert_eq!(from, senders[i % 2].local_addr().unwrap(), "datagram {i}");
                assert_eq!(len, sizes[i], "datagram {i}");
                assert!(data.iter().all(|&b| b == i as u8), "datagram {i}'s bytes");
                seen.push(len);
            }
        }
        assert_eq!(seen.len(), SLOTS + 3);
        let empty = recv_many(&rx, &mut buf, &mut got).unwrap_err();
        assert_eq!(empty.kind(), io::ErrorKind::WouldBlock);
    }

    #[test]
    fn an_opened_file_leaves_no_zombie() {
        // `true` stands in for xdg-open: it exits at once, as xdg-open does when it hands the
        // file to a running application. An exited child nobody waits for stays a zombie
        // (state Z in /proc/PID/stat) until its parent exits.
        let pids: Vec<u32> = (0..3)
            .map(|_| spawn_reaped(Command::new("true").arg("/tmp")).unwrap())
            .collect();
        // A reaped child leaves /proc; an unreaped one stays there as a zombie until nf-svc
        // exits. (Polling for "no zombie" instead would pass while they still run.)
        let present = |pid: &u32| std::path::Path::new(&format!("/proc/{pid}")).exists();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while pids.iter().any(present) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let left: Vec<String> = pids
            .iter()
            .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/stat")).ok())
            .collect();
        assert!(left.is_empty(), "exited children are reaped: {left:?}");
    }
}
