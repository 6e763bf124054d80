//! `latest-summary.txt` in the log folder: always the newest summary of each interval, for
//! the tray's "Open latest summary" and anyone who wants one file to look at.

use super::summary_text::summary_chunks;
use super::trouble::WriteTrouble;
use crate::sink::{Output, Written};
use std::path::{Path, PathBuf};

/// The file's name in the log folder.
pub const LATEST_SUMMARY: &str = "latest-summary.txt";

pub struct LatestSummary {
    dir: PathBuf,
    trouble: WriteTrouble,
    /// The summaries still to write, when the last try failed.
    unwritten: Option<Vec<Written>>,
}

impl LatestSummary {
    pub fn new(dir: &Path) -> Self {
        LatestSummary {
            dir: dir.to_path_buf(),
            trouble: WriteTrouble::new(dir.join(LATEST_SUMMARY).display().to_string()),
            unwritten: None,
        }
    }

    fn write(&mut self, latest: &[Written]) -> Result<(), String> {
        let r = write_latest(&self.dir, latest).map(|_| ());
        self.unwritten = r.is_err().then(|| latest.to_vec());
        self.trouble.check(r, 0, false)
    }
}

/// Write the newest report of each interval to `<dir>/latest-summary.txt` (via a temporary
/// file and a rename, so a reader never sees half a file).
pub fn write_latest(dir: &Path, latest: &[Written]) -> std::io::Result<PathBuf> {
    let path = dir.join(LATEST_SUMMARY);
    // A piece of text at a time: with many exporters the whole file runs to megabytes.
    crate::sink::write_atomically_with(&path, |f| {
        latest
            .iter()
            .try_for_each(|w| summary_chunks(&w.summary, &w.at, |c| f.write_all(c.as_bytes())))
    })?;
    Ok(path)
}

impl Output for LatestSummary {
    fn summaries(&mut self, _new: &[Written], latest: &[Written]) -> Result<(), String> {
        self.write(latest)
    }

    /// Try again what could not be written (once a second).
    fn flush(&mut self, to_disk: bool) -> Result<(), String> {
        match self.unwritten.take() {
            Some(latest) if to_disk => self.write(&latest),
            kept => {
                self.unwritten = kept;
                Ok(())
            }
        }
    }
}
