//! Opening files and folders, the console, the notification identity and the session's end
//! on Linux and other Unix desktops: freedesktop conventions.

use std::io;
use std::path::Path;
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

/// The id notifications are sent under; freedesktop servers use the app name.
pub fn register_app_id(_icon: Option<&Path>) -> Option<String> {
    None
}

/// Logout on a Unix desktop arrives as SIGTERM, which the tray already handles.
pub fn on_session_end(_f: impl Fn() + Send + Sync + 'static) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
