//! sFlow datagrams built field by field; the real switches' captures are checked against an
//! independent decoder in `tests/sflow.rs`.

use super::*;
use crate::flow::Addr;

/// An XDR writer for building datagrams.
#[derive(Default)]
struct W(Vec<u8>);

impl W {
    fn u32(mut self, v: u32) -> Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    fn raw(mut self, b: &[u8]) -> Self {
        self.0.extend_from_slice(b);
        self
    }
    /// A format word, then `body` with its length.
    fn tagged(self, format: u32, body: W) -> Self {
        self.u32(format).u32(body.0.len() as u32).raw(&body.0)
    }
}

fn datagram(seq: u32, samples: &[(u32, W)]) -> Vec<u8> {
    let mut w = W::default()
        .u32(5)
        .u32(1)
        .raw(&[10, 0, 0, 2])
        .u32(0)
        .u32(seq)
        .u32(1000);
    w = w.u32(samples.len() as u32);
    for (f, s) in samples {
        w = w.tagged(*f, W(s.0.clone()));
    }
    w.0
}

fn packet() -> Vec<u8> {
    let mut f = vec![
        0x01, 0x00, 0x5e, 0x7f, 0xff, 0xfa, 0x00, 0x80, 0x77, 0x11, 0x22, 0x33,
    ];
    f.extend_from_slice(&[0x08, 0x00, 0x45, 0, 0, 200, 0, 1, 0, 0, 1, 17, 0, 0]);
    f.extend_from_slice(&[192, 168, 88, 50, 239, 255, 255, 250, 0xe1, 0x15, 0x0e, 0x76]);
    f
}

/// A compact flow sample: raw header of a 1,000-byte frame, extended switch, 1 in `rate`.
fn flow(seq: u32, rate: u32, drops: u32) -> W {
    let h = packet();
    let raw = W::default()
        .u32(1)
        .u32(1000)
        .u32(4)
        .u32(h.len() as u32)
        .raw(&h)
        .raw(&[0, 0]);
    let switch = W::default().u32(20).u32(0).u32(30).u32(0);
    W::default()
        .u32(seq)
        .u32(7)
        .u32(rate)
        .u32(seq * rate)
        .u32(drops)
        .u32(7)
        .u32(0x8000_0002) // several output interfaces
        .u32(2)
        .tagged(1, raw)
        .tagged(1001, switch)
}

fn decode(s: &mut Sflow, seqs: &mut Sequences, d: &[u8]) -> (Vec<FlowRecord>, Outcome) {
    let mut out = Vec::new();
    let mut o = Outcome::default();
    let from: SocketAddr = "10.0.0.2:6343".parse().unwrap();
    s.decode(seqs, from, d, FlowRecord::default(), &mut out, &mut o);
    (out, o)
}

#[test]
fn a_flow_sample_is_one_packet_scaled_by_its_rate() {
    let (mut s, mut q) = (Sflow::default(), Sequences::default());
    let (out, o) = decode(&mut s, &mut q, &datagram(9, &[(FLOW, flow(1, 512, 0))]));
    assert_eq!(o.error, None);
    assert_eq!(o.kind, Some(FlowKind::Sflow5));
    let r = out[0];
    assert_eq!((r.bytes, r.packets, r.sampling_rate), (512_000, 512, 512));
    assert_eq!(r.sequence, 9);
    assert_eq!(r.src_addr, Addr::V4([192, 168, 88, 50]));
    assert_eq!(r.dst_addr, Addr::V4([239, 255, 255, 250]));
    assert_eq!((r.proto, r.src_port, r.dst_port), (17, 57621, 3702));
    assert_eq!(r.src_mac, 0x0080_7711_2233);
    assert_eq!((r.in_if, r.out_if), (7, 0), "several outputs name none");
    assert_eq!((r.src_vlan, r.dst_vlan), (20, 30));
}

