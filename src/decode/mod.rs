//! Decode: one UDP datagram in, normalized flow records out.
//!
//! netflow_parser does the wire format. Its template cache is keyed by template id only, so
//! each exporter gets its own parser: `AutoScopedParser` keys them by exporter address + port +
//! v9 source id / IPFIX observation domain. Data that arrives before its template (nf-svc
//! started after the sensor) is held by the parser — bounded in count, bytes and age — and
//! decoded when the template arrives.
//!
//! What this layer adds: the mapping to [`FlowRecord`] (see [`fields`]), sampling
//! ([`sampling`]), sequence-gap counting, and error *kinds*. netflow_parser's error strings
//! embed the whole datagram, so they are never passed on: callers get a [`DecodeError`] that
//! says what went wrong in a few words.

pub mod fields;
pub mod sampling;

use crate::flow::{Addr, FlowKind, FlowRecord};
use fields::{Clock, Fields, SamplingFields, ipfix_element};
use netflow_parser::variable_versions::ipfix::FlowSetBody as IpfixBody;
use netflow_parser::variable_versions::v9::FlowSetBody as V9Body;
use netflow_parser::{
    AutoScopedParser, NetflowError, NetflowPacket, NetflowParser, PendingFlowsConfig, V9FieldPair,
};
use sampling::{SamplingTable, Scope};
use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// Bounds on what one exporter can make nf-svc remember.
pub mod limits {
    use std::time::Duration;
    /// Exporters (address + port + source id) with their own template cache.
    pub const MAX_EXPORTERS: usize = 256;
    /// Templates per exporter and kind.
    pub const MAX_TEMPLATES: usize = 512;
    /// Fields per template.
    pub const MAX_FIELDS: usize = 256;
    /// Data sets held while waiting for their template: template ids, sets per id, bytes.
    pub const PENDING_TEMPLATE_IDS: usize = 64;
    pub const PENDING_SETS_PER_TEMPLATE: usize = 256;
    pub const PENDING_BYTES: usize = 4 * 1024 * 1024;
    /// How long held data waits for its template.
    pub const PENDING_AGE: Duration = Duration::from_secs(15 * 60);
}

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
            DecodeError::UnknownVersion(v) => write!(f, "not NetFlow/IPFIX (version field {v})"),
            DecodeError::Malformed => f.write_str("malformed datagram"),
            DecodeError::TooLarge => f.write_str("datagram exceeds decode limits"),
        }
    }
}

impl From<&NetflowError> for DecodeError {
    fn from(e: &NetflowError) -> Self {
        match e {
            NetflowError::Incomplete { .. } => DecodeError::Truncated,
            NetflowError::UnsupportedVersion { version, .. }
            | NetflowError::FilteredVersion { version } => DecodeError::UnknownVersion(*version),
            NetflowError::DecodedOutputLimitExceeded { .. } => DecodeError::TooLarge,
            _ => DecodeError::Malformed,
        }
    }
}

/// What one datagram contained.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The protocol of the (first) packet in it.
    pub kind: Option<FlowKind>,
    /// Flow records appended to the output.
    pub records: usize,
    /// Data sets that could not be decoded for want of a template and were not held.
    pub unheld_sets: usize,
    /// Records (v5, IPFIX) or packets (v9) the sequence numbers say never arrived.
    pub sequence_lost: u64,
    pub error: Option<DecodeError>,
}

/// Template-cache figures for one exporter address, summed over its scopes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TemplateStats {
    pub templates: usize,
    /// Data sets held now, waiting for their template.
    pub held_sets: usize,
    /// Data sets decoded late, once their template came.
    pub replayed_sets: u64,
    /// Data sets given up on (limits, age, or replay failure).
    pub lost_sets: u64,
}

/// Sequence tracking per exporter scope and protocol.
#[derive(Debug, Clone, Copy)]
struct SeqState {
    expected: Option<u32>,
}

