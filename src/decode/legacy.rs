//! NetFlow v5 and v7: fixed 48/52-byte records after a 24-byte header. Both share their field
//! names (v7 adds a router field and has no sampling), so one macro turns either into records.
//! Times count milliseconds since the exporter booted; sequence numbers count flows.

use super::exporters::Exporters;
use super::{Outcome, fields, sampling};
use crate::flow::{FlowKind, FlowRecord};
use netflow_parser::static_versions::{v5::V5, v7::V7};
use std::net::SocketAddr;

macro_rules! records {
    ($ex:ident, $outcome:ident, $out:ident, $base:ident, $from:ident, $p:ident, $kind:expr, $rate:expr) => {{
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
        let next = h.flow_sequence.wrapping_add($p.flowsets.len() as u32);
        $outcome.sequence_lost += $ex
            .sequences
            .lost($from, 0, $kind, h.flow_sequence, Some(next));
    }};
}

pub(super) fn v5(
    ex: &mut Exporters,
    p: &V5,
    base: FlowRecord,
    from: SocketAddr,
    out: &mut Vec<FlowRecord>,
    outcome: &mut Outcome,
) {
    let rate = sampling::v5_rate(p.header.sampling_interval);
    records!(ex, outcome, out, base, from, p, FlowKind::NetflowV5, rate);
}

pub(super) fn v7(
    ex: &mut Exporters,
    p: &V7,
    base: FlowRecord,
    from: SocketAddr,
    out: &mut Vec<FlowRecord>,
    outcome: &mut Outcome,
) {
    records!(ex, outcome, out, base, from, p, FlowKind::NetflowV7, 1);
}
