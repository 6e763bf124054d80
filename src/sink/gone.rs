//! A log folder deleted or replaced while nf-svc runs: the files it holds open would take
//! every line into files nobody can see any more. Every [`EVERY`] each log (and the history
//! writer) checks that its file is still where it was opened; when it is not, the folder is
//! made again, the file opened again, and that is said — once each time it happens.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How often a file's presence is checked (a `stat` each).
pub const EVERY: Duration = Duration::from_secs(5);

/// One file's presence, checked at most every [`EVERY`]. A file not created yet (a log
/// nothing was written to yet) is not gone: only one that was there (seen, or written to:
/// [`Presence::written`]) and then is not, or any whose folder is not there.
#[derive(Debug)]
pub struct Presence {
    path: PathBuf,
    next: Instant,
    seen: bool,
}

impl Presence {
    pub fn new(path: &Path) -> Presence {
        Presence {
            path: path.to_path_buf(),
            next: Instant::now() + EVERY,
            seen: path.exists(),
        }
    }

    /// The file was written to: it exists (cheap; call it after every write).
    pub fn written(&mut self) {
        self.seen = true;
    }

    /// Whether the file is gone (checked now if it is time); said once until it is seen
    /// again.
    pub fn gone(&mut self) -> bool {
        let now = Instant::now();
        if now < self.next {
            return false;
        }
        self.next = now + EVERY;
        match std::fs::symlink_metadata(&self.path) {
            Ok(_) => {
                self.seen = true;
                false
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let folder_gone = self.path.parent().is_some_and(|d| !d.exists());
                std::mem::take(&mut self.seen) || folder_gone
            }
            Err(_) => false,
        }
    }
}

/// The line that says `what` (e.g. "the flow dump log /…/nf-svc-netflow.log") came back.
pub fn line(what: &str) -> String {
    format!(
        "{what} was gone (its folder deleted or replaced while nf-svc ran): created it again; what was written to it since it went is lost"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn due(p: &mut Presence) -> bool {
        p.next = Instant::now();
        p.gone()
    }

    #[test]
    fn only_a_file_that_was_there_is_gone_and_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        let mut p = Presence::new(&path);
        assert!(!due(&mut p), "not created yet: not gone");
        std::fs::write(&path, "x").unwrap();
        assert!(!due(&mut p));
        std::fs::remove_file(&path).unwrap();
        assert!(due(&mut p), "seen, then not");
        assert!(!due(&mut p), "said once");
        std::fs::write(&path, "x").unwrap();
        assert!(!due(&mut p));
        std::fs::remove_file(&path).unwrap();
        assert!(due(&mut p), "and again after it came back");
        let mut written = Presence::new(&path);
        written.written();
        assert!(due(&mut written), "written to, then not there");
        std::fs::remove_dir_all(dir.path()).unwrap();
        assert!(due(&mut Presence::new(&path)), "its folder gone");
    }
}
