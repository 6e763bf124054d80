//! Linux (and other Unix desktops): freedesktop conventions.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Open a file with its default application, or a folder in the file manager.
pub fn open_path(path: &Path) -> io::Result<()> {
    Command::new("xdg-open")
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(|_| ())
}

/// Open a text file for editing in the default editor.
pub fn edit_file(path: &Path) -> io::Result<()> {
    open_path(path)
}

/// Nothing to do: a Unix program always has its terminal.
pub fn attach_parent_console() {}

/// The id notifications are sent under; freedesktop servers use the app name.
pub fn register_app_id(_icon: Option<&Path>) -> Option<String> {
    None
}

/// Where the single-instance socket lives: per user, in the runtime folder.
pub fn instance_endpoint() -> PathBuf {
    let dir = dirs::runtime_dir().unwrap_or_else(std::env::temp_dir);
    let user = std::env::var("USER").unwrap_or_else(|_| "user".into());
    dir.join(format!("nf-svc-{user}.sock"))
}

/// Tell a running instance something; `Ok(false)` when none runs.
pub fn instance_notify(endpoint: &Path, message: &str) -> io::Result<bool> {
    use std::io::Write;
    match std::os::unix::net::UnixStream::connect(endpoint) {
        Ok(mut s) => {
            s.write_all(message.as_bytes())?;
            s.write_all(b"\n")?;
            Ok(true)
        }
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused
            ) =>
        {
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// Listen for later instances; each line they send is passed to `on_message`.
pub fn instance_listen(
    endpoint: &Path,
    on_message: impl Fn(String) + Send + 'static,
) -> io::Result<()> {
    use std::io::BufRead;
    // A socket file left by a crashed instance: nobody answered on it, so replace it.
    let _ = std::fs::remove_file(endpoint);
    let listener = std::os::unix::net::UnixListener::bind(endpoint)?;
    std::thread::Builder::new()
        .name("nf-svc-instance".into())
        .spawn(move || {
            for conn in listener.incoming().flatten() {
                for line in io::BufReader::new(conn).lines().map_while(Result::ok) {
                    on_message(line);
                }
            }
        })?;
    Ok(())
}

/// Logout on a Unix desktop arrives as SIGTERM, which the tray already handles.
pub fn on_session_end(_f: impl Fn() + Send + Sync + 'static) -> io::Result<()> {
    Ok(())
}
