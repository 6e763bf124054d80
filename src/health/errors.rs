//! Decode errors for the service log, rate-limited: the first error of an exporter is logged
//! at once, later ones as one summary line per exporter per period — never a line per bad
//! datagram, and never the datagram itself.
//!
//! Bounded under a flood: a line names at most [`KINDS_NAMED`] kinds (the most frequent) and
//! says "and N more"; at most [`KINDS_KEPT`] distinct kinds are kept per exporter (a source
//! cycling through version numbers adds to "other kinds"), at most [`LINES_PER_PERIOD`]
//! exporters get a line of their own per period, and the rest share one line.

use super::MAX_EXPORTERS;
use crate::decode::DecodeError;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

/// Distinct error kinds kept per exporter per period.
pub const KINDS_KEPT: usize = 8;
/// Kinds named in a line.
pub const KINDS_NAMED: usize = 4;
/// Exporters with a line of their own per period.
pub const LINES_PER_PERIOD: usize = 16;
/// Exporters with pending errors kept one by one; beyond, only counted.
const PENDING_EXPORTERS: usize = MAX_EXPORTERS * 4;

/// Rate-limits decode-error messages: the first error of an exporter is logged at once, later
/// ones as one summary line per exporter per period.
#[derive(Debug)]
pub struct ErrorLimiter {
    period: Duration,
    pending: BTreeMap<IpAddr, Pending>,
    /// Errors from exporters beyond [`PENDING_EXPORTERS`].
    unlisted: u64,
    announced: HashMap<IpAddr, ()>,
    last_flush: Option<SystemTime>,
}

#[derive(Debug, Default)]
struct Pending {
    kinds: BTreeMap<DecodeError, u64>,
    /// Errors of kinds beyond [`KINDS_KEPT`].
    other_kinds: u64,
}

impl Pending {
    fn total(&self) -> u64 {
        self.kinds.values().sum::<u64>() + self.other_kinds
    }

    /// `truncated datagram ×12, … and 997 more kinds ×1003`
    fn detail(&self) -> String {
        let mut kinds: Vec<(&DecodeError, &u64)> = self.kinds.iter().collect();
        kinds.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let mut parts: Vec<String> = kinds
            .iter()
            .take(KINDS_NAMED)
            .map(|(k, n)| format!("{k} ×{n}"))
            .collect();
        let rest: u64 = kinds
            .iter()
            .skip(KINDS_NAMED)
            .map(|(_, n)| **n)
            .sum::<u64>()
            + self.other_kinds;
        if rest > 0 {
            parts.push(format!("other kinds ×{rest}"));
        }
        parts.join(", ")
    }
}

impl ErrorLimiter {
    pub fn new(period: Duration) -> Self {
        ErrorLimiter {
            period,
            pending: BTreeMap::new(),
            unlisted: 0,
            announced: HashMap::new(),
            last_flush: None,
        }
    }

    /// Note an error; returns a line to log now for the first error from an exporter.
    pub fn note(&mut self, addr: IpAddr, err: DecodeError, datagram_len: usize) -> Option<String> {
        if self.announced.len() < MAX_EXPORTERS * 4 && self.announced.insert(addr, ()).is_none() {
            return Some(format!(
                "exporter {addr}: cannot decode a {datagram_len}-byte datagram: {err}; further decode errors from it are summarized every {} s",
                self.period.as_secs()
            ));
        }
        if self.pending.len() >= PENDING_EXPORTERS && !self.pending.contains_key(&addr) {
            self.unlisted += 1;
            return None;
        }
        let p = self.pending.entry(addr).or_default();
        // Version numbers take at most half the places, so a source cycling through them
        // never hides a truncated or malformed datagram.
        let versions = p
            .kinds
            .keys()
            .filter(|k| matches!(k, DecodeError::UnknownVersion(_)))
            .count();
        let room = match err {
            DecodeError::UnknownVersion(_) => versions < KINDS_KEPT / 2,
            _ => p.kinds.len() < KINDS_KEPT,
        };
        if let Some(n) = p.kinds.get_mut(&err) {
            *n += 1;
        } else if room {
            p.kinds.insert(err, 1);
        } else {
            p.other_kinds += 1;
        }
        None
    }

