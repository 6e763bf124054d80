//! The pairing rule (kept from the Go nf-svc): which row a flow is counted in.
//!
//! A conversation is two flows: the request `A:random → B:service` and the reply
//! `B:service → A:random`. Listing both by destination port would show the reply under a random
//! port, so a row is keyed by the port that names the service:
//!
//! * A flow is a **reply** when its mirror request is already in the table: a group
//!   `(L3, L4, src = this dst, dst = this src, port = this src port)` exists. It is then
//!   recorded as `Src=B, Dst=A, SrcPort=service`.
//! * A **multicast or broadcast request** (`A → 224.0.0.251:5353`, `A → 192.168.0.255:137`)
//!   opens a group whose destination is "any multicast", so unicast answers from any host
//!   (`C:5353 → A`) are recognised as replies too. Its rows are still one per destination.
//! * A flow *from* a service port (below 1024, or a well-known one like 1900 or 5353) *to*
//!   a port that is neither is a **reply** even when it is seen first. Exporters often send the
//!   reply before the request (softflowd sorts by address; routers by flow end), and without
//!   this the old rule listed a web download as `DstPort=40001`. When both or neither port is a
//!   service port, the old rule alone decides.
//! * Anything else is a **request**, keyed `Src, Dst, DstPort=port`.
//!
//! Whichever direction is seen first decides, and for good: a later flow looks for its own
//! row first (as a request, then as a reply) and keeps the direction that row was made with,
//! which also spares it the mirror lookup. Rows are per exporter. At the end of an interval
//! its counters are cleared but the rows stay, so a reply that arrives just after the boundary
//! still finds its request. Rows that stayed empty for a whole period of the longest interval
//! are dropped then.
//!
//! This file decides; the arena ([`super::arena`]) stores and finds the rows it names.

use super::arena::ExporterTable;
use super::key::{MulticastGroup, RowKey, key_hash};
use crate::flow::FlowRecord;

/// A port that names a service: the system range, or one nf-svc knows by name.
pub(super) fn is_service_port(proto: u8, port: u16) -> bool {
    (port != 0 && port < 1024) || crate::words::protocols::service_name(proto, port).is_some()
}

/// A flow's row keys as a request (by its destination port) and as a reply (by its source
/// port).
#[inline]
pub(super) fn row_keys(r: &FlowRecord) -> (RowKey, RowKey) {
    let as_reply = RowKey {
        etype: r.etype,
        proto: r.proto,
        any_multicast: false,
        port: r.src_port,
        src: r.src_addr,
        dst: r.dst_addr,
    };
    let as_request = RowKey {
        any_multicast: r.dst_addr.is_multicast_or_broadcast(),
        port: r.dst_port,
        ..as_reply
    };
    (as_request, as_reply)
}

/// The row `r` is counted in, found or made under the pairing rule; `None` when it would need
/// a new row and `rows` already reached `max_rows`. `tracked`: a tracked source, always a
/// reply's side of the rule (see `Table::set_tracking`).
pub(super) fn row_for(
    t: &mut ExporterTable,
    state: &foldhash::fast::RandomState,
    r: &FlowRecord,
    tracked: bool,
    slots: usize,
    (rows, max_rows): (&mut usize, usize),
) -> Option<u32> {
    let n = slots;
    let (as_request, as_reply) = row_keys(r);
    let (request, reply) = (as_request.pack(false), as_reply.pack(true));
    let h_request = key_hash(state, request.words());
    // Hashed only when needed: a known request (most flows) never looks its reply up.
    let h_reply = || key_hash(state, reply.words());
    let ruled =
        tracked || (is_service_port(r.proto, r.src_port) && !is_service_port(r.proto, r.dst_port));
    // A conversation's direction is decided when its row is made; its later flows find
    // that row at once (one lookup), without looking for their mirror again.
    let decided = if ruled {
        None
    } else {
        match t.find(h_request, &request, n) {
            Some((i, false)) => Some(i),
            _ => t
                .find(h_reply(), &reply, n)
                .filter(|(_, is_reply)| *is_reply)
                .map(|(i, _)| i),
        }
    };
    decided.or_else(|| {
        // The mirror of this flow's request: a request B → A on this source port.
        let mirror = RowKey {
            src: r.dst_addr,
            dst: r.src_addr,
            ..as_reply
        };
        let packed = mirror.pack(false);
        let is_reply = ruled
            || t.find(key_hash(state, packed.words()), &packed, n)
                .is_some()
            || t.multicast.contains_key(&MulticastGroup::of(&mirror));
        let (key, hash, made) = if is_reply {
            (&reply, h_reply(), as_reply)
        } else {
            (&request, h_request, as_request)
        };
        if let Some((i, _)) = t.find(hash, key, n) {
            return Some(i);
        }
        if *rows >= max_rows {
            return None;
        }
        *rows += 1;
        if made.any_multicast {
            *t.multicast.entry(MulticastGroup::of(&made)).or_insert(0) += 1;
        }
        Some(t.insert(state, hash, &made.pack(is_reply), n))
    })
}