/// Turn a v5 or v7 packet (same field names, different types) into records.
macro_rules! legacy {
    ($self:ident, $outcome:ident, $out:ident, $base:ident, $from:ident, $p:ident, $kind:expr, $rate:expr) => {{
        $outcome.kind.get_or_insert($kind);
        let h = &$p.header;
        let unix_ms = h.unix_secs as u64 * 1000 + (h.unix_nsecs / 1_000_000) as u64;
        let time = |t: u32| fields::uptime_to_unix(unix_ms, h.sys_up_time, t);
        for f in &$p.flowsets {
            let mut r = FlowRecord {
                kind: $kind,
                sequence: h.flow_sequence,
                src_addr: f.src_addr.into(),
                dst_addr: f.dst_addr.into(),
                next_hop: f.next_hop.into(),
                in_if: f.input as u32,
                out_if: f.output as u32,
                packets: f.d_pkts as u64,
                bytes: f.d_octets as u64,
                time_flow_start_ms: time(f.first),
                time_flow_end_ms: time(f.last),
                src_port: f.src_port,
                dst_port: f.dst_port,
                tcp_flags: f.tcp_flags as u16,
                proto: f.protocol_number,
                ip_tos: f.tos,
                src_as: f.src_as as u32,
                dst_as: f.dst_as as u32,
                src_net: f.src_mask,
                dst_net: f.dst_mask,
                ..$base
            };
            r.infer_etype();
            r.apply_sampling($rate);
            $out.push(r);
        }
        // v5/v7 sequence numbers count flows.
        let next = h.flow_sequence.wrapping_add($p.flowsets.len() as u32);
        $outcome.sequence_lost += $self.sequence($from, 0, $kind, h.flow_sequence, Some(next));
    }};
}

/// The decoder: per-exporter parsers plus the state that outlives one datagram.
pub struct Decoder {
    parser: AutoScopedParser,
    sampling: SamplingTable,
    /// IPFIX exporters' boot time (systemInitTimeMilliseconds), for uptime-relative times.
    boot_ms: HashMap<Scope, u64>,
    sequences: HashMap<(SocketAddr, u32, FlowKind), SeqState>,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    pub fn new() -> Self {
        let mut pending =
            PendingFlowsConfig::with_ttl(limits::PENDING_TEMPLATE_IDS, limits::PENDING_AGE);
        pending.max_entries_per_template = limits::PENDING_SETS_PER_TEMPLATE;
        pending.max_total_bytes = limits::PENDING_BYTES;
        let builder = NetflowParser::builder()
            .with_cache_size(limits::MAX_TEMPLATES)
            .with_max_field_count(limits::MAX_FIELDS)
            .with_pending_flows(pending);
        let parser = AutoScopedParser::try_with_builder(builder)
            .and_then(|p| p.with_max_sources(limits::MAX_EXPORTERS))
            .unwrap_or_else(|e| unreachable!("the built-in parser limits are valid: {e}"));
        Decoder {
            parser,
            sampling: SamplingTable::default(),
            boot_ms: HashMap::new(),
            sequences: HashMap::new(),
        }
    }

