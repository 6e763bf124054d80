//! sFlow from real switches (captures from two collectors' test data, tests/data/sflow): every
//! flow sample becomes one record whose counters carry the sample's own rate, and what nf-svc
//! reads agrees with an independent decode — flowparser-sflow for the datagram, etherparse for
//! the sampled packet's headers.

mod common;

use common::pcap;
use etherparse::{LaxNetSlice, LaxSlicedPacket, TransportSlice};
use flowparser_sflow::flow_records::FlowRecord as Fr;
use flowparser_sflow::{SflowParser, SflowSample};
use nf_svc::decode::Decoder;
use nf_svc::flow::{Addr, FlowKind, FlowRecord};
use std::net::IpAddr;
use std::path::PathBuf;

pub fn captures() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/sflow");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    v.sort();
    assert_eq!(v.len(), 6, "every capture in {}", dir.display());
    v
}

/// What the independent decoders say of one flow sample.
#[derive(Debug, PartialEq)]
struct Expected {
    bytes: u64,
    packets: u64,
    src: Option<IpAddr>,
    dst: Option<IpAddr>,
    proto: u8,
    ports: (u16, u16),
    vlan: u16,
}

fn from_header(h: &[u8], e: &mut Expected) {
    let Ok(p) = LaxSlicedPacket::from_ethernet(h) else {
        return;
    };
    e.vlan = p.vlan_ids().first().map_or(0, |v| v.value());
    match &p.net {
        Some(LaxNetSlice::Ipv4(s)) => {
            e.src = Some(IpAddr::V4(s.header().source_addr()));
            e.dst = Some(IpAddr::V4(s.header().destination_addr()));
            e.proto = s.header().protocol().0;
        }
        Some(LaxNetSlice::Ipv6(s)) => {
            e.src = Some(IpAddr::V6(s.header().source_addr()));
            e.dst = Some(IpAddr::V6(s.header().destination_addr()));
            e.proto = s.payload().ip_number.0;
        }
        _ => {}
    }
    e.ports = match &p.transport {
        Some(TransportSlice::Tcp(t)) => (t.source_port(), t.destination_port()),
        Some(TransportSlice::Udp(u)) => (u.source_port(), u.destination_port()),
        _ => (0, 0),
    };
}

/// A sample with a packet in it (not an application's operation) is one record.
fn expected(rate: u32, records: &[Fr]) -> Option<Expected> {
    let packet = records.iter().any(|r| {
        matches!(
            r,
            Fr::RawPacketHeader(_)
                | Fr::SampledEthernet(_)
                | Fr::SampledIpv4(_)
                | Fr::SampledIpv6(_)
        )
    });
    if !packet {
        return None;
    }
    let rate = rate.max(1) as u64;
    let mut e = Expected {
        bytes: 0,
        packets: rate,
        src: None,
        dst: None,
        proto: 0,
        ports: (0, 0),
        vlan: 0,
    };
    for r in records {
        match r {
            Fr::RawPacketHeader(h) => {
                e.bytes = h.frame_length as u64 * rate;
                if h.header_protocol == 1 {
                    from_header(&h.header, &mut e);
                }
            }
            Fr::SampledIpv4(s) if e.src.is_none() => {
                e.src = Some(IpAddr::V4(s.src_ip));
                e.dst = Some(IpAddr::V4(s.dst_ip));
                e.proto = s.protocol as u8;
                e.ports = (s.src_port as u16, s.dst_port as u16);
            }
            _ => {}
        }
    }
    Some(e)
}

fn ours(r: &FlowRecord) -> Expected {
    Expected {
        bytes: r.bytes,
        packets: r.packets,
        src: r.src_addr.ip(),
        dst: r.dst_addr.ip(),
        proto: r.proto,
        ports: (r.src_port, r.dst_port),
        vlan: r.vlan_id,
    }
}

#[test]
fn real_captures_agree_with_an_independent_decoder() {
    let parser = SflowParser::default();
    let mut flow_samples = 0;
    let mut with_addresses = 0;
    for path in captures() {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let mut decoder = Decoder::new();
        for p in pcap::read_udp(&path) {
            let mut out = Vec::new();
            let o = decoder.decode(p.src, &p.payload, 1_700_000_000_000, &mut out);
            assert_eq!(o.error, None, "{name}");
            assert_eq!(o.kind, Some(FlowKind::Sflow5), "{name}");
            let theirs = parser.parse_bytes(&p.payload);
            // goflow2's expanded sample has bytes after its datagram, which flowparser-sflow
            // reads as a second datagram of an unknown version; nf-svc ignores them.
            assert_eq!(theirs.datagrams.len(), 1, "{name}: {:?}", theirs.error);
            let want: Vec<Expected> = theirs.datagrams[0]
                .samples
                .iter()
                .filter_map(|s| match s {
                    SflowSample::Flow(f) => expected(f.sampling_rate, &f.records),
                    SflowSample::ExpandedFlow(f) => expected(f.sampling_rate, &f.records),
                    _ => None,
                })
                .collect();
            let got: Vec<Expected> = out.iter().map(ours).collect();
            assert_eq!(got, want, "{name}");
            flow_samples += got.len();
            with_addresses += got.iter().filter(|e| e.src.is_some()).count();
            for r in &out {
                assert_eq!(r.exporter, Addr::from(p.src.ip()), "{name}: the sender");
                assert!(r.bytes > 0 && r.packets > 0, "{name}: {r:?}");
            }
        }
    }
    assert_eq!(flow_samples, 16, "flow samples in all captures");
    assert!(
        with_addresses >= 12,
        "{with_addresses} samples with addresses"
    );
}

