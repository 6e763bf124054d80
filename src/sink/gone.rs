//! A log folder deleted or replaced while nf-svc runs: the files it holds open would take
//! every line into files nobody can see any more. Every [`EVERY`] each log (and the history
//! writer) checks that its file is still where it was opened; when it is not, the folder is
//! made again, the file opened again, and that is said — once each time it happens.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How often a file's presence is checked (a `stat` each).
pub const EVERY: Duration = Duration::from_secs(5);

/// One file's presence, checked at most every [`EVERY`].
#[derive(Debug)]
pub struct Presence {
    path: PathBuf,
    next: Instant,
}

impl Presence {
    pub fn new(path: &Path) -> Presence {
        Presence {
            path: path.to_path_buf(),
            next: Instant::now() + EVERY,
        }
    }

    /// Whether the file is gone (checked now if it is time).
    pub fn gone(&mut self) -> bool {
        let now = Instant::now();
        if now < self.next {
            return false;
        }
        self.next = now + EVERY;
        std::fs::symlink_metadata(&self.path)
            .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
    }
}

/// The line that says `what` (e.g. "the flow dump log /…/nf-svc-netflow.log") came back.
pub fn line(what: &str) -> String {
    format!(
        "{what} was gone (its folder deleted or replaced while nf-svc ran): created it again; what was written to it since it went is lost"
    )
}
