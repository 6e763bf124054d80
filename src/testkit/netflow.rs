//! Builders for NetFlow v5/v9 datagrams, for tests, benches and the load generator that need
//! exact control over templates, ordering and damage.

use std::net::Ipv4Addr;

/// A v9 field value in a data record.
#[derive(Debug, Clone, Copy)]
pub enum V {
    U8(u8),
    U16(u16),
    U32(u32),
    Ip(Ipv4Addr),
    Mac([u8; 6]),
}

impl V {
    fn len(&self) -> u16 {
        match self {
            V::U8(_) => 1,
            V::U16(_) => 2,
            V::U32(_) | V::Ip(_) => 4,
            V::Mac(_) => 6,
        }
    }
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            V::U8(v) => out.push(*v),
            V::U16(v) => out.extend_from_slice(&v.to_be_bytes()),
            V::U32(v) => out.extend_from_slice(&v.to_be_bytes()),
            V::Ip(v) => out.extend_from_slice(&v.octets()),
            V::Mac(m) => out.extend_from_slice(m),
        }
    }
}

/// One v9 flowset.
pub enum Set<'a> {
    /// Template id and (field type, value) pairs that define the layout by example.
    Template(u16, &'a [(u16, V)]),
    /// Template id and records, each the values in template order.
    Data(u16, Vec<Vec<V>>),
}

/// A v9 datagram with `source_id`, `seq`, and a header clock of `unix_secs` / `uptime_ms`.
pub fn v9(source_id: u32, seq: u32, unix_secs: u32, uptime_ms: u32, sets: &[Set]) -> Vec<u8> {
    let mut body = Vec::new();
    let mut count = 0u16;
    for s in sets {
        let start = body.len();
        match s {
            Set::Template(id, fields) => {
                body.extend_from_slice(&0u16.to_be_bytes());
                body.extend_from_slice(&0u16.to_be_bytes());
                body.extend_from_slice(&id.to_be_bytes());
                body.extend_from_slice(&(fields.len() as u16).to_be_bytes());
                for (ty, v) in fields.iter() {
                    body.extend_from_slice(&ty.to_be_bytes());
                    body.extend_from_slice(&v.len().to_be_bytes());
                }
                count += 1;
            }
            Set::Data(id, records) => {
                body.extend_from_slice(&id.to_be_bytes());
                body.extend_from_slice(&0u16.to_be_bytes());
                for r in records {
                    for v in r {
                        v.put(&mut body);
                    }
                    count += 1;
                }
                while (body.len() - start) % 4 != 0 {
                    body.push(0);
                }
            }
        }
        let len = (body.len() - start) as u16;
        body[start + 2..start + 4].copy_from_slice(&len.to_be_bytes());
    }
    let mut out = v9_header(count, seq, uptime_ms, unix_secs, source_id);
    out.extend_from_slice(&body);
    out
}

/// A v9 header of `count` records (templates count as one each), with room for a datagram
/// of MTU size behind it.
pub fn v9_header(count: u16, seq: u32, uptime_ms: u32, unix_secs: u32, source_id: u32) -> Vec<u8> {
    let mut h = Vec::with_capacity(1500);
    h.extend_from_slice(&9u16.to_be_bytes());
    h.extend_from_slice(&count.to_be_bytes());
    h.extend_from_slice(&uptime_ms.to_be_bytes());
    h.extend_from_slice(&unix_secs.to_be_bytes());
    h.extend_from_slice(&seq.to_be_bytes());
    h.extend_from_slice(&source_id.to_be_bytes());
    h
}

/// The usual IPv4 flow layout: src, dst, proto, sport, dport, bytes, packets.
pub const FLOW_FIELDS: [(u16, V); 7] = [
    (8, V::Ip(Ipv4Addr::UNSPECIFIED)),
    (12, V::Ip(Ipv4Addr::UNSPECIFIED)),
    (4, V::U8(0)),
    (7, V::U16(0)),
    (11, V::U16(0)),
    (1, V::U32(0)),
    (2, V::U32(0)),
];

/// A record in [`FLOW_FIELDS`] order.
pub fn flow(
    src: [u8; 4],
    dst: [u8; 4],
    proto: u8,
    sport: u16,
    dport: u16,
    bytes: u32,
    packets: u32,
) -> Vec<V> {
    vec![
        V::Ip(src.into()),
        V::Ip(dst.into()),
        V::U8(proto),
        V::U16(sport),
        V::U16(dport),
        V::U32(bytes),
        V::U32(packets),
    ]
}

/// A v5 flow: (src, dst, sport, dport, proto, bytes, packets).
pub type V5Flow = ([u8; 4], [u8; 4], u16, u16, u8, u32, u32);

/// A v5 datagram with the given flows.
pub fn v5(seq: u32, unix_secs: u32, sampling: u16, flows: &[V5Flow]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&5u16.to_be_bytes());
    out.extend_from_slice(&(flows.len() as u16).to_be_bytes());
    out.extend_from_slice(&100_000u32.to_be_bytes());
    out.extend_from_slice(&unix_secs.to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&sampling.to_be_bytes());
    for (src, dst, sp, dp, proto, bytes, pkts) in flows {
        out.extend_from_slice(src);
        out.extend_from_slice(dst);
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&1u16.to_be_bytes());
        out.extend_from_slice(&2u16.to_be_bytes());
        out.extend_from_slice(&pkts.to_be_bytes());
        out.extend_from_slice(&bytes.to_be_bytes());
        out.extend_from_slice(&99_000u32.to_be_bytes());
        out.extend_from_slice(&99_500u32.to_be_bytes());
        out.extend_from_slice(&sp.to_be_bytes());
        out.extend_from_slice(&dp.to_be_bytes());
        out.push(0);
        out.push(0);
        out.push(*proto);
        out.push(0);
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&[0, 0, 0, 0]);
    }
    out
}
