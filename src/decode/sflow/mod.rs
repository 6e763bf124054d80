//! sFlow v5 (sflow.org/sflow_version_5.txt): what many managed switches export when their chip
//! samples in hardware, offload on (MikroTik's manual documents none: there, Traffic Flow).
//!
//! An sFlow datagram is not a flow: each flow sample is one packet in N, copied as its first
//! bytes (or as sFlow's own sampled Ethernet/IP records). Each becomes one [`FlowRecord`] of one
//! packet, its frame length in bytes, both scaled by the sample's own rate, so the summaries,
//! history and alerts count sFlow like NetFlow. Sample sequence numbers tell samples lost on
//! the way; the agent's own `drops` counter tells packets it could not sample. Counter samples
//! keep each port's interface counters ([`counters`]). The datagram is read in place
//! ([`xdr`]), the packet headers too ([`header`]): nothing allocates per sample.
//!
//! The sensor is the datagram's sender (its UDP source), as for NetFlow, so the allowlist, the
//! health and the forwarding see one identity; the agent address inside is not used.

pub mod counters;
mod header;
mod xdr;

use super::sequence::Sequences;
use super::{DecodeError, Outcome};
use crate::flow::{FlowKind, FlowRecord};
use counters::Ports;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};
use xdr::Xdr;

/// How every sFlow v5 datagram starts (a 32-bit version; NetFlow's is 16 bits).
pub fn is_sflow(d: &[u8]) -> bool {
    d.starts_with(&[0, 0, 0, 5])
}

/// Samplers (sensor + data source) whose drop counter is remembered, all sensors together.
const MAX_SAMPLERS: usize = 4096;

/// Sample formats (enterprise 0).
const FLOW: u32 = 1;
const COUNTERS: u32 = 2;
const FLOW_EXPANDED: u32 = 3;
const COUNTERS_EXPANDED: u32 = 4;

/// What nf-svc remembers of sFlow sensors: each sampler's last drop count, each port's counters.
#[derive(Debug, Default)]
pub(super) struct Sflow {
    pub ports: Ports,
    drops: HashMap<(SocketAddr, u32), u32>,
    /// When each sensor last sent, for forgetting the ones gone quiet.
    seen: HashMap<IpAddr, Instant>,
    /// The samplers' bound biting was said.
    full_said: bool,
}

type Read<T> = Result<T, DecodeError>;

/// A datagram that ends before its samples do is cut; a sample whose own records overrun it
/// is wrong.
trait Or<T> {
    fn cut(self) -> Read<T>;
    fn bad(self) -> Read<T>;
}

impl<T> Or<T> for Option<T> {
    fn cut(self) -> Read<T> {
        self.ok_or(DecodeError::Truncated)
    }
    fn bad(self) -> Read<T> {
        self.ok_or(DecodeError::Malformed)
    }
}

/// A flow sample's header, compact or expanded.
struct Sampler {
    seq: u32,
    source: u32,
    rate: u32,
    drops: u32,
    in_if: u32,
    out_if: u32,
}

impl Sflow {
    /// Decode one datagram from `from`, appending a record per flow sample. Records before an
    /// error are kept.
    pub fn decode(
        &mut self,
        seqs: &mut Sequences,
        from: SocketAddr,
        data: &[u8],
        base: FlowRecord,
        out: &mut Vec<FlowRecord>,
        outcome: &mut Outcome,
    ) {
        outcome.kind = Some(FlowKind::Sflow5);
        if self.seen.len() < MAX_SAMPLERS || self.seen.contains_key(&from.ip()) {
            self.seen.insert(from.ip(), Instant::now());
        }
        if let Err(e) = self.datagram(seqs, from, Xdr::new(data), base, out, outcome) {
            outcome.error = Some(e);
        }
    }

