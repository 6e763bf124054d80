//! NetFlow v9: template-described records. Options data (sampling rates) is read first, so a
//! rate sent in the same packet applies to its data; times count milliseconds since the
//! exporter booted; sequence numbers count packets.

use super::Outcome;
use super::exporters::Exporters;
use super::fields::{Clock, Fields};
use crate::flow::{FlowKind, FlowRecord};
use netflow_parser::V9FieldPair;
use netflow_parser::variable_versions::v9::{FlowSetBody, V9};
use std::net::{IpAddr, SocketAddr};

/// Read a v9-style record (v9, and IPFIX sets that use v9 field numbers) into [`Fields`].
pub(super) fn fields(rec: &[V9FieldPair]) -> Fields {
    let mut f = Fields::default();
    for (field, v) in rec {
        f.set(u16::from(*field), v);
    }
    f
}

pub(super) fn packet(
    ex: &mut Exporters,
    p: &V9,
    base: FlowRecord,
    exporter: IpAddr,
    from: SocketAddr,
    out: &mut Vec<FlowRecord>,
    outcome: &mut Outcome,
) {
    outcome.kind.get_or_insert(FlowKind::NetflowV9);
    let h = &p.header;
    let scope = (exporter, h.source_id);
    let clock = Clock::Uptime {
        unix_ms: h.unix_secs as u64 * 1000,
        uptime_ms: h.sys_up_time,
    };
    let base = FlowRecord {
        kind: FlowKind::NetflowV9,
        sequence: h.sequence_number,
        ..base
    };
    for fs in &p.flowsets {
        if let FlowSetBody::OptionsData(o) = &fs.body {
            for rec in &o.fields {
                ex.learn_options(scope, fields(&rec.options_fields));
            }
        }
    }
    for fs in &p.flowsets {
        match &fs.body {
            FlowSetBody::Data(d) => {
                for rec in &d.fields {
                    ex.push(out, &base, &mut fields(rec), clock, scope);
                }
            }
            FlowSetBody::NoTemplate(_) => outcome.unheld_sets += 1,
            _ => {}
        }
    }
    let next = h.sequence_number.wrapping_add(1);
    outcome.sequence_lost += ex.sequences.lost(
        from,
        h.source_id,
        FlowKind::NetflowV9,
        h.sequence_number,
        Some(next),
    );
}
