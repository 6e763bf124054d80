//! The test kit: flow records and datagrams built one way for the unit tests, the integration
//! tests, the benches and the load generator (each used to carry its own copy). Nothing in the
//! collector calls it; it is small, so it is always built rather than behind a feature.

pub mod netflow;

use crate::flow::{Addr, FlowKind, FlowRecord};
use std::net::IpAddr;

/// The exporter the kit's records come from: a MikroTik at its default address.
pub const EXPORTER: Addr = Addr::V4([192, 168, 255, 10]);

/// A NetFlow v9 record from [`EXPORTER`]: `bytes` in one packet from `src:sport` to
/// `dst:dport` over IP protocol `proto`, its ethertype from the addresses. Adjust the rest with
/// struct update syntax: `FlowRecord { packets: 10, ..flow(…) }`.
pub fn flow(src: &str, sport: u16, dst: &str, dport: u16, proto: u8, bytes: u64) -> FlowRecord {
    let addr = |a: &str| Addr::from(a.parse::<IpAddr>().expect("an IP address"));
    record(addr(src), sport, addr(dst), dport, proto, bytes)
}

/// [`flow`] from IPv4 octets.
pub fn flow_v4(
    src: [u8; 4],
    sport: u16,
    dst: [u8; 4],
    dport: u16,
    proto: u8,
    bytes: u64,
) -> FlowRecord {
    record(Addr::V4(src), sport, Addr::V4(dst), dport, proto, bytes)
}

fn record(src: Addr, sport: u16, dst: Addr, dport: u16, proto: u8, bytes: u64) -> FlowRecord {
    let mut r = FlowRecord {
        kind: FlowKind::NetflowV9,
        exporter: EXPORTER,
        src_addr: src,
        dst_addr: dst,
        src_port: sport,
        dst_port: dport,
        proto,
        bytes,
        packets: 1,
        ..Default::default()
    };
    r.infer_etype();
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kit_flow_is_what_it_says() {
        let r = flow("192.168.0.82", 40000, "fe80::1", 631, 6, 1500);
        assert_eq!(r.exporter, EXPORTER);
        assert_eq!(r.src_addr, Addr::V4([192, 168, 0, 82]));
        assert!(matches!(r.dst_addr, Addr::V6(_)));
        assert_eq!((r.src_port, r.dst_port, r.proto), (40000, 631, 6));
        assert_eq!((r.bytes, r.packets), (1500, 1));
        assert_eq!(r.etype, 0x800, "the source's family");
        assert_eq!(
            flow_v4([10, 0, 0, 1], 1, [10, 0, 0, 2], 53, 17, 9).dst_addr,
            Addr::V4([10, 0, 0, 2])
        );
    }

    #[test]
    fn a_v9_datagram_has_its_header_and_padded_sets() {
        use netflow::{FLOW_FIELDS, Set, flow as record, v9};
        let d = v9(
            7,
            3,
            1_700_000_000,
            1000,
            &[
                Set::Template(256, &FLOW_FIELDS),
                Set::Data(
                    256,
                    vec![record([10, 0, 0, 1], [10, 0, 0, 2], 17, 5, 53, 100, 1)],
                ),
            ],
        );
        assert_eq!(&d[..2], &9u16.to_be_bytes());
        assert_eq!(&d[2..4], &2u16.to_be_bytes(), "a template and a record");
        assert_eq!(&d[16..20], &7u32.to_be_bytes(), "source id");
        let template_len = u16::from_be_bytes([d[22], d[23]]) as usize;
        assert_eq!(template_len, 8 + 4 * FLOW_FIELDS.len());
        let data_len = u16::from_be_bytes([d[20 + template_len + 2], d[20 + template_len + 3]]);
        assert_eq!(data_len % 4, 0, "padded to 32 bits");
        assert_eq!(d.len(), 20 + template_len + data_len as usize);
    }
}
