//! `latest-summary.txt` in the log folder: always the newest summary of each interval, for
//! the tray's "Open latest summary" and anyone who wants one file to look at.

use super::summary_text::summary_text;
use super::{Output, Written};
use std::path::{Path, PathBuf};

/// The file's name in the log folder.
pub const LATEST_SUMMARY: &str = "latest-summary.txt";

pub struct LatestSummary {
    dir: PathBuf,
}

impl LatestSummary {
    pub fn new(dir: &Path) -> Self {
        LatestSummary {
            dir: dir.to_path_buf(),
        }
    }
}

/// Write the newest report of each interval to `<dir>/latest-summary.txt` (via a temporary
/// file and a rename, so a reader never sees half a file).
pub fn write_latest(dir: &Path, latest: &[Written]) -> std::io::Result<PathBuf> {
    let mut text = String::new();
    for w in latest {
        text.push_str(&summary_text(&w.report, &w.at));
    }
    let path = dir.join(LATEST_SUMMARY);
    let tmp = dir.join(format!("{LATEST_SUMMARY}.tmp"));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

impl Output for LatestSummary {
    fn summaries(&mut self, _new: &[Written], latest: &[Written]) -> Result<(), String> {
        write_latest(&self.dir, latest).map(|_| ()).map_err(|e| {
            format!(
                "cannot write {}: {e}",
                self.dir.join(LATEST_SUMMARY).display()
            )
        })
    }
}
