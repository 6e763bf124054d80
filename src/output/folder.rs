//! The log folder's total size: `[Logs] MaxTotalMB` for the three logs and their rotated
//! files together, and the files in the folders of pages made by themselves (the device
//! reports). Rotation bounds each file and `KeepDays` bounds their age, but at 100 flows/s
//! the flow dump alone writes ≈ 2.8 GB a day, so age alone lets the folder fill a disk, and
//! a report is written for every incident. Once a minute the files are added up and the
//! oldest rotated logs and reports deleted until the total fits; the current logs are never
//! touched. The first deletion is said; after that, at a
//! steady flow rate it happens every few minutes, so it is summed up once an hour.

use super::files::LogKind;
use crate::settings::{self, LogSettings};
use crate::sink::Output;
use crate::words::units;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

const EVERY: Duration = Duration::from_secs(60);
const SAID_EVERY: Duration = Duration::from_secs(3600);

pub struct LogFolder {
    dir: PathBuf,
    bases: Vec<String>,
    /// Folders whose files count and may go, oldest first (`reports/`).
    prunable: Vec<PathBuf>,
    max_bytes: u64,
    next: Instant,
    /// The current files alone were over the cap (said once).
    said_over: bool,
    /// Deleted since they were last said: files, bytes; and when that was.
    unsaid: (usize, u64),
    said_at: Option<Instant>,
}

/// One log file in the folder.
#[derive(Debug)]
struct LogFile {
    path: PathBuf,
    len: u64,
    modified: SystemTime,
    rotated: bool,
}

impl LogFolder {
    /// The folder of `s`, with `prunable` folders of made pages whose files count too.
    pub fn new(s: &LogSettings, prunable: Vec<PathBuf>) -> Self {
        let stem = settings::exe_stem();
        LogFolder {
            dir: s.dir.clone(),
            bases: LogKind::ALL.map(|k| k.basename(&stem)).to_vec(),
            prunable,
            max_bytes: s.max_total_mb.saturating_mul(1024 * 1024),
            next: Instant::now(),
            said_over: false,
            unsaid: (0, 0),
            said_at: None,
        }
    }

    /// The three logs' files: `<base>.log` (current) and `<base>_r<time>.log` (rotated).
    fn files(&self) -> std::io::Result<Vec<LogFile>> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(stem) = name.strip_suffix(".log") else {
                continue;
            };
            let current = self.bases.iter().any(|b| b == stem);
            let rotated = self.bases.iter().any(|b| {
                stem.strip_prefix(b.as_str())
                    .is_some_and(|rest| rest.starts_with("_r"))
            });
            if !(current || rotated) {
                continue;
            }
            let Ok(meta) = entry.metadata() else { continue };
            out.push(LogFile {
                path: entry.path(),
                len: meta.len(),
                modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                rotated,
            });
        }
        for dir in &self.prunable {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue; // none made yet
            };
            for entry in entries.flatten() {
                let Ok(meta) = entry.metadata() else { continue };
                if meta.is_file() {
                    out.push(LogFile {
                        path: entry.path(),
                        len: meta.len(),
                        modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                        rotated: true,
                    });
                }
            }
        }
        Ok(out)
    }

    /// Delete the oldest rotated files until the folder fits; what was done, for the log.
    /// `now` decides whether the hour's summing up is due (a parameter, so a test can be an
    /// hour later without subtracting from an `Instant`, which panics on a Windows machine
    /// up for less than that).
    pub fn enforce(&mut self, now: Instant) -> Result<Option<String>, String> {
        let mut files = self
            .files()
            .map_err(|e| format!("cannot list the log folder {}: {e}", self.dir.display()))?;
        let mut total: u64 = files.iter().map(|f| f.len).sum();
        files.retain(|f| f.rotated);
        files.sort_by_key(|f| f.modified);
        let (mut removed, mut freed) = (0usize, 0u64);
        let mut error = None;
        for f in &files {
            if total <= self.max_bytes {
                break;
            }
            match std::fs::remove_file(&f.path) {
                Ok(()) => {
                    total -= f.len;
                    removed += 1;
                    freed += f.len;
                }
                Err(e) => {
                    error = Some(format!("cannot delete {}: {e}", f.path.display()));
                    break;
                }
            }
        }
        let over = total > self.max_bytes && error.is_none();
        self.unsaid.0 += removed;
        self.unsaid.1 += freed;
        let due = self
            .said_at
            .is_none_or(|t| now.saturating_duration_since(t) >= SAID_EVERY);
        let mut note = (self.unsaid.0 > 0 && due).then(|| {
            let (n, bytes) = std::mem::take(&mut self.unsaid);
            let first = self.said_at.is_none();
            self.said_at = Some(now);
            format!(
                "deleted the {n} oldest rotated log file(s) and report(s) ({}){} to keep the log folder under MaxTotalMB = {}{}",
                units::bytes(bytes),
                if first { "" } else { " in the last hour" },
                self.max_bytes / (1024 * 1024),
                if first { "; from now on this is summed up once an hour" } else { "" }
            )
        });
        if over && !self.said_over {
            let line = format!(
                "the current log files in {} alone take {}, over MaxTotalMB = {}: raise it or lower MaxFileSizeMB",
                self.dir.display(),
                units::bytes(total),
                self.max_bytes / (1024 * 1024)
            );
            note = Some(match note {
                Some(n) => format!("{n}; {line}"),
                None => line,
            });
        }
        self.said_over = over;
        match error {
            Some(e) => Err(e),
            None => Ok(note),
        }
    }
}

