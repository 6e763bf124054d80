//! The decoder's bounds under floods: every record of the largest datagram is decoded, and
//! made-up exporters cannot make it hold more than its written bounds of templates and held
//! data, all exporters together. Each test also checks that real traffic still gets through.

mod common;

use common::netflow::{Set, V, v9};
use nf_svc::decode::{Decoder, limits};
use nf_svc::flow::FlowRecord;
use std::net::{Ipv4Addr, SocketAddr};

const NOW_MS: u64 = 1_700_000_000_000;

fn from(n: usize) -> SocketAddr {
    SocketAddr::from(([127, 1, (n / 250) as u8, (n % 250 + 1) as u8], 40_000))
}

/// 13-byte records: src, dst, proto, bytes.
const SMALL: [(u16, V); 4] = [
    (8, V::Ip(Ipv4Addr::UNSPECIFIED)),
    (12, V::Ip(Ipv4Addr::UNSPECIFIED)),
    (4, V::U8(0)),
    (1, V::U32(0)),
];

fn small(i: u32) -> Vec<V> {
    vec![
        V::Ip(Ipv4Addr::from(0x0a00_0000 + i)),
        V::Ip(Ipv4Addr::new(192, 168, 1, 1)),
        V::U8(17),
        V::U32(100 + i),
    ]
}

/// A real exporter (192.168.88.1) that has sent its template 256 ([`SMALL`]).
fn real_exporter(d: &mut Decoder) -> SocketAddr {
    let real = SocketAddr::from(([192, 168, 88, 1], 2055));
    let template = v9(1, 1, 1_700_000_000, 1000, &[Set::Template(256, &SMALL)]);
    d.decode(real, &template, NOW_MS, &mut Vec::new());
    real
}

fn total_templates(d: &Decoder) -> usize {
    d.template_stats().values().map(|s| s.templates).sum()
}

#[test]
fn every_record_of_a_65_kb_datagram_is_decoded() {
    let mut d = Decoder::new();
    let mut out: Vec<FlowRecord> = Vec::new();
    let t = v9(1, 1, 1_700_000_000, 1000, &[Set::Template(300, &SMALL)]);
    d.decode(from(0), &t, NOW_MS, &mut out);
    // 5,036 records of 13 bytes: 65,496 bytes with headers and padding.
    let records: Vec<Vec<V>> = (0..5036).map(small).collect();
    let data = v9(1, 2, 1_700_000_000, 1000, &[Set::Data(300, records)]);
    assert!(data.len() <= 65_507, "{} bytes", data.len());
    let o = d.decode(from(0), &data, NOW_MS, &mut out);
    assert_eq!(o.error, None);
    assert_eq!(o.records, 5036);
    assert_eq!(out.len(), 5036);
    let bytes: u64 = out.iter().map(|r| r.bytes).sum();
    assert_eq!(bytes, (0..5036u64).map(|i| 100 + i).sum::<u64>());
}

#[test]
fn templates_of_all_exporters_together_stay_bounded() {
    let mut d = Decoder::new();
    let mut out = Vec::new();
    // 250 exporters with 40 templates each: 10,000 templates offered.
    let per_exporter: Vec<(u16, Vec<(u16, V)>)> = (0..40u16)
        .map(|i| {
            let mut f = SMALL.to_vec();
            f.push((100 + i, V::U16(0)));
            (400 + i, f)
        })
        .collect();
    let sets: Vec<Set> = per_exporter
        .iter()
        .map(|(id, f)| Set::Template(*id, f))
        .collect();
    let datagram = v9(7, 1, 1_700_000_000, 1000, &sets);
    let mut peak = 0;
    for n in 0..250 {
        d.decode(from(n), &datagram, NOW_MS, &mut out);
        peak = peak.max(total_templates(&d));
    }
    assert!(
        peak <= limits::MAX_TEMPLATES_TOTAL + 40,
        "{peak} templates held"
    );
    let evicted = d.take_template_evictions();
    assert!(!evicted.is_empty());
    assert!(evicted.iter().all(|(_, n)| *n == 40), "{evicted:?}");
    assert!(d.take_template_evictions().is_empty(), "said once");

    // A real exporter that arrives now is decoded.
    let real = real_exporter(&mut d);
    out.clear();
    let o = d.decode(
        real,
        &v9(1, 2, 1_700_000_000, 1000, &[Set::Data(256, vec![small(1)])]),
        NOW_MS,
        &mut out,
    );
    assert_eq!((o.records, o.error), (1, None));
}

#[test]
fn data_held_for_missing_templates_stays_bounded_in_bytes() {
    let mut d = Decoder::new();
    let mut out = Vec::new();
    // 300 exporters (more than the parser keeps) each send 200 data sets of 1,300 bytes whose
    // template never comes: 78 MB offered.
    let records: Vec<Vec<V>> = (0..100).map(small).collect();
    let mut seq = 0;
    for n in 0..300 {
        for k in 0..200u16 {
            seq += 1;
            let data = v9(
                9,
                seq,
                1_700_000_000,
                1000,
                &[Set::Data(256 + k % 64, records.clone())],
            );
            d.decode(from(n), &data, NOW_MS, &mut out);
        }
    }
    assert!(out.is_empty());
    let held_sets: usize = d.template_stats().values().map(|s| s.held_sets).sum();
    let lost_sets: u64 = d.template_stats().values().map(|s| s.lost_sets).sum();
    let set_bytes = 4 + 100 * 13;
    assert!(held_sets > 0);
    assert!(
        held_sets * set_bytes <= limits::PENDING_BYTES_TOTAL,
        "{held_sets} sets of {set_bytes} bytes held"
    );
    assert!(lost_sets > 0, "what was let go is counted");
}

