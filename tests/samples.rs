//! Every real vendor export in tests/data/netflow-samples decodes with zero errors, into the
//! flow-record counts of its SUMMARY.txt (a tshark decode of the same files), with sampling
//! applied where the sample carries it.

mod common;

use common::pcap;
use nf_svc::decode::Decoder;
use nf_svc::flow::{Addr, FlowKind, FlowRecord};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

fn samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/netflow-samples")
}

/// From SUMMARY.txt: pcap → number of flow (non-options) data records.
fn expected_counts() -> BTreeMap<String, usize> {
    let text = std::fs::read_to_string(samples_dir().join("SUMMARY.txt")).unwrap();
    let mut out = BTreeMap::new();
    let mut name = String::new();
    let mut options: BTreeSet<String> = BTreeSet::new();
    for line in text.lines() {
        if let Some(n) = line.strip_prefix("== ") {
            name = n.trim().to_string();
            options.clear();
        } else if let Some(rest) = line.trim().strip_prefix("options-template ") {
            options.insert(rest.split_whitespace().next().unwrap().to_string());
        } else if let Some(rest) = line.trim().strip_prefix("data records by set id: {") {
            let sets = rest.split('}').next().unwrap();
            let mut n = 0;
            for item in sets.split(',') {
                let (id, count) = item.split_once(':').unwrap();
                let id = id.trim().trim_matches('\'').to_string();
                if !options.contains(&id) {
                    n += count.trim().parse::<usize>().unwrap();
                }
            }
            out.insert(name.clone(), n);
        }
    }
    out
}

struct Decoded {
    records: Vec<FlowRecord>,
    unheld: usize,
    errors: Vec<String>,
}

/// Decode a whole capture with one decoder, as the collector would receive it.
fn decode_all(name: &str) -> Decoded {
    let mut d = Decoder::new();
    let mut records = Vec::new();
    let mut errors = Vec::new();
    let mut unheld = 0;
    for (i, p) in pcap::read_udp(&samples_dir().join(name)).iter().enumerate() {
        let o = d.decode(p.src, &p.payload, 1_700_000_000_000, &mut records);
        if let Some(e) = o.error {
            errors.push(format!("datagram {i}: {e}"));
        }
        unheld += o.unheld_sets;
    }
    Decoded {
        records,
        unheld,
        errors,
    }
}

#[test]
fn every_sample_decodes_completely() {
    let expected = expected_counts();
    assert_eq!(expected.len(), 13, "SUMMARY.txt lists every sample");
    for (name, count) in &expected {
        let d = decode_all(name);
        assert!(d.errors.is_empty(), "{name}: {:?}", d.errors);
        assert_eq!(d.unheld, 0, "{name}: data sets without template");
        assert_eq!(d.records.len(), *count, "{name}: flow records");
        for r in &d.records {
            assert!(
                r.exporter.is_some(),
                "{name}: exporter address on every record"
            );
            assert!(r.etype != 0, "{name}: ethertype known");
        }
    }
}

#[test]
fn sampling_option_scales_counters() {
    let d = decode_all("pmacct_test_automation/104-IPFIXv10-IPv6-CISCO-sampling_option.pcap");
    assert_eq!(d.records.len(), 3);
    for r in &d.records {
        assert_eq!(r.sampling_rate, 256, "rate from the options record");
        assert_eq!(r.bytes % 256, 0);
        assert_eq!(r.packets % 256, 0);
    }
    assert_eq!(d.records[0].bytes, 18432);
    assert_eq!(d.records[0].packets, 256);
    // Unsampled exporters keep their counters as sent.
    for name in [
        "logstash_dat/mikrotik_v5.pcap",
        "pmacct_test_automation/101-NFv9-CISCO-cust_primitives.pcap",
    ] {
        assert!(
            decode_all(name)
                .records
                .iter()
                .all(|r| r.sampling_rate == 0),
            "{name}"
        );
    }
}

#[test]
fn fields_land_where_they_belong() {
    let v5 = decode_all("logstash_dat/mikrotik_v5.pcap").records;
    assert!(
        v5.iter()
            .all(|r| r.kind == FlowKind::NetflowV5 && r.exporter == Addr::V4([192, 0, 2, 12]))
    );
    assert_eq!(
        (
            v5[0].src_addr,
            v5[0].dst_addr,
            v5[0].src_port,
            v5[0].dst_port,
            v5[0].bytes,
            v5[0].packets
        ),
        (
            Addr::V4([10, 0, 13, 1]),
            Addr::V4([192, 168, 0, 98]),
            5228,
            52734,
            104,
            2
        )
    );
    assert!(
        v5[0].time_flow_start_ms > 1_400_000_000_000,
        "uptime stamps become Unix time"
    );

    let ubnt = decode_all("logstash_dat/ubnt_edgerouter_v9_mpls.pcap").records;
    // Template 1024 says IN_SRC_MAC/IN_DST_MAC, 1025 OUT_SRC_MAC/OUT_DST_MAC: both land.
    assert!(
        ubnt.iter()
            .any(|r| r.src_mac == 0x06be_efbe_ef4f && r.dst_mac == 0x44d9_e7be_ef89)
    );
    assert!(
        ubnt.iter()
            .any(|r| r.src_mac == 0x44d9_e7be_ef22 && r.dst_mac == 0x44d9_e7be_ef8e)
    );
    // v9 FIRST/LAST_SWITCHED are ms of exporter uptime, turned into Unix time by the header.
    assert!(
        ubnt.iter()
            .all(|r| r.time_flow_end_ms >= r.time_flow_start_ms)
    );
    assert!(
        ubnt.iter()
            .any(|r| r.time_flow_end_ms - r.time_flow_start_ms == 116)
    );

    // Cisco ASA: bytes only in octetTotalCount (85), no packet count: packets stay absent.
    let asa = decode_all("logstash_dat/cisco_asa_nsel_v9.pcap").records;
    assert!(asa.iter().all(|r| r.bytes > 0 && r.packets == 0));
    assert!(
        asa.iter().all(|r| r.time_flow_start_ms > 0),
        "flowStartMilliseconds"
    );

    let mpls = decode_all("pmacct_test_automation/100-IPFIXv10-CISCO.pcap").records;
    assert_eq!((mpls[0].mpls_count, mpls[0].mpls_labels[0]), (2, 69));

    let v6 = decode_all("pmacct_test_automation/111-IPFIXv10-NFv9-IPv6-IPv4-mix_sources-01.pcap")
        .records;
    assert!(
        v6.iter().all(|r| matches!(r.exporter, Addr::V6(_))),
        "IPv6 exporter"
    );
    assert!(v6.iter().any(|r| matches!(r.src_addr, Addr::V6(_))));

    // MikroTik IPFIX sends uptime-relative times and no boot time: left absent, not invented.
    let mt = decode_all("logstash_dat/mikrotik_ros6.39.2_ipfix.pcap").records;
    assert!(mt.iter().all(|r| r.time_flow_start_ms == 0));
    assert_eq!(
        mt.iter()
            .filter(|r| matches!(r.src_addr, Addr::V6(_)))
            .count(),
        18
    );
}