    /// Decode one datagram from `from`, received at `received_ms` (Unix ms), appending records
    /// to `out`. Records decoded before an error are kept.
    pub fn decode(
        &mut self,
        from: SocketAddr,
        data: &[u8],
        received_ms: u64,
        out: &mut Vec<FlowRecord>,
    ) -> Outcome {
        let exporter_ip = canonical_ip(from.ip());
        let from = SocketAddr::new(exporter_ip, from.port());
        let start_len = out.len();
        // The scoped parser reports an unknown version as "too short"; name it properly.
        match data {
            [a, b, ..] => {
                let version = u16::from_be_bytes([*a, *b]);
                if !matches!(version, 5 | 7 | 9 | 10) {
                    return Outcome {
                        error: Some(DecodeError::UnknownVersion(version)),
                        ..Outcome::default()
                    };
                }
            }
            _ => {
                return Outcome {
                    error: Some(DecodeError::Truncated),
                    ..Outcome::default()
                };
            }
        }
        let result = self.parser.parse_from_source(from, data);
        let mut outcome = Outcome {
            error: result.error.as_ref().map(|e| match DecodeError::from(e) {
                DecodeError::Malformed if looks_truncated(data) => DecodeError::Truncated,
                other => other,
            }),
            ..Outcome::default()
        };
        let base = FlowRecord {
            time_received_ms: received_ms,
            sampler: Addr::from(exporter_ip),
            ..FlowRecord::default()
        };
        for packet in &result.packets {
            match packet {
                // v5 and v7 share their record layout (v7 adds a router field, no sampling).
                NetflowPacket::V5(p) => {
                    let rate = sampling::v5_rate(p.header.sampling_interval);
                    legacy!(self, outcome, out, base, from, p, FlowKind::NetflowV5, rate);
                }
                NetflowPacket::V7(p) => {
                    legacy!(self, outcome, out, base, from, p, FlowKind::NetflowV7, 1);
                }
                NetflowPacket::V9(p) => {
                    outcome.kind.get_or_insert(FlowKind::NetflowV9);
                    let h = &p.header;
                    let scope = (exporter_ip, h.source_id);
                    let clock = Clock::Uptime {
                        unix_ms: h.unix_secs as u64 * 1000,
                        uptime_ms: h.sys_up_time,
                    };
                    let base = FlowRecord {
                        kind: FlowKind::NetflowV9,
                        sequence: h.sequence_number,
                        ..base
                    };
                    // Options first: a sampling rate sent in the same packet applies to it.
                    for fs in &p.flowsets {
                        if let V9Body::OptionsData(o) = &fs.body {
                            for rec in &o.fields {
                                self.learn_options(scope, v9_fields(&rec.options_fields));
                            }
                        }
                    }
                    for fs in &p.flowsets {
                        match &fs.body {
                            V9Body::Data(d) => {
                                for rec in &d.fields {
                                    let f = v9_fields(rec);
                                    self.push(out, base, f, clock, scope);
                                }
                            }
                            V9Body::NoTemplate(_) => outcome.unheld_sets += 1,
                            _ => {}
                        }
                    }
                    let next = h.sequence_number.wrapping_add(1);
                    outcome.sequence_lost += self.sequence(
                        from,
                        h.source_id,
                        FlowKind::NetflowV9,
                        h.sequence_number,
                        Some(next),
                    );
                }
                NetflowPacket::IPFix(p) => {
                    outcome.kind.get_or_insert(FlowKind::Ipfix);
                    let h = &p.header;
                    let scope = (exporter_ip, h.observation_domain_id);
                    let base = FlowRecord {
                        kind: FlowKind::Ipfix,
                        sequence: h.sequence_number,
                        ..base
                    };
                    for fs in &p.flowsets {
                        match &fs.body {
                            IpfixBody::OptionsData(o) => {
                                for rec in &o.fields {
                                    let mut f = Fields::default();
                                    for (field, v) in rec {
                                        if let Some(e) = ipfix_element(field) {
                                            f.set(e, v);
                                        }
                                    }
                                    self.learn_options(scope, f);
                                }
                            }
                            IpfixBody::V9OptionsData(o) => {
                                for rec in &o.fields {
                                    self.learn_options(scope, v9_fields(&rec.options_fields));
                                }
                            }
                            _ => {}
                        }
                    }
                    let clock = Clock::Export {
                        unix_secs: h.export_time,
                        init_ms: self.boot_ms.get(&scope).copied(),
                    };
                    let mut data_records = 0usize;
                    let mut complete = true;
                    for fs in &p.flowsets {
                        match &fs.body {
                            IpfixBody::Data(d) => {
                                for rec in &d.fields {
                                    let mut f = Fields::default();
                                    for (field, v) in rec {
                                        if let Some(e) = ipfix_element(field) {
                                            f.set(e, v);
                                        }
                                    }
                                    self.push(out, base, f, clock, scope);
                                }
                                data_records += d.fields.len();
                            }
                            IpfixBody::V9Data(d) => {
                                for rec in &d.fields {
                                    self.push(out, base, v9_fields(rec), clock, scope);
                                }
                                data_records += d.fields.len();
                            }
                            IpfixBody::OptionsData(o) => data_records += o.fields.len(),
                            IpfixBody::V9OptionsData(o) => data_records += o.fields.len(),
                            IpfixBody::NoTemplate(_) => {
                                outcome.unheld_sets += 1;
                                complete = false;
                            }
                            _ => {}
                        }
                    }
                    // IPFIX counts data records; with undecodable sets the next number is unknown.
                    let next =
                        complete.then(|| h.sequence_number.wrapping_add(data_records as u32));
                    outcome.sequence_lost += self.sequence(
                        from,
                        h.observation_domain_id,
                        FlowKind::Ipfix,
                        h.sequence_number,
                        next,
                    );
                }
                _ => {}
            }
        }
        outcome.records = out.len() - start_len;
        outcome
    }

