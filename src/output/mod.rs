//! Outputs: everything that consumes what the pipeline counts, behind one seam.
//!
//! The pipeline counts and dispatches; each output owns its file and its format:
//!
//! | output | file | what it takes |
//! |---|---|---|
//! | [`dump::FlowDump`] | `<exe>-netflow.log` | every flow record |
//! | [`summary_log::SummaryLog`] | `<exe>-summary.log` | summaries, incidents, silent sensors |
//! | [`latest::LatestSummary`] | `latest-summary.txt` | the newest summary of each interval |
//! | [`service_log::ServiceLog`] | `<exe>.log` | incidents, exporter events, problems |
//! | [`crate::history::History`] | `nf-svc-history.sqlite` | every record (per minute), five-minute conversations, incidents, exporters |
//! | [`crate::report::output::Pages`] | `report.html`, `reports/` | summaries, incidents (pages read the history) |
//! | [`events::Events`] | — (the handle's event stream) | summaries, incidents, exporters, problems |
//!
//! Adding an output is a new file here implementing [`Output`] and one line in [`assemble`].
//! An output that fails returns the message; the pipeline hands it to every output's
//! [`Output::problem`] (the service log records it, the tray shows it) and carries on.

pub mod dump;
pub mod events;
pub mod files;
pub mod folder;
pub mod latest;
pub mod service_log;
pub mod summary_log;
pub mod summary_text;
pub mod trouble;
pub mod wording;

pub use events::Event;
pub use latest::LATEST_SUMMARY;

use crate::alerts::Incident;
use crate::flow::FlowRecord;
use crate::health::{ExporterEvent, ExporterHealth};
use crate::settings::Settings;
use crate::summary::SummaryReport;
use chrono::{DateTime, Local};
use std::sync::Arc;
use tokio::sync::broadcast;

/// A summary and when it was written.
#[derive(Debug, Clone)]
pub struct Written {
    pub report: Arc<SummaryReport>,
    pub at: DateTime<Local>,
}

/// One consumer of the pipeline's results. Every method has a do-nothing default, so an
/// output implements only what it takes. Errors are messages for the user.
pub trait Output: Send {
    /// One datagram's flow records (all from one exporter), received at `logged`.
    fn flows(&mut self, _logged: &DateTime<Local>, _records: &[FlowRecord]) -> Result<(), String> {
        Ok(())
    }

    /// Summaries of the user's intervals whose period just ended (`new`), and the newest of
    /// every interval (`latest`, shortest interval first), which includes them.
    fn summaries(&mut self, _new: &[Written], _latest: &[Written]) -> Result<(), String> {
        Ok(())
    }

    /// A five-minute period's top conversations (counted whether or not five minutes is one
    /// of the user's intervals).
    fn conversations(&mut self, _report: &Arc<SummaryReport>) -> Result<(), String> {
        Ok(())
    }

    /// A traffic incident opened or ended.
    fn incident(&mut self, _incident: &Arc<Incident>) -> Result<(), String> {
        Ok(())
    }

    /// An exporter was first seen, went silent, or came back.
    fn exporter(&mut self, _event: &ExporterEvent) -> Result<(), String> {
        Ok(())
    }

    /// Every exporter's figures, once a minute and at the end.
    fn exporter_health(&mut self, _all: &[ExporterHealth]) -> Result<(), String> {
        Ok(())
    }

    /// A problem that an output (or the core) ran into, for outputs that report problems.
    fn problem(&mut self, _message: &str) {}

    /// Pass buffered data on: after each batch (`to_disk` false) and every few seconds and at
    /// the end (`to_disk` true: down to the file).
    fn flush(&mut self, _to_disk: bool) -> Result<(), String> {
        Ok(())
    }
}

/// The outputs in use, in the order they are called.
pub struct Outputs {
    list: Vec<Box<dyn Output>>,
}

/// Build the outputs the settings ask for. Fails (changing nothing) when a log cannot be
/// opened.
pub fn assemble(s: &Settings, events: broadcast::Sender<Event>) -> Result<Outputs, String> {
    let mut list: Vec<Box<dyn Output>> = vec![Box::new(service_log::ServiceLog)];
    if s.netflow_log {
        list.push(Box::new(dump::FlowDump::open(s)?));
    }
    if s.summary_log {
        list.push(Box::new(summary_log::SummaryLog::open(s)?));
    }
    list.push(Box::new(latest::LatestSummary::new(&s.log_dir)));
    list.push(Box::new(folder::LogFolder::new(s)));
    if s.history.enabled {
        list.push(Box::new(crate::history::History::open(s)));
        list.push(Box::new(crate::report::output::Pages::start(s)));
    }
    list.push(Box::new(events::Events(events)));
    Ok(Outputs { list })
}

impl Outputs {
    /// Call `f` on every output; what fails is reported to all of them as a problem.
    fn each(&mut self, mut f: impl FnMut(&mut dyn Output) -> Result<(), String>) {
        let mut problems = Vec::new();
        for o in &mut self.list {
            if let Err(e) = f(o.as_mut()) {
                problems.push(e);
            }
        }
        for p in problems {
            self.problem(&p);
        }
    }

    #[inline]
    pub fn flows(&mut self, logged: &DateTime<Local>, records: &[FlowRecord]) {
        self.each(|o| o.flows(logged, records));
    }

    pub fn summaries(&mut self, new: &[Written], latest: &[Written]) {
        self.each(|o| o.summaries(new, latest));
    }

    pub fn conversations(&mut self, report: &Arc<SummaryReport>) {
        self.each(|o| o.conversations(report));
    }

    pub fn incident(&mut self, incident: Incident) {
        let i = Arc::new(incident);
        self.each(|o| o.incident(&i));
    }

    pub fn exporter(&mut self, event: ExporterEvent) {
        self.each(|o| o.exporter(&event));
    }

    pub fn exporter_health(&mut self, all: &[ExporterHealth]) {
        self.each(|o| o.exporter_health(all));
    }

    pub fn problem(&mut self, message: &str) {
        for o in &mut self.list {
            o.problem(message);
        }
    }

    pub fn flush(&mut self, to_disk: bool) {
        self.each(|o| o.flush(to_disk));
    }
}
