//! The summary log (`<exe>-summary.log`): every summary as it ends, and between them the
//! lines that document incidents and silent sensors, each with its time and a blank line.
//!
//! What cannot be written (a full disk) is kept, up to [`KEPT_BYTES`], and written when
//! writing works again, at the next entry or within a second.

use super::files::{DataLog, LogKind};
use super::summary_text::{summary_chunks, summary_text};
use super::wording;
use crate::alerts::Incident;
use crate::health::ExporterEvent;
use crate::settings::LogSettings;
use crate::sink::{Output, Written};
use crate::words::append::{LINE_END, push_log_time};
use chrono::Local;
use std::collections::VecDeque;
use std::sync::Arc;

/// Entries kept while the log cannot be written; past it the oldest go (and are counted).
pub const KEPT_BYTES: usize = 4 * 1024 * 1024;

pub struct SummaryLog {
    log: DataLog,
    /// Entries not written yet, oldest first.
    kept: VecDeque<String>,
    kept_bytes: usize,
    /// Entries let go because [`KEPT_BYTES`] was reached.
    dropped: u64,
}

impl SummaryLog {
    pub fn open(s: &LogSettings) -> Result<SummaryLog, String> {
        Ok(SummaryLog {
            log: DataLog::open(s, LogKind::Summary)?,
            kept: VecDeque::new(),
            kept_bytes: 0,
            dropped: 0,
        })
    }

    /// Write `text` after whatever is still kept.
    fn write(&mut self, text: String) -> Result<(), String> {
        self.keep(text);
        self.write_kept()
    }

    /// Keep `text` to be written after the entries kept before it.
    fn keep(&mut self, text: String) {
        self.kept_bytes += text.len();
        self.kept.push_back(text);
        while self.kept_bytes > KEPT_BYTES && self.kept.len() > 1 {
            if let Some(old) = self.kept.pop_front() {
                self.kept_bytes -= old.len();
                self.dropped += 1;
            }
        }
    }

    /// Try to write the kept entries, oldest first.
    fn write_kept(&mut self) -> Result<(), String> {
        while let Some(text) = self.kept.front() {
            // A failed write leaves nothing of itself (DataLog::write cuts it back out).
            let r = self.log.write(text);
            let ok = r.is_ok();
            self.log.trouble.check(r, text.len(), None)?;
            if !ok {
                return Ok(());
            }
            if let Some(t) = self.kept.pop_front() {
                self.kept_bytes -= t.len();
            }
        }
        if self.dropped > 0 {
            log::warn!(
                "{} summary log entries could not be kept while {} could not be written (more than {} waited)",
                self.dropped,
                self.log.path().display(),
                crate::words::units::bytes(KEPT_BYTES as u64)
            );
            self.dropped = 0;
        }
        Ok(())
    }

    /// A summary, written a piece at a time when nothing waits before it (the text of
    /// many exporters runs to megabytes); kept whole to be written later when that fails.
    fn summary(&mut self, w: &Written) -> Result<(), String> {
        if self.kept.is_empty() && !self.log.trouble.failing() {
            let mark = self.log.mark();
            let mut len = 0;
            let r = summary_chunks(&w.summary, &w.at, |chunk| {
                len += chunk.len();
                self.log.write(chunk)
            });
            if r.is_err() {
                // The pieces written before the failure are cut back out too: the entry is
                // kept whole and written again, never left torn.
                self.log.cut_back(mark);
                self.keep(summary_text(&w.summary, &w.at));
            }
            return self.log.trouble.check(r, len, None);
        }
        self.write(summary_text(&w.summary, &w.at))
    }

    /// A timestamped line followed by a blank line.
    fn note(&mut self, line: &str) -> Result<(), String> {
        let mut text = String::with_capacity(line.len() + 32);
        push_log_time(&mut text, &Local::now());
        text.push(' ');
        text.push_str(line);
        text.push_str(LINE_END);
        text.push_str(LINE_END);
        self.write(text)
    }
}

impl Output for SummaryLog {
    fn summaries(&mut self, new: &[Written], _latest: &[Written]) -> Result<(), String> {
        let mut result = Ok(());
        for w in new {
            if let Err(e) = self.summary(w) {
                result = Err(e);
            }
        }
        result
    }

    fn incident(&mut self, i: &Arc<Incident>) -> Result<(), String> {
        self.note(&wording::incident_line(i))
    }

    fn exporter(&mut self, e: &ExporterEvent) -> Result<(), String> {
        match e {
            ExporterEvent::Seen { .. } => Ok(()),
            _ => self.note(&wording::exporter_line(e).1),
        }
    }

    fn flush(&mut self, to_disk: bool) -> Result<(), String> {
        if !to_disk {
            return Ok(());
        }
        self.log.reopen_if_gone()?;
        self.write_kept()?;
        if !self.log.trouble.failing() {
            self.log.check_rotation()?;
        }
        Ok(())
    }
}
