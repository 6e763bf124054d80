//! Decode: one UDP datagram in, normalized flow records out.
//!
//! One file per concern, the way the pipeline reads:
//!
//! * [`parser`] — the adapter for netflow_parser, the decoder of record (templates scoped per
//!   exporter, held data, its limits);
//! * [`compiled`] — the fast path: v9 and IPFIX data sets read with templates compiled from
//!   what netflow_parser accepted, the same records without its per-field values;
//! * [`legacy`] (NetFlow v5/v7), [`v9`], [`ipfix`] — each wire family's packets into
//!   [`FlowRecord`]s, through [`fields`] (template fields → record) and [`sampling`];
//! * [`sflow`] — sFlow v5, read in place: a record per flow sample, port counters kept;
//! * [`sequence`] — loss told by sequence numbers; [`error`] — what went wrong, in a few words;
//!   [`sanity`] — limits on decoded values.
//!
//! netflow_parser's error strings embed the whole datagram, so they are never passed on:
//! callers get a [`DecodeError`].

mod compiled;
mod error;
mod exporters;
pub mod fields;
mod ipfix;
mod legacy;
mod parser;
pub mod sampling;
pub mod sanity;
mod sequence;
pub mod sflow;
mod sources;
pub mod template_sets;
mod v9;

pub use error::{DecodeError, ErrorKind};

use crate::flow::{Addr, FlowKind, FlowRecord};
use compiled::Compiled;
use exporters::Exporters;
use netflow_parser::NetflowPacket;
use parser::Parser;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// Bounds on what exporters can make nf-svc remember. Each holds under a flood of made-up
/// exporters and templates; the byte figures are the worst case, all exporters together.
pub mod limits {
    use std::time::Duration;
    /// Exporters (address + port + source id) with their own template cache, per protocol
    /// family (v5/v7, v9, IPFIX); the longest silent is forgotten first.
    pub const MAX_EXPORTERS: usize = 256;
    /// Templates per exporter and kind.
    pub const MAX_TEMPLATES: usize = 512;
    /// Templates of all exporters together. Past it, the exporter holding the most templates
    /// is forgotten (it sends them again; its data waits meanwhile), and that is logged.
    /// With [`MAX_FIELDS`] fields of a few bytes each, at most ≈ 16 MiB.
    pub const MAX_TEMPLATES_TOTAL: usize = 4096;
    /// Fields per template.
    pub const MAX_FIELDS: usize = 256;
    /// Records decoded from one data set: every record a UDP datagram can carry (a record is
    /// at least one byte), so nothing is cut.
    pub const MAX_RECORDS_PER_SET: usize = 65_536;
    /// Data sets held while waiting for their template: template ids, sets per id, bytes per
    /// exporter. v9 and IPFIX exporters together hold at most
    /// 2 × [`MAX_EXPORTERS`] × [`PENDING_BYTES`] = [`PENDING_BYTES_TOTAL`].
    pub const PENDING_TEMPLATE_IDS: usize = 64;
    pub const PENDING_SETS_PER_TEMPLATE: usize = 256;
    pub const PENDING_BYTES: usize = PENDING_BYTES_TOTAL / (2 * MAX_EXPORTERS);
    pub const PENDING_BYTES_TOTAL: usize = 16 * 1024 * 1024;
    /// How long held data waits for its template.
    pub const PENDING_AGE: Duration = Duration::from_secs(15 * 60);
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
    /// Records with absurd counters (left out) or times (cleared): see [`sanity`].
    pub implausible: usize,
    /// Packets an sFlow agent says it could not sample (its own drop counter went up).
    pub sampler_drops: u64,
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

/// What the decoder knows of each sensor beyond its records, by address.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SensorStats {
    pub templates: HashMap<IpAddr, TemplateStats>,
    /// sFlow sensors' ports, from their counter samples.
    pub interfaces: HashMap<IpAddr, sflow::counters::InterfaceTotals>,
}

/// The decoder: netflow_parser behind its adapter, plus what nf-svc remembers per exporter.
pub struct Decoder {
    parser: Parser,
    exporters: Exporters,
    compiled: Compiled,
    sflow: sflow::Sflow,
    /// Take the fast path where it applies (off: netflow_parser decodes everything).
    fast: bool,
    /// [`Parser::removals`] when the fast path's templates were last checked against it.
    removals: u64,
    /// Template sets kept for the next start.
    template_sets: template_sets::TemplateSets,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    pub fn new() -> Self {
        Decoder {
            parser: Parser::new(),
            exporters: Exporters::default(),
            compiled: Compiled::default(),
            sflow: sflow::Sflow::default(),
            fast: true,
            removals: 0,
            template_sets: template_sets::TemplateSets::default(),
        }
    }