    fn datagram(
        &mut self,
        seqs: &mut Sequences,
        from: SocketAddr,
        mut x: Xdr,
        base: FlowRecord,
        out: &mut Vec<FlowRecord>,
        outcome: &mut Outcome,
    ) -> Read<()> {
        let _version = x.u32().cut()?;
        x.addr().cut()?.map_err(|_| DecodeError::Malformed)?;
        let _sub_agent = x.u32().cut()?;
        let sequence = x.u32().cut()?;
        let _uptime = x.u32().cut()?;
        let samples = x.u32().cut()?;
        let base = FlowRecord {
            kind: FlowKind::Sflow5,
            sequence,
            ..base
        };
        for _ in 0..samples {
            let format = x.u32().cut()?;
            let body = x.nested().cut()?;
            if format >> 12 != 0 {
                continue; // another enterprise's sample
            }
            match format & 0xfff {
                FLOW | FLOW_EXPANDED => {
                    let expanded = format & 0xfff == FLOW_EXPANDED;
                    let (s, r) = flow_sample(body, expanded, base).bad()?;
                    out.extend(r);
                    outcome.sequence_lost += seqs.lost(
                        from,
                        s.source,
                        FlowKind::Sflow5,
                        s.seq,
                        Some(s.seq.wrapping_add(1)),
                    );
                    outcome.sampler_drops += self.dropped(from, &s);
                }
                COUNTERS | COUNTERS_EXPANDED => {
                    self.counter_sample(from, body, format & 0xfff == COUNTERS_EXPANDED)
                        .bad()?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Packets the sampler could not sample since its last sample (its `drops` counts up).
    fn dropped(&mut self, from: SocketAddr, s: &Sampler) -> u64 {
        let key = (from, s.source);
        let before = self.drops.get(&key).copied();
        if self.drops.len() < MAX_SAMPLERS || before.is_some() {
            self.drops.insert(key, s.drops);
        } else if !std::mem::replace(&mut self.full_said, true) {
            log::warn!(
                "sFlow: the drop counters of {MAX_SAMPLERS} samplers are followed, all switches together; further samplers' drops are not counted"
            );
        }
        match before {
            Some(b) => {
                let d = s.drops.wrapping_sub(b);
                if d < (1 << 30) { d as u64 } else { 0 }
            }
            None => 0,
        }
    }

    fn counter_sample(&mut self, from: SocketAddr, mut x: Xdr, expanded: bool) -> Option<()> {
        let _seq = x.u32()?;
        let _source = if expanded {
            [x.u32()?, x.u32()?]
        } else {
            [x.u32()?, 0]
        };
        let records = x.u32()?;
        for _ in 0..records {
            let format = x.u32()?;
            let body = x.nested()?;
            if format == 1 {
                self.ports.set(from.ip(), counters::generic(body)?);
            }
        }
        Some(())
    }

    /// Forget sensors not heard from for `idle`: their drop counts and ports.
    pub fn prune(&mut self, idle: Duration) {
        self.seen.retain(|_, t| t.elapsed() < idle);
        let seen = &self.seen;
        self.drops.retain(|(a, _), _| seen.contains_key(&a.ip()));
        self.ports.forget(|ip| seen.contains_key(ip));
    }
}

/// An interface as a flow sample gives it: format 0 is an ifIndex; 1 (discarded) and 2 (several
/// interfaces) name none.
fn interface(format: u32, value: u32) -> u32 {
    if format == 0 { value } else { 0 }
}

fn sampler(x: &mut Xdr, expanded: bool) -> Option<Sampler> {
    let seq = x.u32()?;
    let source = if expanded {
        let (kind, index) = (x.u32()?, x.u32()?);
        (kind << 24) | (index & 0x00ff_ffff)
    } else {
        x.u32()?
    };
    let rate = x.u32()?;
    let _pool = x.u32()?;
    let drops = x.u32()?;
    let (in_if, out_if) = if expanded {
        let i = interface(x.u32()?, x.u32()?);
        (i, interface(x.u32()?, x.u32()?))
    } else {
        let (i, o) = (x.u32()?, x.u32()?);
        (
            interface(i >> 30, i & 0x3fff_ffff),
            interface(o >> 30, o & 0x3fff_ffff),
        )
    };
    Some(Sampler {
        seq,
        source,
        rate,
        drops,
        in_if,
        out_if,
    })
}

/// One flow sample into one record: one packet, its length in bytes, scaled by the rate. A
/// sample with no packet in it (an application's operation, say HTTP from a host agent) makes
/// no record.
fn flow_sample(
    mut x: Xdr,
    expanded: bool,
    base: FlowRecord,
) -> Option<(Sampler, Option<FlowRecord>)> {
    let s = sampler(&mut x, expanded)?;
    let mut r = FlowRecord {
        packets: 1,
        in_if: s.in_if,
        out_if: s.out_if,
        ..base
    };
    let records = x.u32()?;
    let mut packet = false;
    for _ in 0..records {
        let format = x.u32()?;
        let body = x.nested()?;
        if format >> 12 == 0 {
            packet |= (1..=4).contains(&format);
            flow_record(format, body, &mut r)?;
        }
    }
    r.apply_sampling(s.rate.max(1) as u64);
    Some((s, packet.then_some(r)))
}

/// One record of a flow sample into `r`; the packet's own header (format 1) wins over sFlow's
/// decoded forms of it, whichever comes first.
fn flow_record(format: u32, mut x: Xdr, r: &mut FlowRecord) -> Option<()> {
    match format {
        1 => {
            let protocol = x.u32()?;
            let frame_length = x.u32()?;
            let _stripped = x.u32()?;
            let h = x.opaque()?;
            r.bytes = frame_length as u64;
            header::read(protocol, h, r);
        }
        2 => {
            let length = x.u32()?;
            let src = x.padded(6)?;
            let dst = x.padded(6)?;
            let etype = x.u32()?;
            if r.src_mac == 0 && r.dst_mac == 0 {
                (r.src_mac, r.dst_mac) = (header::mac_at(src, 0), header::mac_at(dst, 0));
            }
            set_if_zero(&mut r.bytes, length as u64);
            set_if_zero(&mut r.etype, etype as u16);
        }
        3 | 4 => {
            let length = x.u32()?;
            let proto = x.u32()?;
            let n = if format == 3 { 4 } else { 16 };
            let (src, dst) = (x.bytes(n)?, x.bytes(n)?);
            let (sport, dport, flags, tos) = (x.u32()?, x.u32()?, x.u32()?, x.u32()?);
            if r.src_addr.is_none() {
                let addr = |b: &[u8]| match b.len() {
                    4 => crate::flow::Addr::V4([b[0], b[1], b[2], b[3]]),
                    _ => crate::flow::Addr::V6(b.try_into().unwrap_or([0; 16])),
                };
                r.src_addr = addr(src);
                r.dst_addr = addr(dst);
                r.proto = proto as u8;
                r.src_port = sport as u16;
                r.dst_port = dport as u16;
                r.tcp_flags = flags as u16;
                r.ip_tos = tos as u8;
                r.infer_etype();
            }
            set_if_zero(&mut r.bytes, length as u64);
        }
        1001 => {
            r.src_vlan = x.u32()? as u16;
            let _src_priority = x.u32()?;
            r.dst_vlan = x.u32()? as u16;
        }
        1002 | 1003 => {
            r.next_hop = x.addr()?.ok()?;
            if format == 1002 {
                r.src_net = x.u32()? as u8;
                r.dst_net = x.u32()? as u8;
            } else {
                gateway(x, r)?;
            }
        }
        _ => {}
    }
    Some(())
}

/// Extended gateway after its next hop: the router's AS, the source's, its peer's, then the
/// destination's AS path (its last AS is the destination's).
fn gateway(mut x: Xdr, r: &mut FlowRecord) -> Option<()> {
    let _own_as = x.u32()?;
    r.src_as = x.u32()?;
    let _src_peer_as = x.u32()?;
    let segments = x.u32()?;
    for _ in 0..segments {
        let _kind = x.u32()?;
        let n = x.u32()?;
        for _ in 0..n {
            r.dst_as = x.u32()?;
        }
    }
    Some(())
}

fn set_if_zero<T: Default + PartialEq + Copy>(v: &mut T, to: T) {
    if *v == T::default() {
        *v = to;
    }
}

#[cfg(test)]
mod tests;
