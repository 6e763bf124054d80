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
//! caches are measured and the exporters holding the most templates are forgotten — those
//! that never gave records first. Which exporters are kept at all is [`super::sources`]'s rule.

use super::compiled::Key;
use super::sources::{Source, Sources};
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
    /// Exporters forgotten here (too many templates, too many exporters, idle), ever.
    removed: u64,
    /// Every exporter kept, with when it was last heard from and last gave records.
    sources: Sources,
    /// Exporters forgotten to make room for new ones, not yet reported.
    crowded_out: Vec<IpAddr>,
}

/// Template records a datagram could carry: an upper bound from its template sets' lengths.
fn templates_in(data: &[u8]) -> usize {
    super::template_sets::sets_of(data)
        .map(|(len, _)| (len - 4) / 8)
        .sum()
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
            sources: Sources::default(),
            crowded_out: Vec::new(),
        }
    }

    /// Forget `s` in the parser (its templates and held data).
    fn remove(&mut self, s: Source) {
        match s {
            Source::V9(addr, source_id) => {
                self.inner
                    .remove_v9_source(&V9SourceKey { addr, source_id });
            }
            Source::Ipfix(addr, observation_domain_id) => {
                self.inner.remove_ipfix_source(&IpfixSourceKey {
                    addr,
                    observation_domain_id,
                });
            }
            Source::Legacy(addr) => {
                self.inner.remove_legacy_source(&addr);
            }
        }
        self.removed += 1;
    }

    /// Note a datagram from `from` (`gave`: it gave records), by whichever path decoded it;
    /// a new exporter at the bound makes room by [`Sources`]' rule.
    pub fn heard(&mut self, from: SocketAddr, data: &[u8], now_ms: u64, gave: bool) {
        let Some(s) = Source::of(from, data) else {
            return;
        };
        if let Some(victim) = self.sources.note(s, now_ms, limits::MAX_EXPORTERS) {
            self.remove(victim);
            if self.crowded_out.len() < limits::MAX_EXPORTERS {
                self.crowded_out.push(canonical_ip(victim.addr().ip()));
            }
        }
        if gave {
            self.sources.gave_data(s, now_ms);
        }
    }

    /// Exporters forgotten to make room for new ones since the last call.
    pub fn take_crowded_out(&mut self) -> Vec<IpAddr> {
        std::mem::take(&mut self.crowded_out)
    }

    /// Parse one datagram from `from`: the packets decoded, and the error that stopped it.
    pub fn parse(&mut self, from: SocketAddr, data: &[u8], now_ms: u64) -> ParseResult {
        self.heard(from, data, now_ms, false);
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
        let mut all: Vec<(Key, usize, bool)> = Vec::new();
        for (k, info) in self.inner.v9_info() {
            let data = self.sources.has_data(&Source::V9(k.addr, k.source_id));
            let n = info.v9.current_size + info.ipfix.current_size;
            all.push((Key::V9(*k), n, data));
        }
        for (k, info) in self.inner.ipfix_info() {
            let data = self
                .sources
                .has_data(&Source::Ipfix(k.addr, k.observation_domain_id));
            let n = info.v9.current_size + info.ipfix.current_size;
            all.push((Key::Ipfix(*k), n, data));
        }
        let mut total: usize = all.iter().map(|(_, n, _)| n).sum();
        // Exporters that never gave records go first, the largest first.
        all.sort_unstable_by_key(|(_, n, data)| (*data, std::cmp::Reverse(*n)));
        for (key, n, _) in all {
            if total <= limits::MAX_TEMPLATES_TOTAL {
                break;
            }
            let source = match key {
                Key::V9(k) => Source::V9(k.addr, k.source_id),
                Key::Ipfix(k) => Source::Ipfix(k.addr, k.observation_domain_id),
            };
            self.remove(source);
            self.sources.forget(&source);
            let ip = source.addr().ip();
            total -= n;
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
    /// By their real traffic (the fast path's included): the parser's own idea of idle
    /// counts only what it parsed itself.
    pub fn prune(&mut self, idle: Duration) -> usize {
        let now = crate::flow::unix_ms(std::time::SystemTime::now());
        let idle = self
            .sources
            .take_idle(now.saturating_sub(idle.as_millis() as u64));
        for s in &idle {
            self.remove(*s);
        }
        self.bound_templates();
        idle.len()
    }
}