#[test]
fn counter_samples_become_the_sensors_port_counters() {
    let parser = SflowParser::default();
    let mut ports = 0;
    for path in captures() {
        let mut decoder = Decoder::new();
        let mut in_octets = 0u64;
        let mut sensor = None;
        for p in pcap::read_udp(&path) {
            decoder.decode(p.src, &p.payload, 1_700_000_000_000, &mut Vec::new());
            sensor = Some(p.src.ip());
            for s in &parser.parse_bytes(&p.payload).datagrams[0].samples {
                let records = match s {
                    SflowSample::Counter(c) => &c.records,
                    SflowSample::ExpandedCounter(c) => &c.records,
                    _ => continue,
                };
                for r in records {
                    if let flowparser_sflow::counter_records::CounterRecord::GenericInterface(g) = r
                    {
                        in_octets += g.if_in_octets;
                        ports += 1;
                    }
                }
            }
        }
        let totals = decoder.sensor_stats().interfaces;
        let got = sensor
            .and_then(|s| totals.get(&s))
            .map_or(0, |t| t.in_octets);
        assert_eq!(got, in_octets, "{}", path.display());
    }
    assert!(
        ports >= 3,
        "{ports} generic interface records in the captures"
    );
}

/// The captures replayed to a running collector's sFlow port: the summaries, the history, the
/// sensor's health and the report page all carry the sampled traffic, scaled by each sample's
/// rate, as the independent decode sums it.
#[test]
fn replayed_sflow_is_counted_in_summaries_history_and_pages() {
    use nf_svc::core::{self, Event};
    use nf_svc::history::{query, store};
    use std::net::UdpSocket;
    use std::time::{Duration, Instant};

    let dir = tempfile::tempdir().unwrap();
    let sflow_port = common::free_udp_port();
    let s = common::settings_in(
        dir.path(),
        &format!("SFlowPort = {sflow_port}\n[Summary]\nIntervals = 1h\nTopCount = 1000\n"),
    );
    let handle = core::start(s.clone()).expect("starts");
    let mut events = handle.events();
    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    let parser = SflowParser::default();
    let (mut want_bytes, mut want_records) = (0u64, 0u64);
    for path in captures() {
        for p in pcap::read_udp(&path) {
            sender
                .send_to(&p.payload, ("127.0.0.1", sflow_port))
                .unwrap();
            for sample in &parser.parse_bytes(&p.payload).datagrams[0].samples {
                let e = match sample {
                    SflowSample::Flow(f) => expected(f.sampling_rate, &f.records),
                    SflowSample::ExpandedFlow(f) => expected(f.sampling_rate, &f.records),
                    _ => None,
                };
                if let Some(e) = e {
                    want_bytes += e.bytes;
                    want_records += 1;
                }
            }
        }
    }
    let end = Instant::now() + Duration::from_secs(10);
    let sensor = loop {
        let st = handle.status().unwrap();
        // Port counters reach the status within a second (the decode stage publishes them).
        let counted = |e: &&nf_svc::health::ExporterHealth| {
            e.records == want_records && e.interfaces.is_some()
        };
        if let Some(e) = st.exporters.first().filter(counted) {
            break e.clone();
        }
        assert!(
            Instant::now() < end,
            "not all samples counted: {:?}",
            st.exporters
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(sensor.kind, Some(FlowKind::Sflow5));
    assert_eq!(sensor.flow_bytes, want_bytes);
    assert!(
        sensor.interfaces.is_some_and(|i| i.ports >= 1),
        "{sensor:?}"
    );
    assert!(
        sensor.describe().contains("its ports: "),
        "{}",
        sensor.describe()
    );
    handle.shutdown();

    let mut summary = None;
    while let Ok(e) = events.try_recv() {
        if let Event::SummaryReady(r) = e {
            summary = Some(r);
        }
    }
    let summary = summary.expect("the partial summary");
    assert_eq!(summary.total_bytes(), want_bytes);
    let busiest = summary
        .exporters
        .iter()
        .flat_map(|e| &e.rows)
        .max_by_key(|r| r.bytes)
        .map(|r| r.src.to_string())
        .unwrap();

    let conn = store::open_for_reading(&s.history.path).unwrap();
    let minutes = query::sensor_minutes(&conn, 0, i64::MAX).unwrap();
    assert_eq!(minutes.iter().map(|m| m.2.bytes).sum::<u64>(), want_bytes);
    assert_eq!(minutes.iter().map(|m| m.2.flows).sum::<u64>(), want_records);
    assert!(
        minutes.iter().any(|m| m.2.sampling_rate > 1),
        "sampling noted"
    );
    let protocol: String = conn
        .query_row("SELECT protocol FROM exporters", [], |r| r.get(0))
        .unwrap();
    assert_eq!(protocol, "SFLOW_5");

    // `<exe>-netflow.log`: the test's own name here.
    let dump = std::fs::read_dir(&s.logs.dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("-netflow.log"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .expect("the flow dump");
    let lines: Vec<&str> = dump
        .lines()
        .filter(|l| l.contains("Type:SFLOW_5"))
        .collect();
    assert_eq!(
        lines.len() as u64,
        want_records,
        "the flow dump, in the seed's format"
    );
    assert!(lines[0].contains(" SamplingRate:"), "{}", lines[0]);

    let page = nf_svc::report::write_overview(
        &nf_svc::report::PageSettings::of(&s),
        chrono::Local::now(),
        None,
    )
    .unwrap();
    let html = std::fs::read_to_string(page).unwrap();
    assert!(
        html.contains("SFLOW_5"),
        "the sensor's protocol on the page"
    );
    assert!(
        html.contains(&busiest),
        "the busiest sampled host, {busiest}, on the page"
    );
}
