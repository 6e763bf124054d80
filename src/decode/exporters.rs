//! What nf-svc remembers about exporters beyond their templates, shared by the wire families:
//! sampling rates and boot times learned from options data, and sequence numbers.

use super::fields::{Clock, Fields};
use super::limits;
use super::sampling::{SamplingTable, Scope};
use super::sequence::Sequences;
use crate::flow::FlowRecord;
use std::collections::HashMap;

#[derive(Debug, Default)]
pub(super) struct Exporters {
    pub sampling: SamplingTable,
    /// IPFIX exporters' boot time (systemInitTimeMilliseconds), for uptime-relative times.
    pub boot_ms: HashMap<Scope, u64>,
    pub sequences: Sequences,
}

impl Exporters {
    /// Options data: a sampling rate, a boot time.
    pub fn learn_options(&mut self, scope: Scope, f: Fields) {
        if let Some(init) = f.system_init_ms
            && (self.boot_ms.len() < limits::MAX_EXPORTERS * 4 || self.boot_ms.contains_key(&scope))
        {
            self.boot_ms.insert(scope, init);
        }
        self.sampling.learn(scope, &f.sampling);
    }

    /// Finish a data record: the packet's identity from `base`, times through `clock`, bytes
    /// and packets scaled by the scope's sampling rate.
    pub fn push(
        &self,
        out: &mut Vec<FlowRecord>,
        base: &FlowRecord,
        f: &mut Fields,
        clock: Clock,
        scope: Scope,
    ) {
        // The record's own fields stay; what identifies the packet comes from its header.
        f.rec.kind = base.kind;
        f.rec.sequence = base.sequence;
        f.rec.time_received_ms = base.time_received_ms;
        f.rec.exporter = base.exporter;
        f.complete(clock);
        f.rec
            .apply_sampling(self.sampling.rate_for(scope, &f.sampling));
        // Built in place; copied once, into the output.
        out.push(f.rec);
    }
}
