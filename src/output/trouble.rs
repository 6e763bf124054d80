//! Write trouble, said once: a full disk or a folder that became read-only makes every write
//! of a log fail, many times a second. The first failure is a problem (service log line and
//! toast); the rest are counted; the first write that works again is a service log line with
//! the count and how long it lasted. A disk that hovers at full (writes failing and working
//! by turns) says each at most once per [`QUIET`]; what happens in between is counted into
//! the next line. A log that stops rotating (its folder refuses new files) is seen from its
//! size and said the same way.

use crate::words::units;
use chrono::{DateTime, Local};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The least time between two lines of the same kind about one log.
pub const QUIET: Duration = Duration::from_secs(600);

/// One log's write errors since they were last told.
#[derive(Debug)]
pub struct WriteTrouble {
    /// "the flow dump log /var/log/nf-svc/nf-svc-netflow.log"
    what: String,
    failing: bool,
    /// The first failure not yet told as over.
    since: Option<DateTime<Local>>,
    failed: u64,
    lost_bytes: u64,
    lost_lines: u64,
    problem_said: Option<Instant>,
    recovery_said: Option<Instant>,
}

impl WriteTrouble {
    pub fn new(what: String) -> Self {
        WriteTrouble {
            what,
            failing: false,
            since: None,
            failed: 0,
            lost_bytes: 0,
            lost_lines: 0,
            problem_said: None,
            recovery_said: None,
        }
    }

    /// "the flow dump log /…/nf-svc-netflow.log"
    pub fn what(&self) -> &str {
        &self.what
    }

    /// What failed since it was last told, as a line ("<what> <how>: N write(s) failed from
    /// … to …, N lines not written (…)"), and counted anew.
    fn take_told(&mut self, how: &str) -> Option<String> {
        let since = self.since.take()?;
        let line = format!(
            "{} {how}: {} write(s) failed from {} to {}{}",
            self.what,
            self.failed,
            since.format("%Y-%m-%d %H:%M:%S"),
            Local::now().format("%H:%M:%S"),
            if self.lost_bytes > 0 {
                format!(
                    ", {} lines not written ({})",
                    units::thousands(self.lost_lines),
                    units::bytes(self.lost_bytes)
                )
            } else {
                ", nothing lost".to_string()
            }
        );
        self.failed = 0;
        self.lost_bytes = 0;
        self.lost_lines = 0;
        Some(line)
    }

    /// At the stop: what failed and was not told yet (a disk that hovered at full is told
    /// at most every [`QUIET`]), so every lost line is said.
    pub fn tell_rest(&mut self) {
        if let Some(line) = self.take_told("at the stop") {
            log::warn!("{line}");
        }
    }

    /// Whether writes are failing now.
    pub fn failing(&self) -> bool {
        self.failing
    }

    /// The outcome of one write of `bytes` bytes. `lost_lines` is `Some(n)` when those bytes
    /// (`n` lines) are gone for good (the flow dump; a failed write is cut back out of the
    /// file, so they are exactly what is missing), `None` when they are kept to be written
    /// later (summaries). The first failure is returned as the problem to report; later ones
    /// only count.
    pub fn check(
        &mut self,
        r: std::io::Result<()>,
        bytes: usize,
        lost_lines: Option<u64>,
    ) -> Result<(), String> {
        let lost = lost_lines.is_some();
        let quiet = |t: Option<Instant>| t.is_none_or(|t| t.elapsed() >= QUIET);
        match r {
            Ok(()) => {
                self.failing = false;
                if self.since.is_none() || !quiet(self.recovery_said) {
                    return Ok(());
                }
                if let Some(line) = self.take_told("is written again") {
                    self.recovery_said = Some(Instant::now());
                    log::info!("{line}");
                }
                Ok(())
            }
            Err(e) => {
                self.failed += 1;
                if let Some(n) = lost_lines {
                    self.lost_bytes += bytes as u64;
                    self.lost_lines += n;
                }
                if self.failing {
                    return Ok(());
                }
                self.failing = true;
                self.since.get_or_insert_with(Local::now);
                if !quiet(self.problem_said) {
                    return Ok(());
                }
                self.problem_said = Some(Instant::now());
                Err(format!(
                    "cannot write {}: {e}; {}",
                    self.what,
                    if lost {
                        "its lines are lost until writing works again; flows are still counted"
                    } else {
                        "what could not be written is kept and written when it works again"
                    }
                ))
            }
        }
    }
}