#[test]
fn lost_samples_and_agent_drops_are_counted() {
    let (mut s, mut q) = (Sflow::default(), Sequences::default());
    decode(&mut s, &mut q, &datagram(1, &[(FLOW, flow(1, 10, 5))]));
    let (_, o) = decode(&mut s, &mut q, &datagram(2, &[(FLOW, flow(2, 10, 5))]));
    assert_eq!((o.sequence_lost, o.sampler_drops), (0, 0));
    let (_, o) = decode(&mut s, &mut q, &datagram(3, &[(FLOW, flow(6, 10, 12))]));
    assert_eq!(o.sequence_lost, 3, "samples 3, 4 and 5 never came");
    assert_eq!(o.sampler_drops, 7);
}

#[test]
fn counter_samples_keep_each_port() {
    let generic = |index: u32, octets: u64| {
        let mut w = W::default()
            .u32(index)
            .u32(6)
            .u32(0)
            .u32(1_000_000_000)
            .u32(1)
            .u32(3);
        w = w.u32((octets >> 32) as u32).u32(octets as u32);
        for v in [1, 2, 3, 4, 5, 6] {
            w = w.u32(v);
        }
        w = w.u32(0).u32(octets as u32);
        for v in [1, 2, 3, 7, 8, 0] {
            w = w.u32(v);
        }
        W::default().u32(1).u32(index).u32(1).tagged(1, w)
    };
    let (mut s, mut q) = (Sflow::default(), Sequences::default());
    let d = datagram(
        1,
        &[(COUNTERS, generic(1, 5 << 32)), (COUNTERS, generic(2, 100))],
    );
    let (out, o) = decode(&mut s, &mut q, &d);
    assert_eq!((out.len(), o.error), (0, None));
    let t = s.ports.totals()[&"10.0.0.2".parse::<IpAddr>().unwrap()];
    assert_eq!((t.ports, t.ports_up), (2, 2));
    assert_eq!(t.in_octets, (5 << 32) + 100);
    assert_eq!((t.discards, t.errors), (2 * (4 + 7), 2 * (5 + 8)));
}

#[test]
fn cut_and_wrong_datagrams_keep_the_samples_before() {
    let (mut s, mut q) = (Sflow::default(), Sequences::default());
    let d = datagram(1, &[(FLOW, flow(1, 1, 0)), (FLOW, flow(2, 1, 0))]);
    let (out, o) = decode(&mut s, &mut q, &d[..d.len() - 3]);
    assert_eq!((out.len(), o.error), (1, Some(DecodeError::Truncated)));
    // A sample whose record says it is longer than the sample.
    let bad = W::default()
        .u32(1)
        .u32(1)
        .u32(1)
        .u32(0)
        .u32(0)
        .u32(0)
        .u32(0)
        .u32(1);
    let bad = bad.u32(1).u32(400);
    let d = datagram(2, &[(FLOW, flow(3, 1, 0)), (FLOW, bad)]);
    let (out, o) = decode(&mut s, &mut q, &d);
    assert_eq!((out.len(), o.error), (1, Some(DecodeError::Malformed)));
    // An unknown address type.
    let mut d = datagram(3, &[]);
    d[7] = 9;
    assert_eq!(
        decode(&mut s, &mut q, &d).1.error,
        Some(DecodeError::Malformed)
    );
    // Every cut of a good datagram: no panic, and never more records than samples.
    let d = datagram(4, &[(FLOW, flow(4, 1, 0)), (FLOW, flow(5, 1, 0))]);
    for cut in 0..d.len() {
        let (out, o) = decode(&mut s, &mut q, &d[..cut]);
        assert!(out.len() <= 2 && (o.error.is_some() || cut == d.len()));
    }
}

#[test]
fn another_enterprise_is_skipped_and_samples_are_bounded_by_the_datagram() {
    let (mut s, mut q) = (Sflow::default(), Sequences::default());
    let d = datagram(
        1,
        &[
            ((4413 << 12) | 1, W::default().u32(1)),
            (FLOW, flow(1, 1, 0)),
        ],
    );
    let (out, o) = decode(&mut s, &mut q, &d);
    assert_eq!((out.len(), o.error), (1, None));
    // A header that claims four billion samples.
    let mut d = datagram(2, &[(FLOW, flow(2, 1, 0))]);
    d[24..28].copy_from_slice(&u32::MAX.to_be_bytes());
    let (out, o) = decode(&mut s, &mut q, &d);
    assert_eq!((out.len(), o.error), (1, Some(DecodeError::Truncated)));
}
