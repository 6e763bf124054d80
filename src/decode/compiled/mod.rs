//! The fast path for NetFlow v9 and IPFIX data: templates compiled to a list of steps
//! (offset, length, element, how to read it), and data records read straight from the
//! datagram into [`Fields`] — no intermediate values, no allocation per record.
//!
//! netflow_parser stays the decoder of record. A template is compiled only after netflow_parser
//! accepted it (from its parse result), and only when every field nf-svc reads has a type and
//! length whose reading is known to match netflow_parser's (see [`kind`]); other fields are
//! skipped by length. A datagram takes the fast path only when it is a single well-formed v9
//! packet or IPFIX message made of data sets alone, each with a compiled template of its
//! exporter; anything else — templates, options, a set for an unknown template, variable-length
//! fields, odd lengths, trailing bytes — goes to netflow_parser whole, untouched. Templates the
//! reference forgets (withdrawn, replaced by options templates, exporters dropped) are
//! forgotten here too ([`learn`]). `tests/differential.rs` decodes every vendor sample,
//! generated templates and mutated data both ways and requires the same records.

mod learn;

use super::Outcome;
use super::exporters::Exporters;
use super::fields::{Clock, Fields, Value, be_bytes, ntp_ms};
use super::limits;
use crate::flow::{Addr, FlowKind, FlowRecord};
use foldhash::HashMap;
use netflow_parser::FieldDataType;
use std::net::SocketAddr;
use std::time::Instant;

/// How the bytes of a field are read (what netflow_parser would have made of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A big-endian unsigned number (also durations in ms, protocol, TCP flags, status).
    Num,
    /// A duration in seconds: a number, or × 1000 as an absolute time.
    Secs,
    /// TCP control bits: the nine defined flags (netflow_parser drops the other bits).
    TcpFlags,
    Ip4,
    Ip6,
    Mac,
    /// An NTP timestamp (seconds, fraction).
    Ntp,
}

/// How to read a field nf-svc uses, given netflow_parser's data type for it and its length;
/// `None` when the fast path does not read such a field (its template stays on the slow path).
fn kind(t: FieldDataType, len: u16) -> Option<Kind> {
    use FieldDataType as T;
    Some(match (t, len) {
        // Octet arrays (MPLS label stack entries) and fields netflow_parser has no type for
        // (kept as bytes) read as numbers, as the slow path reads them.
        (T::UnsignedDataNumber | T::Vec | T::Unknown, 1..=8) => Kind::Num,
        (T::ProtocolType | T::ForwardingStatus, 1) => Kind::Num,
        (T::TcpControlBits, 1 | 2) => Kind::TcpFlags,
        (T::DurationMillis, 2 | 4 | 8) => Kind::Num,
        (T::DurationSeconds, 2 | 4 | 8) => Kind::Secs,
        (T::Ip4Addr, 4) => Kind::Ip4,
        (T::Ip6Addr, 16) => Kind::Ip6,
        (T::MacAddr, 6) => Kind::Mac,
        (T::DurationMicrosNTP | T::DurationNanosNTP, 8) => Kind::Ntp,
        _ => return None,
    })
}

/// Element numbers [`Fields::set`] reads; every other field is skipped.
fn read(element: u16) -> bool {
    matches!(element,
        1 | 2 | 4..=17 | 21 | 22 | 27..=32 | 34 | 48 | 50 | 52 | 54 | 56..=60 | 62 | 70..=81
        | 85 | 86 | 88 | 89 | 139 | 150..=160 | 176..=179 | 192 | 234 | 235 | 239 | 243 | 256
        | 302 | 305 | 306 | 309 | 310 | 323)
}

/// One field of a compiled template that nf-svc reads.
#[derive(Debug, Clone, Copy)]
struct Step {
    offset: u16,
    len: u16,
    element: u16,
    kind: Kind,
}

/// A compiled data template.
#[derive(Debug, Clone)]
struct Template {
    /// Bytes of one record.
    size: usize,
    steps: Box<[Step]>,
}

/// A field's raw bytes as [`Fields::set`] reads them.
struct Raw<'a> {
    kind: Kind,
    bytes: &'a [u8],
}

impl Value for Raw<'_> {
    #[inline]
    fn number(&self) -> Option<u64> {
        match self.kind {
            Kind::Num | Kind::Secs => be_bytes(self.bytes),
            Kind::TcpFlags => be_bytes(self.bytes).map(|n| n & 0x1ff),
            _ => None,
        }
    }

    #[inline]
    fn addr(&self) -> Addr {
        match (self.kind, self.bytes) {
            (Kind::Ip4, &[a, b, c, d]) => Addr::V4([a, b, c, d]),
            (Kind::Ip6, b) => <[u8; 16]>::try_from(b).map_or(Addr::NONE, Addr::V6),
            _ => Addr::NONE,
        }
    }

    #[inline]
    fn mac(&self) -> u64 {
        match self.kind {
            Kind::Mac => be_bytes(self.bytes).unwrap_or(0),
            _ => self.number().unwrap_or(0) & 0xffff_ffff_ffff,
        }
    }

    #[inline]
    fn abs_ms(&self) -> Option<u64> {
        match (self.kind, self.bytes) {
            (Kind::Ntp, &[a, b, c, d, e, f, g, h]) => ntp_ms(
                u32::from_be_bytes([a, b, c, d]),
                u32::from_be_bytes([e, f, g, h]),
            ),
            (Kind::Secs, _) => self.number()?.checked_mul(1000),
            _ => self.number(),
        }
    }
}