impl Output for LogFolder {
    fn flush(&mut self, to_disk: bool) -> Result<(), String> {
        if to_disk {
            super::service_log::reopen_if_gone();
        }
        let now = Instant::now();
        if !to_disk || now < self.next {
            return Ok(());
        }
        self.next = now + EVERY;
        if let Some(line) = self.enforce(now)? {
            if self.said_over {
                log::warn!("{line}");
            } else {
                log::info!("{line}");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn put(dir: &Path, name: &str, len: usize, age_s: u64) {
        let p = dir.join(name);
        std::fs::write(&p, vec![b'x'; len]).unwrap();
        let t = SystemTime::now() - Duration::from_secs(age_s);
        std::fs::File::options()
            .write(true)
            .open(&p)
            .unwrap()
            .set_modified(t)
            .unwrap();
    }

    #[test]
    fn the_oldest_rotated_files_go_first_and_current_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let mb = 1024 * 1024;
        put(d, "nf-svc.log", mb, 0);
        put(d, "nf-svc-netflow.log", mb, 0);
        put(d, "nf-svc-netflow_r2026-01-01_00-00-00.log", mb, 300);
        put(d, "nf-svc-netflow_r2026-01-01_01-00-00.log", mb, 200);
        put(d, "nf-svc-summary_r2026-01-01_00-30-00.log", mb, 250);
        put(d, "other.log", 5 * mb, 1000);
        put(d, "nf-svc-history.sqlite", 5 * mb, 1000);
        std::fs::create_dir(d.join("reports")).unwrap();
        put(
            &d.join("reports"),
            "192.168.0.82-20260101-0000.html",
            mb,
            400,
        );
        let mut f = LogFolder {
            prunable: vec![d.join("reports"), d.join("not-made-yet")],
            dir: d.to_path_buf(),
            bases: vec![
                "nf-svc".into(),
                "nf-svc-netflow".into(),
                "nf-svc-summary".into(),
            ],
            max_bytes: 3 * mb as u64,
            next: Instant::now(),
            said_over: false,
            unsaid: (0, 0),
            said_at: None,
        };
        let note = f.enforce(Instant::now()).unwrap().unwrap();
        assert!(
            note.contains("deleted the 3 oldest rotated log file(s) and report(s) (3.1 MB)"),
            "{note}"
        );
        assert!(!d.join("reports/192.168.0.82-20260101-0000.html").exists());
        assert!(!d.join("nf-svc-netflow_r2026-01-01_00-00-00.log").exists());
        assert!(!d.join("nf-svc-summary_r2026-01-01_00-30-00.log").exists());
        assert!(d.join("nf-svc-netflow_r2026-01-01_01-00-00.log").exists());
        assert!(d.join("other.log").exists() && d.join("nf-svc-history.sqlite").exists());
        assert_eq!(
            f.enforce(Instant::now()).unwrap(),
            None,
            "nothing more to do"
        );

        // Current files alone over the cap: said once, never deleted. The deletion itself is
        // summed up with the next hour's.
        f.max_bytes = mb as u64;
        let note = f.enforce(Instant::now()).unwrap().unwrap();
        assert!(!note.contains("deleted"), "{note}");
        assert!(note.contains("alone take 2.1 MB"), "{note}");
        assert_eq!(f.unsaid, (1, mb as u64));
        f.said_over = true;
        let hour_later = Instant::now() + SAID_EVERY;
        let note = f.enforce(hour_later).unwrap().unwrap();
        assert!(
            note.contains(
                "deleted the 1 oldest rotated log file(s) and report(s) (1.0 MB) in the last hour"
            ),
            "{note}"
        );
        assert_eq!(f.enforce(hour_later).unwrap(), None);
        assert!(d.join("nf-svc.log").exists() && d.join("nf-svc-netflow.log").exists());
    }
}
