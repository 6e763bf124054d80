//! The summary log (`<exe>-summary.log`): every summary as it ends, and between them the
//! lines that document incidents and silent sensors, each with its time and a blank line.

use super::files::{DataLog, LogKind};
use super::summary_text::summary_text;
use super::{Output, Written, wording};
use crate::alerts::Incident;
use crate::health::ExporterEvent;
use crate::settings::Settings;
use crate::words::append::{LINE_END, push_log_time};
use chrono::Local;
use std::sync::Arc;

pub struct SummaryLog {
    log: DataLog,
}

impl SummaryLog {
    pub fn open(s: &Settings) -> Result<SummaryLog, String> {
        Ok(SummaryLog {
            log: DataLog::open(s, LogKind::Summary)?,
        })
    }

    fn write(&mut self, text: &str) -> Result<(), String> {
        self.log.write(text).map_err(|e| {
            format!(
                "cannot write the summary log {}: {e}",
                self.log.path().display()
            )
        })
    }

    /// A timestamped line followed by a blank line.
    fn note(&mut self, line: &str) -> Result<(), String> {
        let mut text = String::with_capacity(line.len() + 32);
        push_log_time(&mut text, &Local::now());
        text.push(' ');
        text.push_str(line);
        text.push_str(LINE_END);
        text.push_str(LINE_END);
        self.write(&text)
    }
}

impl Output for SummaryLog {
    fn summaries(&mut self, new: &[Written], _latest: &[Written]) -> Result<(), String> {
        let mut result = Ok(());
        for w in new {
            if let Err(e) = self.write(&summary_text(&w.report, &w.at)) {
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
        if to_disk {
            self.log.flush().map_err(|e| {
                format!(
                    "cannot write the summary log {}: {e}",
                    self.log.path().display()
                )
            })?;
        }
        Ok(())
    }
}
