//! A real exporter end to end: Debian's softflowd reads a pcap of known traffic and exports it
//! as NetFlow v5, v9 and IPFIX to a headless nf-svc; the summary totals must equal the pcap's
//! totals per (src, dst, protocol), with the service port named as the pairing rule says.
#![cfg(unix)]

mod common;

use common::pcap::{L4, PcapWriter};
use common::{Collector, ParsedRow, parse_row, parse_summaries};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, SystemTime};

/// (src, dst, l4, packets, payload bytes each)
fn traffic() -> Vec<(&'static str, &'static str, L4, usize, usize)> {
    vec![
        // A TCP conversation: request and reply.
        (
            "10.0.0.2:40001",
            "10.0.0.1:80",
            L4::Tcp { flags: 0x18 },
            6,
            100,
        ),
        (
            "10.0.0.1:80",
            "10.0.0.2:40001",
            L4::Tcp { flags: 0x18 },
            6,
            1000,
        ),
        // DNS
        ("10.0.0.2:53000", "10.0.0.53:53", L4::Udp, 2, 40),
        ("10.0.0.53:53", "10.0.0.2:53000", L4::Udp, 2, 120),
        // IPv6 (QUIC-like)
        ("[fd00::2]:50000", "[fd00::1]:443", L4::Udp, 5, 1200),
        ("[fd00::1]:443", "[fd00::2]:50000", L4::Udp, 3, 200),
        // mDNS, NetBIOS broadcast, SSDP and a unicast SSDP answer
        ("10.0.0.2:5353", "224.0.0.251:5353", L4::Udp, 4, 80),
        ("10.0.0.2:137", "10.0.0.255:137", L4::Udp, 3, 50),
        ("10.0.0.3:50100", "239.255.255.250:1900", L4::Udp, 2, 130),
        ("10.0.0.7:1900", "10.0.0.3:50100", L4::Udp, 1, 300),
    ]
}

/// (src ip, dst ip, "TCP"/"UDP")
type Conversation = (String, String, &'static str);

fn have_softflowd() -> bool {
    Command::new("softflowd").arg("-h").output().is_ok()
}

#[test]
fn softflowd_v5_v9_ipfix_totals_match_the_pcap() {
    assert!(
        have_softflowd(),
        "softflowd is required (apt install softflowd; .ci/run installs it)"
    );
    let dir = tempfile::tempdir().unwrap();
    let pcap_path = dir.path().join("known.pcap");
    let mut w = PcapWriter::new();
    // Expected (src ip, dst ip, proto) → (bytes, packets, the two ports).
    let mut expected: BTreeMap<Conversation, (u64, u64, [u16; 2])> = BTreeMap::new();
    let start_us = (SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64)
        - 60_000_000;
    let mut t = start_us;
    for (src, dst, l4, n, payload) in traffic() {
        let s: SocketAddr = src.parse().unwrap();
        let d: SocketAddr = dst.parse().unwrap();
        for _ in 0..n {
            let ip_len = w.packet(t, s, d, l4, payload);
            t += 10_000;
            let proto = if matches!(l4, L4::Udp) { "UDP" } else { "TCP" };
            let e = expected
                .entry((s.ip().to_string(), d.ip().to_string(), proto))
                .or_insert((0, 0, [s.port(), d.port()]));
            e.0 += ip_len as u64;
            e.1 += 1;
        }
    }
    w.write(&pcap_path);

    let mut c = Collector::start("[Summary]\nIntervals = 1h\n");
    for version in ["5", "9", "10"] {
        let out = Command::new("softflowd")
            .args(["-r"])
            .arg(&pcap_path)
            .args([
                "-n",
                &format!("127.0.0.1:{}", c.port),
                "-v",
                version,
                "-6",
                "-a",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "softflowd -v {version}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // v5 carries only the 8 IPv4 flows; v9 and IPFIX all 10.
    assert!(
        c.wait_dump_lines(8 + 10 + 10, Duration::from_secs(30)),
        "dump:\n{}",
        c.log("nf-svc-netflow.log")
    );
    assert!(c.interrupt().success());

    let entries = parse_summaries(&c.log("nf-svc-summary.log"));
    let last = entries.last().unwrap();
    let mut kinds = Vec::new();
    for (block, rows) in &last.blocks {
        kinds.push(block.clone());
        let rows: Vec<ParsedRow> = rows.iter().map(|r| parse_row(r)).collect();
        let mut got: BTreeMap<Conversation, (u64, u64)> = BTreeMap::new();
        for r in &rows {
            let proto = if r.l4 == "UDP" { "UDP" } else { "TCP" };
            let key = (r.src.clone(), r.dst.clone(), proto);
            let exp = expected
                .get(&key)
                .unwrap_or_else(|| panic!("{block}: unexpected row {r:?}"));
            assert!(
                exp.2.contains(&r.port),
                "{block}: {r:?} names one of the flow's ports"
            );
            let g = got.entry(key).or_default();
            g.0 += r.bytes;
            g.1 += r.packets;
        }
        let want: BTreeMap<_, _> = expected
            .iter()
            .filter(|(k, _)| !block.starts_with("NETFLOW_V5") || !k.0.contains(':'))
            .map(|(k, v)| (k.clone(), (v.0, v.1)))
            .collect();
        assert_eq!(got, want, "{block}");
        // Multicast and broadcast destinations are requests to the service port.
        let find = |dst: &str| rows.iter().find(|r| r.dst == dst).unwrap();
        assert_eq!(
            (
                find("224.0.0.251").port_kind.as_str(),
                find("224.0.0.251").port
            ),
            ("DstPort", 5353)
        );
        assert_eq!(
            (
                find("10.0.0.255").port_kind.as_str(),
                find("10.0.0.255").port
            ),
            ("DstPort", 137)
        );
        assert_eq!(find("239.255.255.250").port, 1900);
        // Each two-way conversation is a request row and a reply row on the service port,
        // whichever direction the exporter sent first.
        let mut pairs = vec![("10.0.0.2", "10.0.0.1", 80), ("10.0.0.2", "10.0.0.53", 53)];
        if !block.starts_with("NETFLOW_V5") {
            pairs.push(("fd00::2", "fd00::1", 443));
        }
        for (client, server, port) in pairs {
            let req = rows
                .iter()
                .find(|r| r.src == client && r.dst == server)
                .unwrap();
            let reply = rows
                .iter()
                .find(|r| r.src == server && r.dst == client)
                .unwrap();
            assert_eq!(
                (req.port_kind.as_str(), req.port),
                ("DstPort", port),
                "{block}: {req:?}"
            );
            assert_eq!(
                (reply.port_kind.as_str(), reply.port),
                ("SrcPort", port),
                "{block}: {reply:?}"
            );
        }
        let answer = rows.iter().find(|r| r.src == "10.0.0.7").unwrap();
        assert_eq!(
            (answer.port_kind.as_str(), answer.port),
            ("SrcPort", 1900),
            "SSDP answer"
        );
    }
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "IPFIX(127.0.0.1)",
            "NETFLOW_V5(127.0.0.1)",
            "NETFLOW_V9(127.0.0.1)"
        ]
    );
}
