//! Files in the log folder: never written through a link, and replaced whole where a reader
//! must never see half of one.
//!
//! The log folder may be writable by others (a shared folder, a careless system unit); a link
//! planted there as `nf-svc.log` or `report.html.tmp` would make nf-svc — as root, or as the
//! service account — write wherever the link points. So every file an output opens there is
//! checked first ([`own_file`]), temporary files are created exclusively, and a file is
//! replaced by a rename, which replaces a link instead of following it.

use std::io::Write;
use std::path::Path;

/// Whether `path` may be opened for writing: it does not exist yet, or it is a plain file
/// of the user nf-svc runs as. A link, or a file of another user, is refused with a message
/// naming it.
pub fn own_file(path: &Path) -> std::io::Result<()> {
    let refuse = |why: &str| {
        Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!("{} {why}; nf-svc does not write through it", path.display()),
        ))
    };
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if meta.file_type().is_symlink() {
        return refuse("is a link");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // SAFETY: geteuid has no preconditions and cannot fail.
        if meta.uid() != unsafe { libc::geteuid() } {
            return refuse("belongs to another user");
        }
    }
    Ok(())
}

/// Whether others than its owner (and group) may create files in `dir` — where a link could
/// be planted. Unix only; elsewhere `false`.
pub fn writable_by_others(dir: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(dir).is_ok_and(|m| m.permissions().mode() & 0o002 != 0)
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        false
    }
}

/// Write `text` to `path` through a temporary file and a rename: a reader (or a browser being
/// refreshed) never sees half a file, and a write that fails (a full disk) leaves no
/// temporary file behind.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    write_atomically_with(path, |w| w.write_all(text.as_bytes()))
}

/// [`write_atomically`], the text made piece by piece by `fill` into a buffered writer (a
/// long file need not be whole in memory first). The temporary file is created anew (a stale
/// one, or a link in its place, is removed first, never followed).
pub fn write_atomically_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut tmp = path.as_os_str().to_os_string();
    tmp.push(".tmp");
    match std::fs::remove_file(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let r = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|f| {
            let mut w = std::io::BufWriter::new(f);
            fill(&mut w)?;
            w.flush()
        })
        .and_then(|()| std::fs::rename(&tmp, path));
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn links_planted_in_the_folder_are_neither_followed_nor_written() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let page = dir.path().join("report.html");
        std::os::unix::fs::symlink(&victim, dir.path().join("report.html.tmp")).unwrap();
        write_atomically(&page, "<p>page</p>").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(std::fs::read_to_string(&page).unwrap(), "<p>page</p>");
        // A link in the file's own place is replaced, not followed.
        let latest = dir.path().join("latest-summary.txt");
        std::os::unix::fs::symlink(&victim, &latest).unwrap();
        let e = own_file(&latest).unwrap_err();
        assert!(
            e.to_string().contains("latest-summary.txt is a link"),
            "{e}"
        );
        write_atomically(&latest, "summary").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(
            !std::fs::symlink_metadata(&latest)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(own_file(&latest).is_ok() && own_file(&dir.path().join("none")).is_ok());
    }
}
