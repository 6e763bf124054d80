//! Decode errors for the service log, rate-limited: the first error of an exporter is logged
//! at once, later ones as one summary line per exporter per period — never a line per bad
//! datagram, and never the datagram itself.

use super::MAX_EXPORTERS;
use crate::decode::DecodeError;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

/// Rate-limits decode-error messages: the first error of an exporter is logged at once, later
/// ones as one summary line per exporter per period.
#[derive(Debug)]
pub struct ErrorLimiter {
    period: Duration,
    pending: BTreeMap<IpAddr, BTreeMap<DecodeError, u64>>,
    announced: HashMap<IpAddr, ()>,
    last_flush: Option<SystemTime>,
}

impl ErrorLimiter {
    pub fn new(period: Duration) -> Self {
        ErrorLimiter {
            period,
            pending: BTreeMap::new(),
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
        *self
            .pending
            .entry(addr)
            .or_default()
            .entry(err)
            .or_default() += 1;
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
        std::mem::take(&mut self.pending)
            .into_iter()
            .map(|(addr, kinds)| {
                let total: u64 = kinds.values().sum();
                let detail: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} ×{n}")).collect();
                format!(
                    "exporter {addr}: {total} datagram(s) could not be decoded in the last {secs} s: {}",
                    detail.join(", ")
                )
            })
            .collect()
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
}
