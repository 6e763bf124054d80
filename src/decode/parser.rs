//! The adapter for netflow_parser, the decoder of record: it alone knows how the parser is
//! built, called and asked about its template caches. The wire-family files turn its packets
//! into records; a second decoder (a faster one, sFlow) can sit beside this one and be
//! compared with it record for record.
//!
//! netflow_parser's template cache is keyed by template id only, so each exporter gets its own
//! parser: `AutoScopedParser` keys them by exporter address + port + v9 source id / IPFIX
//! observation domain. Data that arrives before its template (nf-svc started after the
//! sensor) is held by the parser — bounded in count, bytes and age — and decoded when the
//! template arrives.
//!
//! Templates are bounded per exporter by the parser and across all exporters here: every
//! template set that arrives is counted from its length (a template takes at least 8 bytes),
//! and once that count could have pushed the total past [`limits::MAX_TEMPLATES_TOTAL`] the
//! caches are measured and the exporters holding the most templates are forgotten.

use super::compiled::Key;
use super::{TemplateStats, canonical_ip, limits};
use crate::flow::FlowKind;
use netflow_parser::scoped_parser::{IpfixSourceKey, V9SourceKey};
use netflow_parser::{AutoScopedParser, NetflowParser, ParseResult, PendingFlowsConfig};
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

pub(super) struct Parser {
    inner: AutoScopedParser,
    /// Templates that may have arrived since the caches were last measured (an upper bound).
    unmeasured: usize,
    /// Templates in the caches when they were last measured.
    measured: usize,
    /// Exporters forgotten for holding too many templates, not yet reported.
    evicted: Vec<(IpAddr, usize)>,
    /// Exporters forgotten here for holding too many templates, ever.
    removed: u64,
}

/// Template records a datagram could carry: an upper bound from its template sets' lengths.
fn templates_in(data: &[u8]) -> usize {
    let (header, template_ids): (usize, &[u16]) = match data.get(..2) {
        Some([0, 9]) => (20, &[0, 1]),
        Some([0, 10]) => (16, &[2, 3]),
        _ => return 0,
    };
    let mut at = header;
    let mut n = 0;
    while let Some(h) = data.get(at..at + 4) {
        let id = u16::from_be_bytes([h[0], h[1]]);
        let len = u16::from_be_bytes([h[2], h[3]]) as usize;
        if len < 4 {
            break;
        }
        if template_ids.contains(&id) {
            n += (len - 4) / 8;
        }
        at += len;
    }
    n
}

impl Parser {
    pub fn new() -> Self {
        let mut pending =
            PendingFlowsConfig::with_ttl(limits::PENDING_TEMPLATE_IDS, limits::PENDING_AGE);
        pending.max_entries_per_template = limits::PENDING_SETS_PER_TEMPLATE;
        pending.max_total_bytes = limits::PENDING_BYTES;
        pending.max_entry_size_bytes = limits::PENDING_BYTES;
        let builder = NetflowParser::builder()
            .with_cache_size(limits::MAX_TEMPLATES)
            .with_max_field_count(limits::MAX_FIELDS)
            .with_max_records_per_flowset(limits::MAX_RECORDS_PER_SET)
            .with_pending_flows(pending);
        let inner = AutoScopedParser::try_with_builder(builder)
            .and_then(|p| p.with_max_sources(limits::MAX_EXPORTERS))
            .unwrap_or_else(|e| unreachable!("the built-in parser limits are valid: {e}"));
        Parser {
            inner,
            unmeasured: 0,
            measured: 0,
            evicted: Vec::new(),
            removed: 0,
        }
    }

    /// Parse one datagram from `from`: the packets decoded, and the error that stopped it.
    pub fn parse(&mut self, from: SocketAddr, data: &[u8]) -> ParseResult {
        let result = self.inner.parse_from_source(from, data);
        self.unmeasured += templates_in(data);
        if self.measured + self.unmeasured > limits::MAX_TEMPLATES_TOTAL {
            self.bound_templates();
        }
        result
    }

    /// Measure the template caches and forget the exporters holding the most templates until
    /// all of them together hold at most [`limits::MAX_TEMPLATES_TOTAL`].
    fn bound_templates(&mut self) {
        enum Key {
            V9(V9SourceKey),
            Ipfix(IpfixSourceKey),
        }
        let mut all: Vec<(Key, usize)> = Vec::new();
        for (k, info) in self.inner.v9_info() {
            all.push((Key::V9(*k), info.v9.current_size + info.ipfix.current_size));
        }
        for (k, info) in self.inner.ipfix_info() {
            all.push((
                Key::Ipfix(*k),
                info.v9.current_size + info.ipfix.current_size,
            ));
        }
        let mut total: usize = all.iter().map(|(_, n)| n).sum();
        all.sort_unstable_by_key(|(_, n)| std::cmp::Reverse(*n));
        for (key, n) in all {
            if total <= limits::MAX_TEMPLATES_TOTAL {
                break;
            }
            let ip = match key {
                Key::V9(k) => {
                    self.inner.remove_v9_source(&k);
                    k.addr.ip()
                }
                Key::Ipfix(k) => {
                    self.inner.remove_ipfix_source(&k);
                    k.addr.ip()
                }
            };
            total -= n;
            self.removed += 1;
            if self.evicted.len() < limits::MAX_EXPORTERS {
                self.evicted.push((canonical_ip(ip), n));
            }
        }
        self.measured = total;
        self.unmeasured = 0;
    }

    /// Exporters dropped under pressure so far (too many templates, too many exporters): when
    /// this changes, the fast path's templates are checked against the caches.
    pub fn removals(&self) -> u64 {
        let m = self.inner.source_removal_metrics();
        self.removed + m.capacity_pressure + m.capacity_reduced
    }

    /// The v9 and IPFIX exporters that have a cache now.
    pub fn has_source(&self) -> impl Fn(&Key) -> bool + use<> {
        let v9 = self
            .inner
            .v9_info()
            .into_iter()
            .map(|(k, _)| (k.addr, k.source_id, FlowKind::NetflowV9));
        let ipfix = self
            .inner
            .ipfix_info()
            .into_iter()
            .map(|(k, _)| (k.addr, k.observation_domain_id, FlowKind::Ipfix));
        let have: HashSet<Key> = v9.chain(ipfix).collect();
        move |k| have.contains(k)
    }

    /// Exporters forgotten since the last call for holding too many templates, with the
    /// number of templates each held.
    pub fn take_evicted(&mut self) -> Vec<(IpAddr, usize)> {
        std::mem::take(&mut self.evicted)
    }

    /// Template-cache figures per exporter address, summed over its scopes.
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
        for (k, info) in self.inner.v9_info() {
            add(k.addr.ip(), info);
        }
        for (k, info) in self.inner.ipfix_info() {
            add(k.addr.ip(), info);
        }
        for (k, info) in self.inner.legacy_info() {
            add(k.ip(), info);
        }
        out
    }

    /// Forget exporters not heard from for `idle` (their templates and held data).
    pub fn prune(&mut self, idle: Duration) -> usize {
        let n = self.inner.prune_idle_sources(idle);
        self.bound_templates();
        n
    }
}