/// Compile a template from (element or `None` for a field nf-svc cannot name, netflow_parser's
/// data type, length); `None` when it must stay on the slow path.
fn compile(fields: impl Iterator<Item = (Option<u16>, FieldDataType, u16)>) -> Option<Template> {
    let mut size = 0usize;
    let mut steps = Vec::new();
    for (element, t, len) in fields {
        // Variable-length and zero-length fields: netflow_parser's own business.
        if len == 0 || len == 65535 {
            return None;
        }
        if let Some(e) = element.filter(|e| read(*e)) {
            steps.push(Step {
                offset: u16::try_from(size).ok()?,
                len,
                element: e,
                kind: kind(t, len)?,
            });
        }
        size += len as usize;
    }
    (size > 0 && size <= u16::MAX as usize).then(|| Template {
        size,
        steps: steps.into_boxed_slice(),
    })
}

/// Whose templates: exporter address and port, v9 source id or IPFIX observation domain,
/// and the family.
pub(super) type Key = (SocketAddr, u32, FlowKind);

/// One exporter's compiled templates.
#[derive(Default)]
struct Scope {
    templates: HashMap<u16, Template>,
    /// When a datagram of it last came (either path).
    last_seen: Option<Instant>,
}

/// The compiled templates of every exporter, mirroring netflow_parser's caches.
#[derive(Default)]
pub(super) struct Compiled {
    scopes: HashMap<Key, Scope>,
    /// Datagrams decoded here so far.
    pub taken: u64,
}

/// A v9 packet's or IPFIX message's family, header length and scope id (v9 source id, IPFIX
/// observation domain); `None` for anything else or a cut header.
fn header(data: &[u8]) -> Option<(FlowKind, usize, u32)> {
    let (kind, len, scope_at) = match data.get(..2)? {
        [0, 9] => (FlowKind::NetflowV9, 20, 16),
        [0, 10] => (FlowKind::Ipfix, 16, 12),
        _ => return None,
    };
    let h = data.get(..len)?;
    let id = u32::from_be_bytes([
        h[scope_at],
        h[scope_at + 1],
        h[scope_at + 2],
        h[scope_at + 3],
    ]);
    Some((kind, len, id))
}

/// A set's id and its body, found by walking a datagram.
fn sets(mut body: &[u8]) -> impl Iterator<Item = Option<(u16, &[u8])>> {
    std::iter::from_fn(move || {
        if body.is_empty() {
            return None;
        }
        let Some(h) = body.get(..4) else {
            body = &[];
            return Some(None);
        };
        let id = u16::from_be_bytes([h[0], h[1]]);
        let len = u16::from_be_bytes([h[2], h[3]]) as usize;
        if len < 4 || len > body.len() {
            body = &[];
            return Some(None);
        }
        let set = &body[4..len];
        body = &body[len..];
        Some(Some((id, set)))
    })
}

impl Compiled {
    /// Decode `data` from `from` (canonical) if it takes the fast path, appending its records to
    /// `out` and filling `outcome` as the slow path would; `false` (and nothing changed) when
    /// it must go to netflow_parser.
    pub fn decode(
        &mut self,
        ex: &mut Exporters,
        from: SocketAddr,
        data: &[u8],
        base: FlowRecord,
        out: &mut Vec<FlowRecord>,
        outcome: &mut Outcome,
    ) -> bool {
        let Some((kind, header, domain)) = header(data) else {
            return false;
        };
        let word =
            |at: usize| u32::from_be_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]);
        let (seq, clock_a, clock_b) = match kind {
            FlowKind::NetflowV9 => (word(12), word(8), word(4)),
            _ => {
                if u16::from_be_bytes([data[2], data[3]]) as usize != data.len() {
                    return false;
                }
                (word(8), word(4), 0)
            }
        };
        let body = &data[header..];
        if body.is_empty() {
            return false;
        }
        let Some(scope_entry) = self.scopes.get_mut(&(from, domain, kind)) else {
            return false;
        };
        let templates = &scope_entry.templates;
        // Everything checked before anything is decoded: all or nothing.
        for set in sets(body) {
            match set {
                Some((id, _)) if templates.contains_key(&id) => {}
                _ => return false,
            }
        }
        let scope = (from.ip(), domain);
        let clock = match kind {
            FlowKind::NetflowV9 => Clock::Uptime {
                unix_ms: clock_a as u64 * 1000,
                uptime_ms: clock_b,
            },
            _ => Clock::Export {
                unix_secs: clock_a,
                init_ms: ex.boot_ms.get(&scope).copied(),
            },
        };
        let base = FlowRecord {
            kind,
            sequence: seq,
            ..base
        };
        outcome.kind.get_or_insert(kind);
        let mut records = 0usize;
        for (id, set) in sets(body).flatten() {
            let t = &templates[&id];
            let n = (set.len() / t.size).min(limits::MAX_RECORDS_PER_SET);
            out.reserve(n);
            for rec in set.chunks_exact(t.size).take(n) {
                let mut f = Fields::default();
                for s in t.steps.iter() {
                    let at = s.offset as usize;
                    let raw = Raw {
                        kind: s.kind,
                        bytes: &rec[at..at + s.len as usize],
                    };
                    f.set(s.element, &raw);
                }
                ex.push(out, &base, &mut f, clock, scope);
            }
            records += n;
        }
        scope_entry.last_seen = Some(Instant::now());
        let next = match kind {
            FlowKind::NetflowV9 => seq.wrapping_add(1),
            _ => seq.wrapping_add(records as u32),
        };
        outcome.sequence_lost += ex.sequences.lost(from, domain, kind, seq, Some(next));
        self.taken += 1;
        true
    }
}
