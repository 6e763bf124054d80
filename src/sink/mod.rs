//! The output seam: what the pipeline hands every output, and nothing about who they are.
//!
//! The pipeline counts and dispatches to [`Outputs`], a list of [`Output`]s; each output owns
//! its file and its format and lives with its domain — the three logs and `latest-summary.txt`
//! in `output`, the per-minute store in `history`, the pages in
//! `report`, the event stream ([`events`]) here. The list is assembled in one place
//! above them all (`core::outputs`): a new output is a new file in its domain plus one line
//! there. An output that fails returns the message; the pipeline hands it to every output's
//! [`Output::problem`] (the service log records it, the tray shows it) and carries on.
//!
//! Outputs that replace a file whole share [`write_atomically`].

pub mod atomic;
pub mod events;
pub mod gone;

pub use atomic::{own_file, writable_by_others, write_atomically, write_atomically_with};
pub use events::{Event, Events};

use crate::alerts::Incident;
use crate::flow::FlowRecord;
use crate::health::{ExporterEvent, ExporterHealth};
use crate::names::{Known, Names};
use crate::summary::Summary;
use chrono::{DateTime, Local};
use std::net::IpAddr;
use std::sync::Arc;

/// A summary and when it was written.
#[derive(Debug, Clone)]
pub struct Written {
    pub summary: Arc<Summary>,
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
    fn conversations(&mut self, _summary: &Arc<Summary>) -> Result<(), String> {
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

    /// What devices are called: all names known now (labels and learned), and the learned
    /// entries that changed since the last call (address, what is known).
    fn names(&mut self, _all: &Names, _changed: &[(IpAddr, Known)]) -> Result<(), String> {
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

/// The outputs in use, in groups, called in order. Whoever assembles them names each group
/// (the outputs built from one settings section), so a group can be replaced alone when its
/// section changes; the seam knows nothing of what the groups are.
#[derive(Default)]
pub struct Outputs {
    groups: Vec<(&'static str, Vec<Box<dyn Output>>)>,
}

impl Outputs {
    /// Add a group after the others.
    pub fn add(&mut self, group: &'static str, outputs: Vec<Box<dyn Output>>) {
        self.groups.push((group, outputs));
    }

    /// Put `outputs` in the place of `group`'s (added last if there is none): the old ones are
    /// flushed to disk and closed first.
    pub fn replace(&mut self, group: &'static str, outputs: Vec<Box<dyn Output>>) {
        match self.groups.iter_mut().find(|(g, _)| *g == group) {
            Some((_, old)) => {
                for o in old.iter_mut() {
                    let _ = o.flush(true);
                }
                *old = outputs;
            }
            None => self.add(group, outputs),
        }
    }

    /// How many outputs each group holds, in order.
    pub fn groups(&self) -> Vec<(&'static str, usize)> {
        self.groups.iter().map(|(g, o)| (*g, o.len())).collect()
    }

    fn all(&mut self) -> impl Iterator<Item = &mut Box<dyn Output>> {
        self.groups.iter_mut().flat_map(|(_, o)| o.iter_mut())
    }

    /// Call `f` on every output; what fails is reported to all of them as a problem.
    fn each(&mut self, mut f: impl FnMut(&mut dyn Output) -> Result<(), String>) {
        let mut problems = Vec::new();
        for o in self.all() {
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

    pub fn conversations(&mut self, summary: &Arc<Summary>) {
        self.each(|o| o.conversations(summary));
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

    pub fn names(&mut self, all: &Names, changed: &[(IpAddr, Known)]) {
        self.each(|o| o.names(all, changed));
    }

    pub fn problem(&mut self, message: &str) {
        for o in self.all() {
            o.problem(message);
        }
    }

    pub fn flush(&mut self, to_disk: bool) {
        self.each(|o| o.flush(to_disk));
    }
}
