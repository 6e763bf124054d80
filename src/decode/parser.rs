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

use super::{TemplateStats, canonical_ip, limits};
use netflow_parser::{AutoScopedParser, NetflowParser, ParseResult, PendingFlowsConfig};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

pub(super) struct Parser {
    inner: AutoScopedParser,
}

impl Parser {
    pub fn new() -> Self {
        let mut pending =
            PendingFlowsConfig::with_ttl(limits::PENDING_TEMPLATE_IDS, limits::PENDING_AGE);
        pending.max_entries_per_template = limits::PENDING_SETS_PER_TEMPLATE;
        pending.max_total_bytes = limits::PENDING_BYTES;
        let builder = NetflowParser::builder()
            .with_cache_size(limits::MAX_TEMPLATES)
            .with_max_field_count(limits::MAX_FIELDS)
            .with_pending_flows(pending);
        let inner = AutoScopedParser::try_with_builder(builder)
            .and_then(|p| p.with_max_sources(limits::MAX_EXPORTERS))
            .unwrap_or_else(|e| unreachable!("the built-in parser limits are valid: {e}"));
        Parser { inner }
    }

    /// Parse one datagram from `from`: the packets decoded, and the error that stopped it.
    pub fn parse(&mut self, from: SocketAddr, data: &[u8]) -> ParseResult {
        self.inner.parse_from_source(from, data)
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
        self.inner.prune_idle_sources(idle)
    }
}
