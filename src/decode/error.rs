//! What can go wrong with a datagram, in a few words. netflow_parser's own errors embed the
//! whole datagram, so they never leave this module: callers get a [`DecodeError`].

use netflow_parser::NetflowError;
use std::fmt;

/// What went wrong with a datagram, in the words the service log uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DecodeError {
    /// Shorter than its headers say (cut in transit, or not NetFlow).
    Truncated,
    /// A version number nf-svc does not decode (not NetFlow v5/v7/v9 or IPFIX).
    UnknownVersion(u16),
    /// Structurally wrong: bad lengths, an impossible template, garbage.
    Malformed,
    /// Would decode into more than the configured limits allow.
    TooLarge,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated => f.write_str("truncated datagram"),
            DecodeError::UnknownVersion(v) => {
                write!(f, "not NetFlow/IPFIX/sFlow (version field {v})")
            }
            DecodeError::Malformed => f.write_str("malformed datagram"),
            DecodeError::TooLarge => f.write_str("datagram exceeds decode limits"),
        }
    }
}

/// A decode error's kind without its value: what per-exporter figures count by, so a source
/// cycling through every version number adds one entry, not 65,536.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorKind {
    Truncated,
    UnknownVersion,
    Malformed,
    TooLarge,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorKind::Truncated => "truncated datagram",
            ErrorKind::UnknownVersion => "not NetFlow/IPFIX/sFlow",
            ErrorKind::Malformed => "malformed datagram",
            ErrorKind::TooLarge => "datagram exceeds decode limits",
        })
    }
}

impl DecodeError {
    /// Its kind, without the value.
    pub fn kind(self) -> ErrorKind {
        match self {
            DecodeError::Truncated => ErrorKind::Truncated,
            DecodeError::UnknownVersion(_) => ErrorKind::UnknownVersion,
            DecodeError::Malformed => ErrorKind::Malformed,
            DecodeError::TooLarge => ErrorKind::TooLarge,
        }
    }

    /// The kind of a netflow_parser error for datagram `d`.
    pub(super) fn of(e: &NetflowError, d: &[u8]) -> Self {
        match e {
            NetflowError::Incomplete { .. } => DecodeError::Truncated,
            NetflowError::UnsupportedVersion { version, .. }
            | NetflowError::FilteredVersion { version } => DecodeError::UnknownVersion(*version),
            NetflowError::DecodedOutputLimitExceeded { .. } => DecodeError::TooLarge,
            _ if looks_truncated(d) => DecodeError::Truncated,
            _ => DecodeError::Malformed,
        }
    }

    /// A datagram that is not NetFlow at all, told from its first two bytes (the scoped parser
    /// would call an unknown version "too short").
    pub(super) fn check_version(d: &[u8]) -> Result<(), DecodeError> {
        match d {
            _ if super::sflow::is_sflow(d) => Ok(()),
            [a, b, ..] => match u16::from_be_bytes([*a, *b]) {
                5 | 7 | 9 | 10 => Ok(()),
                v => Err(DecodeError::UnknownVersion(v)),
            },
            _ => Err(DecodeError::Truncated),
        }
    }
}

/// Whether a datagram is shorter than its own headers say (cut in transit), as opposed to
/// structurally wrong: netflow_parser reports both as a parse error.
fn looks_truncated(d: &[u8]) -> bool {
    let u16_at = |o: usize| {
        d.get(o..o + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]) as usize)
    };
    match u16_at(0) {
        Some(5) => d.len() < 24 || d.len() < 24 + u16_at(2).unwrap_or(0) * 48,
        Some(7) => d.len() < 24 || d.len() < 24 + u16_at(2).unwrap_or(0) * 52,
        Some(10) => d.len() < 16 || u16_at(2).is_some_and(|l| l > d.len()),
        Some(9) => {
            if d.len() < 20 {
                return true;
            }
            let mut off = 20;
            while let Some(len) = u16_at(off + 2) {
                if len < 4 {
                    return false;
                }
                if off + len > d.len() {
                    return true;
                }
                off += len;
            }
            false
        }
        _ => d.len() < 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_is_told_from_garbage() {
        assert!(looks_truncated(&[0, 5]));
        let mut v5 = vec![0, 5, 0, 2];
        v5.resize(24 + 48, 0);
        assert!(looks_truncated(&v5), "says 2 records, holds 1");
        v5.resize(24 + 96, 0);
        assert!(!looks_truncated(&v5));
        let mut v9 = vec![0, 9, 0, 1];
        v9.resize(20, 0);
        v9.extend_from_slice(&[1, 0, 0, 40, 1, 2]);
        assert!(looks_truncated(&v9), "set says 40 bytes, 6 present");
        let mut ipfix = vec![0, 10, 0, 100];
        ipfix.resize(50, 0);
        assert!(looks_truncated(&ipfix));
    }

    #[test]
    fn versions_are_checked_first() {
        assert_eq!(
            DecodeError::check_version(&[0]),
            Err(DecodeError::Truncated)
        );
        assert_eq!(
            DecodeError::check_version(&[0x47, 0x45, 0x54]),
            Err(DecodeError::UnknownVersion(0x4745))
        );
        for v in [5u8, 7, 9, 10] {
            assert_eq!(DecodeError::check_version(&[0, v]), Ok(()));
        }
    }
}
