//! Outputs: the log files and `latest-summary.txt`.

pub mod logs;

use crate::summary::SummaryReport;
use chrono::{DateTime, Local};
use std::path::{Path, PathBuf};

/// The file that always holds the newest summary of each interval.
pub const LATEST_SUMMARY: &str = "latest-summary.txt";

/// Write the newest report of each interval to `<dir>/latest-summary.txt` (via a temporary
/// file and a rename, so a reader never sees half a file).
pub fn write_latest(
    dir: &Path,
    reports: &[(SummaryReport, DateTime<Local>)],
) -> std::io::Result<PathBuf> {
    let mut text = String::new();
    for (r, written_at) in reports {
        text.push_str(&r.to_text(written_at));
    }
    let path = dir.join(LATEST_SUMMARY);
    let tmp = dir.join(format!("{LATEST_SUMMARY}.tmp"));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}