    /// Summary lines for errors since the last flush, when a period has passed.
    pub fn flush(&mut self, now: SystemTime) -> Vec<String> {
        let last = *self.last_flush.get_or_insert(now);
        if now.duration_since(last).unwrap_or_default() < self.period {
            return Vec::new();
        }
        self.flush_now(now)
    }

    /// Summary lines for every error not yet reported (at shutdown).
    pub fn flush_now(&mut self, now: SystemTime) -> Vec<String> {
        let last = self.last_flush.unwrap_or(now);
        self.last_flush = Some(now);
        let secs = now.duration_since(last).unwrap_or_default().as_secs();
        let mut all: Vec<(IpAddr, Pending)> =
            std::mem::take(&mut self.pending).into_iter().collect();
        all.sort_by(|a, b| b.1.total().cmp(&a.1.total()).then(a.0.cmp(&b.0)));
        let mut lines: Vec<String> = all
            .iter()
            .take(LINES_PER_PERIOD)
            .map(|(addr, p)| {
                format!(
                    "exporter {addr}: {} datagram(s) could not be decoded in the last {secs} s: {}",
                    p.total(),
                    p.detail()
                )
            })
            .collect();
        let rest: Vec<&(IpAddr, Pending)> = all.iter().skip(LINES_PER_PERIOD).collect();
        let unlisted = std::mem::take(&mut self.unlisted);
        if !rest.is_empty() || unlisted > 0 {
            let datagrams = rest.iter().map(|(_, p)| p.total()).sum::<u64>() + unlisted;
            lines.push(format!(
                "{} more exporter(s): {datagrams} datagram(s) could not be decoded in the last {secs} s",
                rest.len().max(usize::from(unlisted > 0))
            ));
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::at;
    use super::*;

    #[test]
    fn error_limiter_logs_first_then_summaries() {
        let mut l = ErrorLimiter::new(Duration::from_secs(60));
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let first = l.note(ip, DecodeError::Truncated, 17).unwrap();
        assert!(
            first.contains("exporter 192.0.2.7")
                && first.contains("17-byte")
                && first.contains("truncated")
        );
        assert!(l.note(ip, DecodeError::Truncated, 17).is_none());
        assert!(l.note(ip, DecodeError::UnknownVersion(4660), 3).is_none());
        assert!(l.flush(at(0)).is_empty());
        let lines = l.flush(at(60));
        assert_eq!(lines.len(), 1);
        assert!(lines[0].contains("2 datagram(s)"), "{}", lines[0]);
        assert!(lines[0].contains("truncated datagram ×1"));
        assert!(lines[0].contains("version field 4660) ×1"));
        assert!(l.flush(at(120)).is_empty());
    }

    #[test]
    fn a_flood_of_kinds_and_exporters_stays_a_few_short_lines() {
        let mut l = ErrorLimiter::new(Duration::from_secs(60));
        let cycler: IpAddr = "192.0.2.9".parse().unwrap();
        // One source cycling through every version number (it wrote a 2.9 MB line before).
        for v in 0..=u16::MAX {
            l.note(cycler, DecodeError::UnknownVersion(v), 100);
        }
        for _ in 0..3 {
            l.note(cycler, DecodeError::Truncated, 100);
        }
        // Forty sources at once.
        for i in 0..40u8 {
            let ip = IpAddr::from([198, 51, 100, i]);
            for _ in 0..=i {
                l.note(ip, DecodeError::Malformed, 10);
            }
        }
        let lines = l.flush_now(at(60));
        assert_eq!(lines.len(), LINES_PER_PERIOD + 1, "{lines:#?}");
        assert!(lines.iter().all(|x| x.len() < 300), "{lines:#?}");
        assert!(
            lines[0].starts_with("exporter 192.0.2.9: 65538 datagram(s)"),
            "{}",
            lines[0]
        );
        assert!(lines[0].contains("truncated datagram ×3"), "{}", lines[0]);
        assert!(lines[0].contains("other kinds ×"), "{}", lines[0]);
        let last = lines.last().unwrap();
        // Each source's first error was logged at once; 39 have more, 15 of them get a line.
        assert!(last.starts_with("24 more exporter(s): "), "{last}");
        let rest: u64 = (1..=24u64).sum();
        assert!(
            last.contains(&format!(": {rest} datagram(s)")),
            "{last} {rest}"
        );
    }
}
