//! A finished summary: one interval's period, and the top rows of each exporter. How it is
//! printed is the outputs' business (`output::summary_text`).

use super::table::ExporterRows;
use chrono::{DateTime, Local};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub interval: Duration,
    pub start: DateTime<Local>,
    pub end: DateTime<Local>,
    /// The period was not covered in full (nf-svc started or stopped inside it).
    pub partial: bool,
    pub top_count: usize,
    pub exporters: Vec<ExporterRows>,
}

impl Summary {
    pub fn total_bytes(&self) -> u64 {
        self.exporters.iter().map(|e| e.total_bytes).sum()
    }

    pub fn total_packets(&self) -> u64 {
        self.exporters.iter().map(|e| e.total_packets).sum()
    }
}