/// Notices a log that grows past its rotation size: the rotation failed (flexi_logger tries
/// again at every write and only says so on stderr).
#[derive(Debug)]
pub struct RotationWatch {
    path: PathBuf,
    limit: u64,
    said: bool,
}

impl RotationWatch {
    pub fn new(path: &Path, max_file_size_mb: u64) -> Self {
        RotationWatch {
            path: path.to_path_buf(),
            limit: max_file_size_mb.saturating_mul(1024 * 1024),
            said: false,
        }
    }

    /// Past the size by more than a buffer's worth (the dump writes 64 KiB at a time) and a
    /// quarter, or a megabyte if more.
    fn over(&self, len: u64) -> bool {
        len > self.limit + (self.limit / 4).max(1024 * 1024)
    }

    /// Look at the file's size: the problem to report when rotation is seen failing (once),
    /// a service log line when it works again.
    pub fn check(&mut self) -> Result<(), String> {
        let Ok(len) = std::fs::metadata(&self.path).map(|m| m.len()) else {
            return Ok(());
        };
        match (self.over(len), self.said) {
            (true, false) => {
                self.said = true;
                let dir = self.path.parent().unwrap_or(Path::new("."));
                let probe = dir.join(".nf-svc-rotation-probe");
                let why = match std::fs::File::create(&probe) {
                    Ok(_) => {
                        let _ = std::fs::remove_file(&probe);
                        "rotation failed".to_string()
                    }
                    Err(e) => format!("the folder refuses new files: {e}"),
                };
                Err(format!(
                    "cannot rotate {}: it has grown to {}, past MaxFileSizeMB = {} ({why}); it keeps growing until rotation works",
                    self.path.display(),
                    units::bytes(len),
                    self.limit / (1024 * 1024)
                ))
            }
            (false, true) => {
                self.said = false;
                log::info!("{} rotates again", self.path.display());
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> std::io::Result<()> {
        Err(std::io::Error::new(
            std::io::ErrorKind::StorageFull,
            "No space left on device",
        ))
    }

    #[test]
    fn a_failing_log_is_said_once_and_counted_until_it_works() {
        let mut t = WriteTrouble::new("the flow dump log x.log".into());
        let first = t.check(full(), 100, Some(2)).unwrap_err();
        assert!(
            first.contains("cannot write the flow dump log x.log: No space left"),
            "{first}"
        );
        assert!(first.contains("lines are lost"), "{first}");
        for _ in 0..50 {
            assert_eq!(t.check(full(), 100, Some(2)), Ok(()));
        }
        assert!(t.failing());
        assert_eq!((t.failed, t.lost_bytes, t.lost_lines), (51, 5100, 102));
        assert_eq!(t.check(Ok(()), 100, Some(0)), Ok(()));
        assert!(!t.failing());
        assert_eq!((t.failed, t.lost_bytes, t.lost_lines), (0, 0, 0));
        // Failing again soon after: counted, not said, and told with the next recovery.
        assert_eq!(t.check(full(), 1, None), Ok(()));
        assert!(t.failing());
        assert_eq!(t.check(Ok(()), 1, None), Ok(()));
        assert!(!t.failing());
        assert_eq!(t.failed, 1, "kept for the next line");
        let mut other = WriteTrouble::new("x".into());
        assert!(
            other
                .check(full(), 1, None)
                .unwrap_err()
                .contains("is kept")
        );
    }

    #[test]
    fn a_log_past_its_size_is_said_once_and_again_when_it_rotates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        std::fs::write(&path, vec![b'x'; 2 * 1024 * 1024 + 1]).unwrap();
        let mut w = RotationWatch::new(&path, 1);
        let e = w.check().unwrap_err();
        assert!(
            e.contains("cannot rotate") && e.contains("MaxFileSizeMB = 1"),
            "{e}"
        );
        assert_eq!(w.check(), Ok(()), "said once");
        std::fs::write(&path, b"new").unwrap();
        assert_eq!(w.check(), Ok(()));
        assert!(!w.said);
    }
}
