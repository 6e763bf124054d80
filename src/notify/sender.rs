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
        // Each waiting message read back; one nf-svc cannot read (not written by it) goes.
        let (readable, unreadable): (Vec<_>, Vec<_>) = due
            .iter()
            .map(|w| (w, serde_json::from_str::<Message>(&w.message).ok()))
            .partition(|(_, m)| m.is_some());
        if !unreadable.is_empty() {
            let ids: Vec<i64> = unreadable.iter().map(|(w, _)| w.id).collect();
            let _ = outbox::delivered(conn, &ids);
            log::warn!(
                "notify: {} message(s) waiting for {} could not be read back from the outbox and were dropped",
                ids.len(),
                c.shown(&self.settings)
            );
        }
        let waiting: Vec<(i64, u32, Message)> = readable
            .into_iter()
            .filter_map(|(w, m)| Some((w.id, w.attempts, m?)))
            .collect();
        if waiting.len() > room {
            // More wait than may go this minute: all of them as one message that counts them.
            let ids: Vec<i64> = waiting.iter().map(|w| w.0).collect();
            let attempts = waiting.iter().map(|w| w.1).max().unwrap_or(0);
            let messages: Vec<Message> = waiting.into_iter().map(|w| w.2).collect();
            self.send_ids(conn, c, &Message::combined(&messages), &ids, attempts);
            return;
        }
        for (id, attempts, m) in &waiting {
            if !self.send_ids(conn, c, m, &[*id], *attempts) {
                break;
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn an_unreadable_message_goes_and_a_failed_one_waits_for_its_retry() {
        let ini = "[Notify]\nWebhook = http://127.0.0.1:1/hook\n";
        let (s, _) = crate::settings::parse(Path::new("/nf/nf-svc.ini"), ini).unwrap();
        let mut sender = Sender::new(s.notify.clone(), PageSettings::of(&s), None);
        let conn = outbox::open(None).unwrap();
        let c = Channel::Webhook(0);
        outbox::push(&conn, &c.id(), "not a message", now_unix()).unwrap();
        sender.queue(&conn, &Message::test());
        sender.deliver(&conn, &c);
        assert_eq!(
            outbox::waiting(&conn, &c.id()).unwrap(),
            1,
            "the unreadable one went"
        );
        assert!(
            outbox::due(&conn, &c.id(), now_unix(), 10)
                .unwrap()
                .is_empty(),
            "not due yet"
        );
        let later = outbox::due(&conn, &c.id(), now_unix() + FIRST_RETRY, 10).unwrap();
        assert_eq!(later[0].attempts, 1);
        assert!(sender.failing.contains_key(&c.id()), "the failure is said");
    }

    /// A webhook receiver on loopback: every request's body, answered 200.
    fn receiver() -> (String, std::sync::mpsc::Receiver<String>) {
        use std::io::{BufRead, BufReader, Read, Write};
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", l.local_addr().unwrap());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for conn in l.incoming().map_while(Result::ok) {
                let mut r = BufReader::new(conn);
                let mut len = 0;
                let mut line = String::new();
                while r.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                    let lower = line.to_ascii_lowercase();
                    if let Some(v) = lower.strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                    line.clear();
                }
                let mut body = vec![0; len];
                let _ = r.read_exact(&mut body);
                let _ = tx.send(String::from_utf8_lossy(&body).into_owned());
                let _ = r.get_mut().write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
        });
        (url, rx)
    }

    #[test]
    fn a_flood_goes_as_one_message_that_counts_it_and_later_ones_go_alone() {
        let (url, posts) = receiver();
        let ini = format!("[Notify]\nWebhook = {url}\n");
        let (s, _) = crate::settings::parse(Path::new("/nf/nf-svc.ini"), &ini).unwrap();
        let mut sender = Sender::new(s.notify.clone(), PageSettings::of(&s), None);
        let conn = outbox::open(None).unwrap();
        let c = Channel::Webhook(0);
        for _ in 0..30 {
            sender.queue(&conn, &Message::test());
        }
        sender.deliver(&conn, &c);
        let wait = Duration::from_secs(10);
        let one: serde_json::Value =
            serde_json::from_str(&posts.recv_timeout(wait).unwrap()).unwrap();
        let text = one["text"].as_str().unwrap();
        assert!(text.starts_with("30 notifications:"), "{text}");
        assert_eq!(
            text.matches("• ").count(),
            super::super::message::COMBINED_LISTED
        );
        assert!(text.contains("… and 10 more"), "{text}");
        assert_eq!(
            outbox::waiting(&conn, &c.id()).unwrap(),
            0,
            "all 30 delivered"
        );
        // Room is left this minute (one of six used): the next ones go one by one.
        for _ in 0..3 {
            sender.queue(&conn, &Message::test());
        }
        sender.deliver(&conn, &c);
        for _ in 0..3 {
            let alone: serde_json::Value =
                serde_json::from_str(&posts.recv_timeout(wait).unwrap()).unwrap();
            assert_eq!(alone["event"], "test");
        }
        // Four sent this minute, room for two: eight waiting go as one, the next alone, and
        // then the channel has had its six and what comes waits.
        for _ in 0..8 {
            sender.queue(&conn, &Message::test());
        }
        sender.deliver(&conn, &c);
        let two: serde_json::Value =
            serde_json::from_str(&posts.recv_timeout(wait).unwrap()).unwrap();
        assert!(
            two["text"]
                .as_str()
                .unwrap()
                .starts_with("8 notifications:")
        );
        sender.queue(&conn, &Message::test());
        sender.deliver(&conn, &c);
        let sixth: serde_json::Value =
            serde_json::from_str(&posts.recv_timeout(wait).unwrap()).unwrap();
        assert_eq!(sixth["event"], "test");
        sender.queue(&conn, &Message::test());
        sender.deliver(&conn, &c);
        assert_eq!(
            outbox::waiting(&conn, &c.id()).unwrap(),
            1,
            "no room left this minute"
        );
        assert!(posts.recv_timeout(Duration::from_millis(300)).is_err());
    }
}
