//! IPFIX: template-described records with IANA element numbers (and sets in v9 numbering,
//! which some exporters mix in). Options data (sampling, systemInitTimeMilliseconds) is read
//! first; times are absolute, or relative to the boot time options data gave; sequence
//! numbers count data records.

use super::exporters::Exporters;
use super::fields::{Clock, Fields, ipfix_element};
use super::{Outcome, v9};
use crate::flow::{FlowKind, FlowRecord};
use netflow_parser::IpfixFieldPair;
use netflow_parser::variable_versions::ipfix::{FlowSetBody, IPFix};
use std::net::{IpAddr, SocketAddr};

fn fields(rec: &[IpfixFieldPair]) -> Fields {
    let mut f = Fields::default();
    for (field, v) in rec {
        if let Some(e) = ipfix_element(field) {
            f.set(e, v);
        }
    }
    f
}

pub(super) fn packet(
    ex: &mut Exporters,
    p: &IPFix,
    base: FlowRecord,
    exporter: IpAddr,
    from: SocketAddr,
    out: &mut Vec<FlowRecord>,
    outcome: &mut Outcome,
) {
    outcome.kind.get_or_insert(FlowKind::Ipfix);
    let h = &p.header;
    let scope = (exporter, h.observation_domain_id);
    let base = FlowRecord {
        kind: FlowKind::Ipfix,
        sequence: h.sequence_number,
        ..base
    };
    for fs in &p.flowsets {
        match &fs.body {
            FlowSetBody::OptionsData(o) => {
                for rec in &o.fields {
                    ex.learn_options(scope, fields(rec));
                }
            }
            FlowSetBody::V9OptionsData(o) => {
                for rec in &o.fields {
                    ex.learn_options(scope, v9::fields(&rec.options_fields));
                }
            }
            _ => {}
        }
    }
    let clock = Clock::Export {
        unix_secs: h.export_time,
        init_ms: ex.boot_ms.get(&scope).copied(),
    };
    let mut data_records = 0usize;
    let mut complete = true;
    for fs in &p.flowsets {
        match &fs.body {
            FlowSetBody::Data(d) => {
                for rec in &d.fields {
                    ex.push(out, &base, &mut fields(rec), clock, scope);
                }
                data_records += d.fields.len();
            }
            FlowSetBody::V9Data(d) => {
                for rec in &d.fields {
                    ex.push(out, &base, &mut v9::fields(rec), clock, scope);
                }
                data_records += d.fields.len();
            }
            FlowSetBody::OptionsData(o) => data_records += o.fields.len(),
            FlowSetBody::V9OptionsData(o) => data_records += o.fields.len(),
            FlowSetBody::NoTemplate(_) => {
                outcome.unheld_sets += 1;
                complete = false;
            }
            _ => {}
        }
    }
    // With undecodable sets the next number is unknown.
    let next = complete.then(|| h.sequence_number.wrapping_add(data_records as u32));
    outcome.sequence_lost += ex.sequences.lost(
        from,
        h.observation_domain_id,
        FlowKind::Ipfix,
        h.sequence_number,
        next,
    );
}
