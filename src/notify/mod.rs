//! Notifications that reach you when you are away: e-mail, webhooks and Telegram, fed by the
//! same incidents and sensor events as the toasts, and a daily or weekly digest.
//!
//! The [`Notifier`] is an output like the logs: it turns events into [`Message`]s and hands
//! them to its sender thread ([`sender`]), never waiting. The sender keeps every message in an
//! outbox per channel (in the history store: a restart or a dead server loses nothing),
//! delivers with retries and backoff, sends at most a few a minute per channel (more that wait
//! go as one message that counts them), and says a failing channel once, and again when it
//! works. [`test`] sends a test message on every channel and says what happened.

pub mod channels;
pub mod digest;
pub mod message;
mod sender;

pub use message::{Kind, Message};

use crate::alerts::{Incident, Phase};
use crate::health::ExporterEvent;
use crate::names::{Known, Names};
use crate::report::PageSettings;
use crate::settings::NotifySettings;
use crate::sink::Output;
use channels::Channel;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};

/// Messages handed to the sender and not yet in its outbox.
const HANDED: usize = 1024;

enum Cmd {
    Send(Box<Message>),
    Names(Names),
}

/// The output that sends notifications.
pub struct Notifier {
    tx: Option<SyncSender<Cmd>>,
    thread: Option<std::thread::JoinHandle<()>>,
    settings: NotifySettings,
    pages: PageSettings,
}

impl Notifier {
    /// Start the sender; `store`: the history store the outbox lives in (`None`: in memory).
    pub fn start(s: &NotifySettings, pages: PageSettings, store: Option<PathBuf>) -> Notifier {
        let (tx, rx) = sync_channel(HANDED);
        let sender = sender::Sender::new(s.clone(), pages.clone(), store);
        let thread = std::thread::Builder::new()
            .name("nf-svc-notify".into())
            .spawn(move || sender.run(rx))
            .ok();
        Notifier {
            tx: Some(tx),
            thread,
            settings: s.clone(),
            pages,
        }
    }

    /// Whether anything is set up to send to.
    pub fn wanted(s: &NotifySettings) -> bool {
        !Channel::all(s).is_empty()
    }

    fn hand(&self, m: Message) {
        if let Some(tx) = &self.tx
            && let Err(TrySendError::Full(_)) = tx.try_send(Cmd::Send(Box::new(m)))
        {
            log::warn!("notify: {HANDED} messages wait to be queued; this one is left out");
        }
    }
}

impl Output for Notifier {
    fn incident(&mut self, i: &Arc<Incident>) -> Result<(), String> {
        if !self.settings.incidents || i.quiet {
            return Ok(());
        }
        let report = match i.phase {
            Phase::Ended { .. } => Some(crate::report::incident_file(
                &self.pages.dir,
                i.host,
                crate::history::unix(i.start),
            )),
            Phase::Started => None,
        };
        self.hand(Message::incident(i, report));
        Ok(())
    }

    fn exporter(&mut self, e: &ExporterEvent) -> Result<(), String> {
        if self.settings.sensors
            && let Some(m) = Message::sensor(e)
        {
            self.hand(m);
        }
        Ok(())
    }

    fn names(&mut self, all: &Names, _changed: &[(IpAddr, Known)]) -> Result<(), String> {
        if let Some(tx) = &self.tx {
            let _ = tx.try_send(Cmd::Names(all.clone()));
        }
        Ok(())
    }
}

impl Drop for Notifier {
    fn drop(&mut self) {
        // The sender ends when its channel closes: what waits stays in the outbox.
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Send a test message on every channel now; one line per channel saying what happened, and
/// whether all were sent.
pub fn test(s: &NotifySettings) -> (Vec<String>, bool) {
    let channels = Channel::all(s);
    if channels.is_empty() {
        return (
            vec![
                "no channel is set up: set SMTPServer, Webhook or TelegramToken in [Notify]".into(),
            ],
            false,
        );
    }
    let mut all = true;
    let lines = channels
        .iter()
        .map(|c| match c.send(s, &Message::test()) {
            Ok(()) => format!("{}: sent", c.shown(s)),
            Err(why) => {
                all = false;
                format!("{}: not sent: {why}", c.shown(s))
            }
        })
        .collect();
    (lines, all)
}
