//! Events for whoever holds the core's handle (the tray): the same things the logs record,
//! as they happen, over a broadcast channel. The core never knows who listens.

use super::{Output, Written};
use crate::alerts::Incident;
use crate::health::ExporterEvent;
use crate::summary::Summary;
use std::sync::Arc;
use tokio::sync::broadcast;

/// Something the holder of the handle may want to know about as it happens.
#[derive(Debug, Clone)]
pub enum Event {
    /// A summary was written (one per interval at the end of its period).
    SummaryReady(Arc<Summary>),
    /// An exporter was first seen, went silent, or came back.
    Exporter(ExporterEvent),
    /// A traffic incident opened or ended.
    Incident(Arc<Incident>),
    /// A problem the user should see (a log that cannot be written, …).
    Problem(String),
}

/// The output that sends [`Event`]s.
pub struct Events(pub broadcast::Sender<Event>);

impl Events {
    fn send(&self, e: Event) {
        // No receiver (headless, nobody subscribed) is fine.
        let _ = self.0.send(e);
    }
}

impl Output for Events {
    fn summaries(&mut self, new: &[Written], _latest: &[Written]) -> Result<(), String> {
        for w in new {
            self.send(Event::SummaryReady(w.summary.clone()));
        }
        Ok(())
    }

    fn incident(&mut self, i: &Arc<Incident>) -> Result<(), String> {
        self.send(Event::Incident(i.clone()));
        Ok(())
    }

    fn exporter(&mut self, e: &ExporterEvent) -> Result<(), String> {
        self.send(Event::Exporter(e.clone()));
        Ok(())
    }

    fn problem(&mut self, message: &str) {
        self.send(Event::Problem(message.to_string()));
    }
}
