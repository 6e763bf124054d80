//! The single-instance socket and the status endpoint on Unix: local sockets in this user's
//! runtime folder (or a system unit's), never in a path another user could take first.

use std::io;
use std::path::{Path, PathBuf};

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
/// in that folder (`/run/nf-svc` for a system unit, open to its user and group), else in this
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

/// Who is at the other end of a status connection, for the log: `uid 1000 (pid 4242)`.
pub fn peer(conn: &LocalConn) -> String {
    match conn.peer_cred() {
        Ok(c) => match c.pid() {
            Some(pid) => format!("uid {} (pid {pid})", c.uid()),
            None => format!("uid {}", c.uid()),
        },
        Err(_) => "an unknown local client".into(),
    }
}
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
            // A system unit's folder: its user and the members of its group (the unit's
            // `Group=`) may connect — not every local user, who could pause capture.
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))?;
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
}
