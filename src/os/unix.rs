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
    let mut child = Command::new("xdg-open")
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    std::thread::Builder::new()
        .name("nf-svc-xdg-open".into())
        .stack_size(64 * 1024)
        .spawn(move || child.wait())
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
                for line in io::BufReader::new(conn).lines().map_while(Result::ok) {
                    on_message(line);
                }
            }
        })?;
    Ok(true)
}

/// Logout on a Unix desktop arrives as SIGTERM, which the tray already handles.
pub fn on_session_end(_f: impl Fn() + Send + Sync + 'static) -> io::Result<()> {
    Ok(())
}
