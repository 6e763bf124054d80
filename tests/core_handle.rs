//! The core's handle, in process: what the headless runner and the tray rely on — status
//! snapshots with per-exporter health, pause, live settings, events, shutdown — one test each.

mod common;

use common::netflow::{FLOW_FIELDS, Set, flow, v5, v9};
use nf_svc::core::{self, Event};
use nf_svc::decode::{Decoder, ErrorKind};
use nf_svc::health::ExporterEvent;
use std::net::UdpSocket;
use std::time::{Duration, Instant};

use common::now_secs;

use common::settings_in;

fn wait_until(mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// A core listening on a free port with an hourly interval, and a sender.
struct Running {
    dir: tempfile::TempDir,
    s: nf_svc::settings::Settings,
    handle: core::CoreHandle,
    events: tokio::sync::broadcast::Receiver<Event>,
    sender: UdpSocket,
    t: u32,
}

impl Running {
    fn start() -> Running {
        let dir = tempfile::tempdir().unwrap();
        let s = settings_in(dir.path(), "[Summary]\nIntervals = 1h\n");
        let handle = core::start(s.clone()).expect("starts");
        let events = handle.events();
        Running {
            dir,
            s,
            handle,
            events,
            sender: UdpSocket::bind("127.0.0.1:0").unwrap(),
            t: now_secs(),
        }
    }

    /// A v5 datagram of three DNS flows with sequence number `seq`.
    fn datagram(&self, seq: u32) -> Vec<u8> {
        v5(
            seq,
            self.t,
            0,
            &[([10, 0, 0, 1], [10, 0, 0, 2], 5000, 53, 17, 100, 1); 3],
        )
    }

    fn send(&self, datagram: &[u8]) {
        self.sender
            .send_to(datagram, ("127.0.0.1", self.s.receive.ports[0]))
            .unwrap();
    }

    fn records(&self) -> u64 {
        let st = self.handle.status().unwrap();
        st.exporters.first().map_or(0, |e| e.records)
    }
}

#[test]
fn status_counts_each_exporters_records_gaps_and_errors() {
    let mut r = Running::start();
    // Two datagrams, the second with a sequence gap of 2 records, and a truncated one.
    r.send(&r.datagram(0));
    r.send(&r.datagram(5));
    r.send(b"\x00\x05");
    assert!(wait_until(|| r
        .handle
        .status()
        .unwrap()
        .exporters
        .first()
        .is_some_and(|e| e.datagrams == 3)));
    let st = r.handle.status().unwrap();
    assert_eq!(st.listening.len(), 1);
    assert_eq!(st.listening[0].port(), r.s.receive.ports[0]);
    let e = &st.exporters[0];
    assert_eq!(e.addr.to_string(), "127.0.0.1");
    assert_eq!(e.records, 6);
    assert_eq!(e.sequence_lost, 2);
    assert_eq!(
        e.errors.get(&ErrorKind::Truncated),
        Some(&1),
        "{:?}",
        e.errors
    );
    assert_eq!(e.kind.unwrap().as_str(), "NETFLOW_V5");
    assert!(e.first_seen <= e.last_seen);
    assert_eq!(st.flows_per_minute, 6);
    let from = r.sender.local_addr().unwrap();
    assert!(
        matches!(
            r.events.try_recv(),
            Ok(Event::Exporter(ExporterEvent::Seen { addr, port, .. }))
                if addr == from.ip() && port == from.port()
        ),
        "the first-seen event names the exporter and its port"
    );
    r.handle.shutdown();
}

#[test]
fn paused_datagrams_are_counted_as_dropped_not_as_flows() {
    let r = Running::start();
    r.send(&r.datagram(0));
    assert!(wait_until(|| r.records() == 3));
    r.handle.set_paused(true);
    assert!(r.handle.is_paused());
    r.send(&r.datagram(3));
    assert!(wait_until(|| r.handle.status().unwrap().exporters[0]
        .dropped_paused
        == 1));
    assert_eq!(r.records(), 3);
    r.handle.set_paused(false);
    assert!(!r.handle.is_paused());
    r.send(&r.datagram(6));
    assert!(wait_until(|| r.records() == 6), "counted again");
    r.handle.shutdown();
}

#[test]
fn new_settings_move_the_port_and_intervals_and_keep_the_counts() {
    let mut r = Running::start();
    r.send(&r.datagram(0));
    assert!(wait_until(|| r.records() == 3));
    let mut s2 = r.s.clone();
    s2.receive.ports = vec![common::free_udp_port()];
    s2.summary.intervals = vec![Duration::from_secs(3600), Duration::from_secs(1)];
    r.handle.apply(s2.clone()).expect("applies");
    let st = r.handle.status().unwrap();
    assert_eq!(st.listening[0].port(), s2.receive.ports[0]);
    // Wine (and a loaded machine) can take a moment to close a socket.
    assert!(
        wait_until(|| UdpSocket::bind(("127.0.0.1", r.s.receive.ports[0])).is_ok()),
        "the old port was released"
    );
    r.sender
        .send_to(&r.datagram(3), ("127.0.0.1", s2.receive.ports[0]))
        .unwrap();
    assert!(
        wait_until(|| r.records() == 6),
        "counts kept, new port read"
    );
    // The 1-second interval produces summaries with the new flows.
    let got = wait_until(|| {
        loop {
            match r.events.try_recv() {
                Ok(Event::SummaryReady(rep))
                    if rep.interval == Duration::from_secs(1) && rep.total_bytes() > 0 =>
                {
                    break true;
                }
                Ok(_) => continue,
                Err(_) => break false,
            }
        }
    });
    assert!(got, "a summary event");
    assert!(r.handle.status().unwrap().last_summary.is_some());
    r.handle.shutdown();
}

#[test]
fn a_taken_port_is_refused_and_the_running_settings_stay() {
    let r = Running::start();
    let holder = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut bad = r.s.clone();
    bad.receive.ports = vec![holder.local_addr().unwrap().port()];
    let err = r.handle.apply(bad).unwrap_err();
    assert!(err.contains("already in use"), "{err}");
    assert_eq!(
        r.handle.status().unwrap().listening[0].port(),
        r.s.receive.ports[0]
    );
    r.send(&r.datagram(0));
    assert!(
        wait_until(|| r.records() == 3),
        "still read on the old port"
    );
    r.handle.shutdown();
}

#[test]
fn shutdown_writes_the_partial_summaries() {
    let r = Running::start();
    for seq in [0, 3, 6] {
        r.send(&r.datagram(seq));
    }
    assert!(wait_until(|| r.records() == 9));
    r.handle.shutdown();
    // Logs are named after the running program: here the test binary.
    let summary_path = std::fs::read_dir(r.dir.path().join("logs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("-summary.log"))
        .expect("a summary log");
    let summary = std::fs::read_to_string(summary_path).unwrap();
    assert!(summary.contains("*** Summary for every 60 minutes ***"));
    assert!(summary.contains("partial)"));
    assert!(
        summary.contains("Src=10.0.0.1, Dst=10.0.0.2, DstPort=53, {Bytes:900 Packets:9}"),
        "{summary}"
    );
}

#[test]
fn allowlist_refuses_other_exporters() {
    let dir = tempfile::tempdir().unwrap();
    let s = settings_in(dir.path(), "AllowedExporters = 127.0.0.2\n");
    let handle = core::start(s.clone()).unwrap();
    let t = now_secs();
    let data = v9(0, 1, t, 1000, &[Set::Template(256, &FLOW_FIELDS)]);
    let rec = v9(
        0,
        2,
        t,
        1000,
        &[Set::Data(
            256,
            vec![flow([1, 1, 1, 1], [2, 2, 2, 2], 6, 1, 2, 3, 4)],
        )],
    );
    let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = UdpSocket::bind("127.0.0.2:0").unwrap();
    for d in [&data, &rec] {
        a.send_to(d, ("127.0.0.1", s.receive.ports[0])).unwrap();
        b.send_to(d, ("127.0.0.1", s.receive.ports[0])).unwrap();
    }
    assert!(wait_until(
        || handle.status().unwrap().refused_datagrams == 2
    ));
    let st = handle.status().unwrap();
    assert_eq!(st.exporters.len(), 1);
    assert_eq!(st.exporters[0].addr.to_string(), "127.0.0.2");
    handle.shutdown();
}

#[test]
fn decoder_counts_v9_packet_gaps_per_source_id() {
    let mut d = Decoder::new();
    let from = "192.0.2.1:2055".parse().unwrap();
    let t = now_secs();
    let mut out = Vec::new();
    let tpl = v9(1, 10, t, 1000, &[Set::Template(256, &FLOW_FIELDS)]);
    assert_eq!(d.decode(from, &tpl, 0, &mut out).sequence_lost, 0);
    let data = |seq| {
        v9(
            1,
            seq,
            t,
            1000,
            &[Set::Data(
                256,
                vec![flow([1, 1, 1, 1], [2, 2, 2, 2], 6, 1, 2, 3, 4)],
            )],
        )
    };
    assert_eq!(d.decode(from, &data(11), 0, &mut out).sequence_lost, 0);
    assert_eq!(
        d.decode(from, &data(15), 0, &mut out).sequence_lost,
        3,
        "12, 13 and 14 are missing"
    );
    // Another source id on the same exporter has its own numbering.
    let other = v9(2, 500, t, 1000, &[Set::Template(256, &FLOW_FIELDS)]);
    assert_eq!(d.decode(from, &other, 0, &mut out).sequence_lost, 0);
    // An exporter restart (numbers go back) is not loss.
    assert_eq!(d.decode(from, &data(1), 0, &mut out).sequence_lost, 0);
    assert_eq!(out.len(), 3);
}
