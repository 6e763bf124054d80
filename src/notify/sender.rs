//! The sender's thread: messages into the outbox, due ones out to their channels, retries with
//! backoff, at most [`PER_MINUTE`] a minute per channel (the rest go as one), the digest at its
//! time, and each channel's trouble said once.

use super::channels::Channel;
use super::message::Message;
use super::{Cmd, digest};
use crate::history::outbox;
use crate::names::Names;
use crate::report::PageSettings;
use crate::settings::NotifySettings;
use rusqlite::Connection;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant, SystemTime};

/// Messages sent a minute per channel; more that wait are sent as one.
const PER_MINUTE: usize = 6;
/// The first retry, doubled each time up to [`MAX_BACKOFF`].
const FIRST_RETRY: i64 = 5;
const MAX_BACKOFF: i64 = 300;
const TICK: Duration = Duration::from_secs(1);

pub(super) struct Sender {
    settings: NotifySettings,
    pages: PageSettings,
    store: Option<PathBuf>,
    names: Names,
    channels: Vec<Channel>,
    /// Per channel: when its last sends went, for the rate limit.
    sent_at: HashMap<String, Vec<Instant>>,
    /// Per channel: the trouble last said (said again only when it changes or ends).
    failing: HashMap<String, String>,
    next_digest: Option<SystemTime>,
}

fn now_unix() -> i64 {
    crate::history::unix(SystemTime::now())
}

impl Sender {
    pub(super) fn new(s: NotifySettings, pages: PageSettings, store: Option<PathBuf>) -> Sender {
        Sender {
            channels: Channel::all(&s),
            next_digest: digest::next(s.digest, chrono::Local::now()),
            settings: s,
            names: pages.names.clone(),
            pages,
            store,
            sent_at: HashMap::new(),
            failing: HashMap::new(),
        }
    }

    pub(super) fn run(mut self, rx: Receiver<Cmd>) {
        let conn = match outbox::open(self.store.as_deref()) {
            Ok(c) => c,
            Err(e) => {
                log::warn!(
                    "notify: cannot open the outbox ({e}); messages are kept in memory only"
                );
                match outbox::open(None) {
                    Ok(c) => c,
                    Err(_) => return,
                }
            }
        };
        loop {
            match rx.recv_timeout(TICK) {
                Ok(Cmd::Send(m)) => self.queue(&conn, &m),
                Ok(Cmd::Names(n)) => self.names = n,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            self.digest_if_due(&conn);
            for c in self.channels.clone() {
                self.deliver(&conn, &c);
            }
        }
    }

    /// Into every channel's outbox.
    fn queue(&mut self, conn: &Connection, m: &Message) {
        let m = m.clone().named(&self.names);
        let json = serde_json::to_string(&m).unwrap_or_default();
        for c in &self.channels {
            match outbox::push(conn, &c.id(), &json, now_unix()) {
                Ok(0) => {}
                Ok(n) => log::warn!(
                    "notify: {} has {} messages waiting; the {n} oldest were dropped",
                    c.shown(&self.settings),
                    outbox::MAX_WAITING
                ),
                Err(e) => log::warn!(
                    "notify: cannot keep a message for {}: {e}",
                    c.shown(&self.settings)
                ),
            }
        }
    }

    fn digest_if_due(&mut self, conn: &Connection) {
        let Some(at) = self.next_digest else {
            return;
        };
        if SystemTime::now() < at {
            return;
        }
        self.next_digest = digest::next(
            self.settings.digest,
            chrono::Local::now() + chrono::Duration::seconds(1),
        );
        let m = digest::build(
            &self.settings,
            &self.pages,
            &self.names,
            chrono::Local::now(),
        );
        self.queue(conn, &m);
    }

    /// Send what is due for `c`: one by one within the rate limit, else as one message.
    fn deliver(&mut self, conn: &Connection, c: &Channel) {
        let id = c.id();
        let recent = self.sent_at.entry(id.clone()).or_default();
        recent.retain(|t| t.elapsed() < Duration::from_secs(60));
        let room = PER_MINUTE.saturating_sub(recent.len());
        if room == 0 {
            return;
        }
        let Ok(due) = outbox::due(conn, &id, now_unix(), outbox::MAX_WAITING) else {
            return;
        };
        if due.is_empty() {
            return;
        }
        let messages: Vec<Message> = due
            .iter()
            .filter_map(|w| serde_json::from_str(&w.message).ok())
            .collect();
        let (batch, ids): (Vec<Message>, Vec<i64>) = if due.len() > room {
            // More wait than may go this minute: the oldest alone if it is the only room left,
            // else all of them as one message that counts them.
            (
                vec![Message::combined(&messages)],
                due.iter().map(|w| w.id).collect(),
            )
        } else {
            (messages, due.iter().map(|w| w.id).collect())
        };
        let attempts = due.iter().map(|w| w.attempts).max().unwrap_or(0);
        if batch.len() == 1 && ids.len() > 1 {
            self.send_ids(conn, c, &batch[0], &ids, attempts);
        } else {
            for (m, w) in batch.iter().zip(&due) {
                if !self.send_ids(conn, c, m, &[w.id], w.attempts) {
                    break;
                }
            }
        }
    }

    /// Send `m` (the outbox's `ids`); false when it failed.
    fn send_ids(
        &mut self,
        conn: &Connection,
        c: &Channel,
        m: &Message,
        ids: &[i64],
        attempts: u32,
    ) -> bool {
        let id = c.id();
        match c.send(&self.settings, m) {
            Ok(()) => {
                let _ = outbox::delivered(conn, ids);
                self.sent_at
                    .entry(id.clone())
                    .or_default()
                    .push(Instant::now());
                if self.failing.remove(&id).is_some() {
                    log::info!("notify: {} works again", c.shown(&self.settings));
                }
                true
            }
            Err(why) => {
                let wait = (FIRST_RETRY << attempts.min(10)).min(MAX_BACKOFF);
                let _ = outbox::retry(conn, ids, now_unix() + wait);
                if self.failing.get(&id) != Some(&why) {
                    log::warn!(
                        "notify: {} failed: {why}; the message waits and is tried again",
                        c.shown(&self.settings)
                    );
                    self.failing.insert(id, why);
                }
                false
            }
        }
    }
}