/// An IPFIX datagram with one template (`id`, the fields of [`SMALL`]).
fn ipfix_template(domain: u32, id: u16) -> Vec<u8> {
    let mut set = Vec::new();
    set.extend_from_slice(&id.to_be_bytes());
    set.extend_from_slice(&(SMALL.len() as u16).to_be_bytes());
    for (field, v) in SMALL {
        let len: u16 = match v {
            V::Ip(_) | V::U32(_) => 4,
            _ => 1,
        };
        set.extend_from_slice(&field.to_be_bytes());
        set.extend_from_slice(&len.to_be_bytes());
    }
    let mut d = Vec::new();
    d.extend_from_slice(&10u16.to_be_bytes());
    d.extend_from_slice(&((16 + 4 + set.len()) as u16).to_be_bytes());
    d.extend_from_slice(&1_700_000_000u32.to_be_bytes());
    d.extend_from_slice(&1u32.to_be_bytes());
    d.extend_from_slice(&domain.to_be_bytes());
    d.extend_from_slice(&2u16.to_be_bytes());
    d.extend_from_slice(&((4 + set.len()) as u16).to_be_bytes());
    d.extend_from_slice(&set);
    d
}

/// The attack: while a v9 exporter sends data, 130 other addresses each send one v9
/// and one IPFIX template datagram (260 sources, more than the parser keeps). The working
/// exporter keeps its templates: every one of its records is counted, and the sources that
/// only ever sent templates are the ones forgotten.
#[test]
fn a_flood_of_template_only_sources_does_not_cost_a_working_exporter_a_record() {
    let mut d = Decoder::new();
    let mut out = Vec::new();
    let real = real_exporter(&mut d);
    let (mut sent, mut counted, mut seq) = (0, 0, 2);
    let mut data = |d: &mut Decoder, out: &mut Vec<FlowRecord>| {
        out.clear();
        let records: Vec<Vec<V>> = (0..20).map(small).collect();
        let o = d.decode(
            real,
            &v9(1, seq, 1_700_000_000, 1000, &[Set::Data(256, records)]),
            NOW_MS,
            out,
        );
        seq += 1;
        sent += 20;
        counted += o.records;
    };
    for _ in 0..10 {
        data(&mut d, &mut out);
    }
    for n in 0..130 {
        let flood = from(n);
        d.decode(
            flood,
            &v9(7, 1, 1_700_000_000, 1000, &[Set::Template(400, &SMALL)]),
            NOW_MS,
            &mut out,
        );
        d.decode(flood, &ipfix_template(7, 400), NOW_MS, &mut out);
        if n % 50 == 0 {
            data(&mut d, &mut out);
        }
    }
    for _ in 0..10 {
        data(&mut d, &mut out);
    }
    assert_eq!(
        counted, sent,
        "every record of the working exporter counted"
    );
    let stats = d.template_stats();
    assert_eq!(stats[&real.ip()].templates, 1, "its template kept");
    let total: usize = stats.values().map(|s| s.templates).sum();
    assert!(total <= 2 * limits::MAX_EXPORTERS, "{total} templates held");
}

/// The template sets a decoder kept, fed to a new one (a restart): v9 and IPFIX data decode
/// at once, and a template redefined later wins.
#[test]
fn kept_template_sets_decode_data_in_a_new_decoder() {
    let mut first = Decoder::new();
    let mut out = Vec::new();
    let real = real_exporter(&mut first);
    let ipfix_from = SocketAddr::from(([192, 168, 88, 2], 4739));
    first.decode(ipfix_from, &ipfix_template(7, 400), NOW_MS, &mut out);
    let kept = first.take_template_sets().expect("sets to keep");
    assert_eq!(kept.len(), 2);
    assert!(first.take_template_sets().is_none(), "nothing new");

    let mut second = Decoder::new();
    second.restore_templates(&kept, NOW_MS);
    let o = second.decode(
        real,
        &v9(
            1,
            9,
            1_700_000_000,
            1000,
            &[Set::Data(256, vec![small(1), small(2)])],
        ),
        NOW_MS,
        &mut out,
    );
    assert_eq!((o.records, o.error), (2, None));
    // IPFIX data: one 13-byte record of the SMALL fields for template 400.
    let mut record = vec![10, 0, 0, 7, 192, 168, 1, 1, 17];
    record.extend_from_slice(&777u32.to_be_bytes());
    let mut d = Vec::new();
    d.extend_from_slice(&10u16.to_be_bytes());
    d.extend_from_slice(&((16 + 4 + record.len()) as u16).to_be_bytes());
    d.extend_from_slice(&1_700_000_000u32.to_be_bytes());
    d.extend_from_slice(&2u32.to_be_bytes());
    d.extend_from_slice(&7u32.to_be_bytes());
    d.extend_from_slice(&400u16.to_be_bytes());
    d.extend_from_slice(&((4 + record.len()) as u16).to_be_bytes());
    d.extend_from_slice(&record);
    out.clear();
    let o = second.decode(ipfix_from, &d, NOW_MS, &mut out);
    assert_eq!((o.records, o.error), (1, None));
    assert_eq!(out[0].bytes, 777);
}