    /// A decoder without the fast path: netflow_parser decodes everything (the reference the
    /// fast path is tested against).
    pub fn reference() -> Self {
        Decoder {
            fast: false,
            ..Decoder::new()
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
        if let Err(e) = DecodeError::check_version(data) {
            return Outcome {
                error: Some(e),
                ..Outcome::default()
            };
        }
        let exporter = canonical_ip(from.ip());
        let from = SocketAddr::new(exporter, from.port());
        let start_len = out.len();
        let base = FlowRecord {
            time_received_ms: received_ms,
            exporter: Addr::from(exporter),
            ..FlowRecord::default()
        };
        let mut outcome = Outcome::default();
        if sflow::is_sflow(data) {
            let seqs = &mut self.exporters.sequences;
            self.sflow.decode(seqs, from, data, base, out, &mut outcome);
            outcome.implausible = sanity::check(out, start_len);
            outcome.records = out.len() - start_len;
            return outcome;
        }
        if self.fast
            && self
                .compiled
                .decode(&mut self.exporters, from, data, base, out, &mut outcome)
        {
            outcome.implausible = sanity::check(out, start_len);
            outcome.records = out.len() - start_len;
            self.parser
                .heard(from, data, received_ms, outcome.records > 0);
            return outcome;
        }
        let result = self.parser.parse(from, data, received_ms);
        outcome.error = result.error.as_ref().map(|e| DecodeError::of(e, data));
        if result.error.is_none() {
            self.template_sets.note(from, data);
        }
        if self.fast {
            let failed = result.error.is_some();
            self.compiled.learn(from, data, &result.packets, failed);
            self.check_removals();
        }
        let ex = &mut self.exporters;
        for packet in &result.packets {
            match packet {
                NetflowPacket::V5(p) => legacy::v5(ex, p, base, from, out, &mut outcome),
                NetflowPacket::V7(p) => legacy::v7(ex, p, base, from, out, &mut outcome),
                NetflowPacket::V9(p) => v9::packet(ex, p, base, exporter, from, out, &mut outcome),
                NetflowPacket::IPFix(p) => {
                    ipfix::packet(ex, p, base, exporter, from, out, &mut outcome)
                }
                // A version added to netflow_parser later: not decoded here yet.
                _ => {}
            }
        }
        outcome.implausible = sanity::check(out, start_len);
        outcome.records = out.len() - start_len;
        if outcome.records > 0 {
            self.parser.heard(from, data, received_ms, true);
        }
        outcome
    }

    /// Datagrams the fast path decoded so far ([`compiled`]).
    pub fn fast_datagrams(&self) -> u64 {
        self.compiled.taken
    }

    /// Template-cache figures per exporter address.
    pub fn template_stats(&self) -> HashMap<IpAddr, TemplateStats> {
        self.parser.template_stats()
    }

    /// Template figures and sFlow port counters, per sensor.
    pub fn sensor_stats(&self) -> SensorStats {
        SensorStats {
            templates: self.template_stats(),
            interfaces: self.sflow.ports.totals(),
        }
    }

    /// Forget exporters not heard from for `idle` (their templates and held data).
    pub fn prune(&mut self, idle: Duration) -> usize {
        let n = self.parser.prune(idle);
        self.compiled.prune(idle);
        self.sflow.prune(idle);
        self.check_removals();
        n
    }

    /// netflow_parser dropped exporters under pressure: drop their compiled templates too.
    fn check_removals(&mut self) {
        let r = self.parser.removals();
        if r != self.removals {
            self.removals = r;
            self.compiled.retain(self.parser.has_source());
        }
    }

    /// Exporters whose templates were forgotten since the last call because all exporters
    /// together held more than [`limits::MAX_TEMPLATES_TOTAL`], with how many each held.
    pub fn take_template_evictions(&mut self) -> Vec<(IpAddr, usize)> {
        self.parser.take_evicted()
    }

    /// Feed template sets kept from an earlier run to the decoder (oldest first), so data
    /// after a restart decodes before the exporters send their templates again.
    pub fn restore_templates(&mut self, sets: &[template_sets::SavedSet], now_ms: u64) {
        let secs = (now_ms / 1000) as u32;
        for s in sets {
            let from = SocketAddr::new(canonical_ip(s.from.ip()), s.from.port());
            let d = s.datagram(secs);
            let result = self.parser.parse(from, &d, now_ms);
            if self.fast {
                self.compiled
                    .learn(from, &d, &result.packets, result.error.is_some());
            }
            if result.error.is_none() {
                self.template_sets.note(from, &d);
            }
        }
        self.check_removals();
    }

    /// The template sets to keep for the next start, when they changed since the last call
    /// (those of exporters the decoder forgot are left out).
    pub fn take_template_sets(&mut self) -> Option<Vec<template_sets::SavedSet>> {
        let has = self.parser.has_source();
        self.template_sets.take_changed(|s| {
            let kind = match s.version {
                9 => FlowKind::NetflowV9,
                _ => FlowKind::Ipfix,
            };
            has(&(s.from, s.domain, kind))
        })
    }

    /// Exporters forgotten since the last call to make room for a new one (more than
    /// [`limits::MAX_EXPORTERS`] sent): those that only ever sent templates go first.
    pub fn take_crowded_out(&mut self) -> Vec<IpAddr> {
        self.parser.take_crowded_out()
    }
}

/// IPv4 senders seen on a dual-stack socket arrive as `::ffff:a.b.c.d`; show them as IPv4.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}
