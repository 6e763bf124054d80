//! The tray as the companion of a collector it does not own (the Windows service, a console
//! or systemd collector): it watches that collector's status endpoint on a thread of its own,
//! shows its state and toasts its notices, and asks it for pause, resume and reports. When
//! the collector goes away the tray says so and offers to collect itself; if it comes back
//! (a restart, an upgrade) the tray attaches to it again.

use super::collector::{Backend, Collector};
use super::notifier::Click;
use super::{App, UserEvent};
use crate::companion::attach;
use crate::companion::wire::{Message, Notice, Request, Snapshot};
use crate::report::Page;
use std::net::IpAddr;
use std::path::PathBuf;

/// The collector being watched.
pub(super) struct Watched {
    pub endpoint: PathBuf,
    pub snapshot: Snapshot,
    /// Its endpoint closed: it stopped (or hangs).
    pub gone: bool,
    /// Which attachment this is (lines of an earlier one are ignored).
    pub number: u64,
}

impl Watched {
    /// Ask the collector (pause, resume, a report); `Ok` carries its answer.
    fn ask(&self, r: &Request) -> Result<String, String> {
        if self.gone {
            return Err("the collector has stopped".into());
        }
        match attach::ask(&self.endpoint, r) {
            Ok(Message::Done(d)) => d,
            Ok(other) => Err(format!("unexpected answer {other:?}")),
            Err(e) => Err(format!("the collector does not answer: {e}")),
        }
    }
}

impl Collector for Watched {
    fn snapshot(&self) -> Option<Snapshot> {
        (!self.gone).then(|| self.snapshot.clone())
    }

    fn set_paused(&mut self, paused: bool) -> Result<(), String> {
        let r = if paused {
            Request::Pause
        } else {
            Request::Resume
        };
        self.ask(&r)
            .map_err(|e| format!("cannot pause the collector: {e}"))?;
        log::info!(
            "asked the collector to {}",
            if paused { "pause" } else { "resume" }
        );
        self.snapshot.paused = paused;
        Ok(())
    }

    fn page(&self, page: &Page) -> Result<PathBuf, String> {
        self.ask(&Request::Report(page.clone())).map(PathBuf::from)
    }

    fn recent_incidents(&self) -> Vec<(IpAddr, i64, String)> {
        self.snapshot
            .reports
            .iter()
            .map(|l| (l.host, l.start, l.text.clone()))
            .collect()
    }

    fn ini(&self) -> PathBuf {
        self.snapshot.ini.clone()
    }

    fn log_dir(&self) -> PathBuf {
        self.snapshot.logs.clone()
    }

    fn about(&self) -> String {
        format!(
            "Companion of the collector ({}). Settings: {}\nLogs: {}",
            self.snapshot.mode,
            self.snapshot.ini.display(),
            self.snapshot.logs.display()
        )
    }

    fn is_companion(&self) -> bool {
        true
    }
}

impl App {
    /// Become the companion of the collector at `endpoint`.
    pub(super) fn attach(&mut self, endpoint: PathBuf, snapshot: Snapshot) {
        log::info!(
            "a collector already runs on this machine ({}, pid {}, settings {}, logs {}): \
             this tray is its companion and collects nothing itself",
            snapshot.mode,
            snapshot.pid,
            snapshot.ini.display(),
            snapshot.logs.display()
        );
        self.attachments += 1;
        let number = self.attachments;
        let (proxy, path) = (self.proxy.clone(), endpoint.clone());
        let spawned = std::thread::Builder::new()
            .name("nf-svc-companion".into())
            .spawn(move || {
                let p = proxy.clone();
                let why = match attach::watch(&path, move |m| {
                    let _ = p.send_event(UserEvent::Watched(number, m));
                }) {
                    Ok(()) => "its status endpoint closed".to_string(),
                    Err(e) => e.to_string(),
                };
                let _ = proxy.send_event(UserEvent::WatchEnded(number, why));
            });
        if let Err(e) = spawned {
            log::error!("cannot watch the collector: {e}");
        }
        self.backend = Backend::Watched(Box::new(Watched {
            endpoint,
            snapshot,
            gone: false,
            number,
        }));
        self.error = None;
        self.refresh();
    }

    pub(super) fn on_watched(&mut self, number: u64, m: Message) {
        let Backend::Watched(w) = &mut self.backend else {
            return;
        };
        if w.number != number {
            return;
        }
        match m {
            Message::Snapshot(s) => {
                w.snapshot = *s;
                self.refresh();
            }
            Message::Notice(n) => self.on_notice(n),
            Message::Done(_) => {}
        }
    }

    /// A toast or a problem, from this tray's core or the watched collector alike.
    pub(super) fn on_notice(&mut self, n: Notice) {
        match n {
            Notice::Toast { title, body, click } => {
                self.notifier.show(title, body, click.map(Click::Page))
            }
            Notice::Problem(m) => self.show_error(m),
        }
    }

    pub(super) fn watch_ended(&mut self, number: u64, why: String) {
        let Backend::Watched(w) = &mut self.backend else {
            return;
        };
        if w.number != number || w.gone {
            return;
        }
        w.gone = true;
        let mode = w.snapshot.mode.clone();
        log::warn!("the collector ({mode}) stopped ({why}): nothing is collected now");
        self.error = Some(format!(
            "the collector ({mode}) stopped — choose Collect here to collect in this tray"
        ));
        self.notifier.show(
            format!("nf-svc: the collector ({mode}) stopped"),
            "Nothing is collected now. Click here, or choose \u{201c}Collect here\u{201d} in the menu, to collect in this tray.",
            Some(Click::CollectHere),
        );
        self.refresh();
    }

    /// While the watched collector is gone: attach again as soon as one answers.
    pub(super) fn try_attach_again(&mut self) {
        if let Some((endpoint, snapshot)) = attach::find() {
            log::info!("the collector ({}) is back", snapshot.mode);
            self.attach(endpoint, snapshot);
        }
    }

    /// Stop watching and collect with this tray's own settings.
    pub(super) fn collect_here(&mut self) {
        if !self.backend.watched_is_gone() {
            return;
        }
        self.backend = Backend::Nothing;
        self.error = None;
        match self.settings.clone() {
            Some(s) => {
                log::info!("collecting in this tray (asked from the tray)");
                self.start_core(s);
            }
            None => self.show_settings_error(),
        }
        self.refresh();
    }
}