    fn learn_options(&mut self, scope: Scope, f: Fields) {
        if let Some(init) = f.system_init_ms
            && (self.boot_ms.len() < limits::MAX_EXPORTERS * 4 || self.boot_ms.contains_key(&scope))
        {
            self.boot_ms.insert(scope, init);
        }
        self.sampling.learn(scope, &f.sampling);
    }

    fn push(
        &self,
        out: &mut Vec<FlowRecord>,
        base: FlowRecord,
        mut f: Fields,
        clock: Clock,
        scope: Scope,
    ) {
        let sampling: SamplingFields = f.sampling;
        // The record's own fields stay; what identifies the packet comes from its header.
        f.rec.kind = base.kind;
        f.rec.sequence = base.sequence;
        f.rec.time_received_ms = base.time_received_ms;
        f.rec.sampler = base.sampler;
        let mut r = f.finish(clock);
        r.apply_sampling(self.sampling.rate_for(scope, &sampling));
        out.push(r);
    }

    /// Count records/packets the exporter's sequence numbers say were lost. `next` is the
    /// number the following datagram should carry (`None`: unknown this time).
    fn sequence(
        &mut self,
        from: SocketAddr,
        domain: u32,
        kind: FlowKind,
        seq: u32,
        next: Option<u32>,
    ) -> u64 {
        let key = (from, domain, kind);
        let lost = match self.sequences.get(&key).and_then(|s| s.expected) {
            Some(expected) => {
                let gap = seq.wrapping_sub(expected);
                // A small forward jump is loss; a backward jump is a restart or reordering.
                if gap != 0 && gap < (1 << 30) {
                    gap as u64
                } else {
                    0
                }
            }
            None => 0,
        };
        if self.sequences.len() < limits::MAX_EXPORTERS * 4 || self.sequences.contains_key(&key) {
            self.sequences.insert(key, SeqState { expected: next });
        }
        lost
    }

    /// Template-cache figures per exporter address.
    pub fn template_stats(&self) -> HashMap<IpAddr, TemplateStats> {
        let mut out: HashMap<IpAddr, TemplateStats> = HashMap::new();
        let mut add = |ip: IpAddr, info: netflow_parser::ParserCacheInfo| {
            let s = out.entry(canonical_ip(ip)).or_default();
            for c in [&info.v9, &info.ipfix] {
                s.templates += c.current_size;
                s.held_sets += c.pending_flow_count;
                s.replayed_sets += c.metrics.pending_replayed;
                s.lost_sets += c.metrics.pending_dropped + c.metrics.pending_replay_failed;
            }
        };
        for (k, info) in self.parser.v9_info() {
            add(k.addr.ip(), info);
        }
        for (k, info) in self.parser.ipfix_info() {
            add(k.addr.ip(), info);
        }
        for (k, info) in self.parser.legacy_info() {
            add(k.ip(), info);
        }
        out
    }

    /// Forget exporters not heard from for `idle` (their templates and held data).
    pub fn prune(&mut self, idle: Duration) -> usize {
        self.parser.prune_idle_sources(idle)
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

/// Read a v9-style record into [`Fields`].
fn v9_fields(rec: &[V9FieldPair]) -> Fields {
    let mut f = Fields::default();
    for (field, v) in rec {
        f.set(u16::from(*field), v);
    }
    f
}

/// IPv4 senders seen on a dual-stack socket arrive as `::ffff:a.b.c.d`; show them as IPv4.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
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
}
