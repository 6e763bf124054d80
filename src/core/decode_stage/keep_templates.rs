//! The exporters' templates across restarts: read from the history store before the first
//! datagram is decoded, written back (on a blocking thread, never waited for while
//! collecting) at most once a minute when they changed, and at the stop.

use crate::decode::Decoder;
use crate::history::templates;
use crate::output::service_log::LIFECYCLE;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};
use tokio::task::JoinHandle;

const EVERY: Duration = Duration::from_secs(60);

pub(super) struct TemplateKeeper {
    /// The history store; `None`: the history is off, templates are not kept.
    path: Option<PathBuf>,
    next: Instant,
    saving: Option<JoinHandle<Result<(), String>>>,
    said_failure: bool,
}

impl TemplateKeeper {
    pub(super) fn new(path: Option<PathBuf>) -> TemplateKeeper {
        TemplateKeeper {
            path,
            next: Instant::now() + EVERY,
            saving: None,
            said_failure: false,
        }
    }

    /// Feed the templates kept by the last run to the decoder.
    pub(super) async fn restore(&self, decoder: &mut Decoder) {
        let Some(path) = self.path.clone() else {
            return;
        };
        let loaded = tokio::task::spawn_blocking(move || templates::load(&path)).await;
        match loaded {
            Ok(Ok(sets)) if !sets.is_empty() => {
                let scopes: std::collections::HashSet<_> =
                    sets.iter().map(|s| (s.from, s.version, s.domain)).collect();
                decoder.restore_templates(&sets, crate::flow::unix_ms(SystemTime::now()));
                log::info!(target: LIFECYCLE,
                    "templates: {} template set(s) of {} exporter(s) kept from the last run; their data decodes before they send templates again",
                    sets.len(),
                    scopes.len()
                );
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => log::warn!("templates: {e}; exporters' data waits for their templates"),
            Err(e) => log::warn!("templates: cannot read them: {e}"),
        }
    }

    fn report(&mut self, r: Result<(), String>) {
        match r {
            Ok(()) => self.said_failure = false,
            Err(e) if !self.said_failure => {
                self.said_failure = true;
                log::warn!("templates: {e}; they are kept in memory and written again later");
            }
            Err(_) => {}
        }
    }

    /// Write the templates when they changed and a minute has passed (one write at a time;
    /// a write still going on is not waited for).
    pub(super) async fn tick(&mut self, decoder: &mut Decoder) {
        let Some(path) = self.path.clone() else {
            return;
        };
        if Instant::now() < self.next || self.saving.as_ref().is_some_and(|h| !h.is_finished()) {
            return;
        }
        self.next = Instant::now() + EVERY;
        if let Some(h) = self.saving.take()
            && let Ok(r) = h.await
        {
            self.report(r);
        }
        if let Some(sets) = decoder.take_template_sets() {
            self.saving = Some(tokio::task::spawn_blocking(move || {
                templates::save_to(&path, &sets)
            }));
        }
    }

    /// At the stop: the last changes written, waited for.
    pub(super) async fn finish(&mut self, decoder: &mut Decoder) {
        if let Some(h) = self.saving.take()
            && let Ok(r) = h.await
        {
            self.report(r);
        }
        let (Some(path), Some(sets)) = (self.path.clone(), decoder.take_template_sets()) else {
            return;
        };
        if let Ok(r) = tokio::task::spawn_blocking(move || templates::save_to(&path, &sets)).await {
            self.report(r);
        }
    }
}
