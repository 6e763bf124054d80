//! The headless collector as a user runs it: a real process on a real UDP port, checked
//! through its log files and exit status.
#![cfg(unix)]

mod common;

use common::netflow::{FLOW_FIELDS, Set, V, flow, v5, v9};
use common::{Collector, parse_row, parse_summaries};
use std::net::{Ipv4Addr, UdpSocket};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

use common::now_secs;

/// Rows of the last (partial, written at Ctrl-C) summary entry, per exporter header.
fn last_summary(c: &Collector) -> Vec<(String, Vec<common::ParsedRow>)> {
    let entries = parse_summaries(&c.log("nf-svc-summary.log"));
    let last = entries.last().expect("a summary was written");
    assert!(last.header.contains(", partial)"), "{}", last.header);
    last.blocks
        .iter()
        .map(|(h, rows)| (h.clone(), rows.iter().map(|r| parse_row(r)).collect()))
        .collect()
}

#[test]
fn data_before_its_template_is_held_and_decoded_later() {
    let mut c = Collector::start("[Summary]\nIntervals = 1h");
    let t = now_secs();
    let data = v9(
        7,
        1,
        t,
        500_000,
        &[Set::Data(
            256,
            vec![
                flow(
                    [192, 168, 0, 82],
                    [224, 0, 0, 251],
                    17,
                    5353,
                    5353,
                    3000,
                    30,
                ),
                flow([192, 168, 0, 82], [192, 168, 0, 255], 17, 137, 137, 700, 7),
            ],
        )],
    );
    let template = v9(7, 2, t, 500_000, &[Set::Template(256, &FLOW_FIELDS)]);
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.send_to(&data, c.addr()).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    s.send_to(&template, c.addr()).unwrap();
    assert!(
        c.wait_dump_lines(2, WAIT),
        "held records reached the dump: {}",
        c.stderr()
    );
    assert!(c.interrupt().success());
    let blocks = last_summary(&c);
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0].0, "NETFLOW_V9(127.0.0.1)");
    let rows = &blocks[0].1;
    assert_eq!(
        (rows[0].dst.as_str(), rows[0].bytes, rows[0].packets),
        ("224.0.0.251", 3000, 30)
    );
    assert_eq!(
        (rows[1].dst.as_str(), rows[1].port, rows[1].bytes),
        ("192.168.0.255", 137, 700)
    );
}

#[test]
fn data_whose_template_never_comes_is_reported_as_lost() {
    let mut c = Collector::start("[Summary]\nIntervals = 1h");
    let t = now_secs();
    let orphan = v9(
        3,
        1,
        t,
        1000,
        &[Set::Data(
            999,
            vec![flow([1, 1, 1, 1], [2, 2, 2, 2], 6, 1, 2, 3, 4)],
        )],
    );
    let good = v5(
        0,
        t,
        0,
        &[([10, 0, 0, 1], [10, 0, 0, 2], 1000, 53, 17, 60, 1)],
    );
    c.send(&[orphan, good]);
    assert!(c.wait_dump_lines(1, WAIT));
    assert!(c.interrupt().success());
    let log = c.log("nf-svc.log");
    assert!(
        log.contains(
            "1 data set(s) were never decoded because their template did not arrive in time"
        ),
        "{log}"
    );
    assert!(
        log.contains("1 data set(s) without their template"),
        "{log}"
    );
}

#[test]
fn two_exporters_reusing_template_256_keep_their_own_layouts() {
    let mut c = Collector::start("[Summary]\nIntervals = 1h");
    let t = now_secs();
    // Exporter B sends the same template id with the fields in another order.
    let layout_b = [
        (1, V::U32(0)),
        (2, V::U32(0)),
        (11, V::U16(0)),
        (7, V::U16(0)),
        (4, V::U8(0)),
        (12, V::Ip(Ipv4Addr::UNSPECIFIED)),
        (8, V::Ip(Ipv4Addr::UNSPECIFIED)),
    ];
    let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = UdpSocket::bind("127.0.0.2:0").unwrap();
    a.send_to(
        &v9(0, 1, t, 1000, &[Set::Template(256, &FLOW_FIELDS)]),
        c.addr(),
    )
    .unwrap();
    b.send_to(
        &v9(0, 1, t, 1000, &[Set::Template(256, &layout_b)]),
        c.addr(),
    )
    .unwrap();
    let rec_a = flow([10, 0, 0, 1], [10, 0, 0, 2], 6, 40000, 443, 1111, 11);
    let rec_b = vec![
        V::U32(2222),
        V::U32(22),
        V::U16(53),
        V::U16(50000),
        V::U8(17),
        V::Ip([10, 9, 9, 9].into()),
        V::Ip([10, 8, 8, 8].into()),
    ];
    a.send_to(&v9(0, 2, t, 1000, &[Set::Data(256, vec![rec_a])]), c.addr())
        .unwrap();
    b.send_to(&v9(0, 2, t, 1000, &[Set::Data(256, vec![rec_b])]), c.addr())
        .unwrap();
    assert!(c.wait_dump_lines(2, WAIT));
    assert!(c.interrupt().success());
    let blocks = last_summary(&c);
    assert_eq!(blocks.len(), 2, "{blocks:?}");
    assert_eq!(blocks[0].0, "NETFLOW_V9(127.0.0.1)");
    assert_eq!(
        blocks[0].1[0],
        parse_row(
            "L3=IPv4, L4=TCP, Src=10.0.0.1, Dst=10.0.0.2, DstPort=443, {Bytes:1111 Packets:11}"
        )
    );
    assert_eq!(blocks[1].0, "NETFLOW_V9(127.0.0.2)");
    assert_eq!(
        blocks[1].1[0],
        parse_row(
            "L3=IPv4, L4=UDP, Src=10.8.8.8, Dst=10.9.9.9, DstPort=53, {Bytes:2222 Packets:22}"
        )
    );
    let log = c.log("nf-svc.log");
    assert!(
        log.contains("exporter 127.0.0.1 first seen (NETFLOW_V9"),
        "{log}"
    );
    assert!(log.contains("exporter 127.0.0.2 first seen (NETFLOW_V9"));
}

#[test]
fn bad_datagrams_are_named_by_exporter_and_lose_nothing() {
    let mut c = Collector::start("[Summary]\nIntervals = 1h");
    let t = now_secs();
    let good = |seq| {
        v5(
            seq,
            t,
            0,
            &[(
                [192, 168, 0, 20],
                [239, 255, 255, 250],
                63710,
                1900,
                17,
                495,
                3,
            )],
        )
    };
    let full_v9 = v9(0, 1, t, 1000, &[Set::Template(300, &FLOW_FIELDS)]);
    let truncated = full_v9[..10].to_vec();
    let mut garbage = vec![0x12, 0x34];
    garbage.extend((0..200u32).map(|i| (i * 7919 % 251) as u8));
    let unknown_version = {
        let mut d = good(5);
        d[1] = 6;
        d
    };
    c.send(&[good(0), truncated, garbage, unknown_version, good(1)]);
    assert!(c.wait_dump_lines(2, WAIT));
    std::thread::sleep(Duration::from_millis(200));
    assert!(c.interrupt().success());

    let log = c.log("nf-svc.log");
    assert!(
        log.contains("exporter 127.0.0.1: cannot decode a 10-byte datagram: truncated datagram"),
        "{log}"
    );
    // The later ones are summarized (at the latest when nf-svc stops), with their kinds.
    assert!(
        log.contains("not NetFlow/IPFIX/sFlow (version field 4660) ×1"),
        "{log}"
    );
    assert!(
        log.contains("not NetFlow/IPFIX/sFlow (version field 6) ×1"),
        "{log}"
    );
    // Never the parser's raw text, which embeds the datagram.
    assert!(log.lines().all(|l| l.len() < 400), "{log}");
    assert!(!log.contains("remaining"));

    // The stop line counts by kind (the version numbers are in the lines above).
    assert!(
        log.contains("exporter 127.0.0.1 (NETFLOW_V5): 5 datagrams, 2 flow records, 990 bytes of traffic; undecodable: truncated datagram ×1, not NetFlow/IPFIX/sFlow ×2"),
        "health at stop: {log}"
    );
    let blocks = last_summary(&c);
    assert_eq!(blocks[0].0, "NETFLOW_V5(127.0.0.1)");
    assert_eq!(
        blocks[0].1[0],
        parse_row(
            "L3=IPv4, L4=UDP, Src=192.168.0.20, Dst=239.255.255.250, DstPort=1900, {Bytes:990 Packets:6}"
        )
    );
}

#[test]
fn invalid_settings_exit_2_before_binding_anything() {
    let port = common::free_udp_port();
    let ini = format!(
        "[Settings]\nPort = {port}\n[Summary]\nIntervals = 20, soon\n[Logs]\nKeepDays = many\n"
    );
    let mut c = Collector::spawn(&ini, port);
    let status = c.wait_exit(WAIT).expect("exits by itself");
    assert_eq!(status.code(), Some(2));
    let err = c.stderr();
    let ini_path = c.dir.path().join("nf-svc.ini");
    assert!(
        err.contains(&format!(
            "{}, line 4: [Summary] Intervals = \"20, soon\" is not valid: expected minutes",
            ini_path.display()
        )),
        "{err}"
    );
    assert!(err.contains("line 6: [Logs] KeepDays = \"many\""), "{err}");
    assert!(!c.log_dir().exists(), "nothing was started");
    UdpSocket::bind(("127.0.0.1", port)).expect("the port was never bound");
}

#[test]
fn unknown_key_is_a_warning_with_the_closest_key() {
    let mut c = Collector::start("[Logs]\nKeepDay = 3\n");
    assert!(c.wait_stderr("did you mean [Logs] KeepDays?", WAIT));
    assert!(
        c.stderr()
            .contains("line 6: unknown key [Logs] KeepDay is ignored"),
        "{}",
        c.stderr()
    );
    assert!(c.interrupt().success());
    assert!(
        c.log("nf-svc.log")
            .contains("did you mean [Logs] KeepDays?")
    );
}

#[test]
fn a_port_in_use_is_named_and_exits_3() {
    let holder = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let mut c = Collector::spawn(
        &format!("[Settings]\nPort = {port}\nListen = 127.0.0.1\n"),
        port,
    );
    let status = c.wait_exit(WAIT).expect("exits by itself");
    assert_eq!(status.code(), Some(3));
    let msg = format!("UDP port {port} on 127.0.0.1 is already in use by another program");
    assert!(c.stderr().contains(&msg), "{}", c.stderr());
    assert!(c.log("nf-svc.log").contains(&msg));
}

#[test]
fn first_run_creates_the_documented_ini_and_never_rewrites_it() {
    let dir = tempfile::tempdir().unwrap();
    let ini = dir.path().join("sub").join("nf-svc.ini");
    // Invalid log folder setting would be a different test; here the default port may be
    // taken on this machine, so only the file is checked.
    let mut child = std::process::Command::new(common::exe())
        .args(["--headless", "--config"])
        .arg(&ini)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let end = std::time::Instant::now() + WAIT;
    while !ini.exists() && std::time::Instant::now() < end {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    let example =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/nf-svc.ini.example"))
            .unwrap();
    assert_eq!(std::fs::read_to_string(&ini).unwrap(), example);

    // A file the user edited is used as it is and never rewritten, not even reformatted.
    let port = common::free_udp_port();
    let edited = format!(
        "; my sensor\r\n[Settings]\r\nPort = {port} ; the MikroTik\r\nListen = 127.0.0.1\r\n\r\n[Summary]\r\nIntervals = 5, 60\r\n"
    );
    std::fs::write(&ini, &edited).unwrap();
    let mut child = std::process::Command::new(common::exe())
        .args(["--headless", "--config"])
        .arg(&ini)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let mut line = String::new();
    while std::io::BufRead::read_line(&mut err, &mut line).unwrap_or(0) > 0 {
        seen.push_str(&line);
        if line.contains("listening on UDP 127.0.0.1:") {
            break;
        }
        line.clear();
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        seen.contains(&format!("listening on UDP 127.0.0.1:{port}")),
        "the edited file is in effect: {seen}"
    );
    assert!(seen.contains("[Summary] Intervals = 5 min, 1 h;"), "{seen}");
    assert_eq!(std::fs::read_to_string(&ini).unwrap(), edited, "untouched");
}

#[test]
fn summaries_follow_the_wall_clock_and_latest_summary_is_kept() {
    let mut c = Collector::start("[Summary]\nIntervals = 2s\n");
    let t = now_secs();
    c.send(&[v5(
        0,
        t,
        0,
        &[([10, 0, 0, 5], [10, 0, 0, 6], 1234, 80, 6, 100, 1)],
    )]);
    // Two full periods pass: at least one aligned, non-partial entry is written.
    let end = std::time::Instant::now() + WAIT;
    let mut aligned = None;
    while std::time::Instant::now() < end && aligned.is_none() {
        std::thread::sleep(Duration::from_millis(200));
        aligned = parse_summaries(&c.log("nf-svc-summary.log"))
            .into_iter()
            .find(|e| !e.header.contains("partial"));
    }
    let aligned = aligned.expect("an aligned summary");
    // "(YYYY-MM-DD HH:MM:SS - YYYY-MM-DD HH:MM:SS)": both ends on even seconds, 2 s apart.
    let period = aligned
        .header
        .split(" *** (")
        .nth(1)
        .unwrap()
        .trim_end_matches(')');
    let (a, b) = period.split_once(" - ").unwrap();
    let secs = |s: &str| s[17..19].parse::<u32>().unwrap();
    assert_eq!(secs(a) % 2, 0, "{period}");
    assert_eq!((secs(b) + 60 - secs(a)) % 60, 2, "{period}");
    assert!(
        aligned
            .header
            .contains("*** Summary for every 2 seconds ***")
    );
    let latest = std::fs::read_to_string(c.log_dir().join("latest-summary.txt")).unwrap();
    assert!(latest.contains("*** Summary for every 2 seconds ***"));
    assert!(c.interrupt().success());
}

#[test]
fn a_burst_from_one_host_writes_the_alert_lines() {
    let mut c = Collector::start(
        "[Summary]\nIntervals = 1h\n[Alerts]\nSourceRate = 1 Mbit/s\nWindow = 2s\nHost.10.66.0.9 = 100 Mbit/s, Camera\nCooldown = 1m\n",
    );
    let t = now_secs();
    // 2 MB in one go from the camera: 8 Mbit/s over the 2-second window.
    c.send(&[v5(
        0,
        t,
        0,
        &[(
            [10, 66, 0, 9],
            [10, 66, 0, 255],
            3702,
            3702,
            17,
            2_000_000,
            1500,
        )],
    )]);
    assert!(c.wait_stderr("ALERT [SourceRate] 10.66.0.9 (Camera) sends 8.0 Mbit/s to 10.66.0.255 ws-discovery, limit 1.0 Mbit/s since ", WAIT), "{}", c.stderr());
    assert!(
        c.wait_stderr(
            "ALERT ENDED [SourceRate] 10.66.0.9 (Camera): back to normal after ",
            WAIT
        ),
        "{}",
        c.stderr()
    );
    assert!(c.interrupt().success());
    let summary = c.log("nf-svc-summary.log");
    assert!(
        summary.contains("ALERT [SourceRate] 10.66.0.9 (Camera) sends 8.0 Mbit/s"),
        "{summary}"
    );
    let ended = summary
        .lines()
        .find(|l| l.contains("ALERT ENDED"))
        .expect("the end of the incident");
    assert!(
        ended.contains("2000000 bytes in total, peak 8.0 Mbit/s"),
        "{ended}"
    );
    assert!(
        c.log("nf-svc.log")
            .contains("[WARN] ALERT [SourceRate] 10.66.0.9 (Camera)")
    );
}

#[test]
fn a_silent_sensor_is_reported_and_its_return_too() {
    let mut c = Collector::start("[Summary]\nIntervals = 1h\n[Alerts]\nSilentAfter = 2s\n");
    let t = now_secs();
    let dg = |seq| {
        v5(
            seq,
            t,
            0,
            &[([10, 0, 0, 1], [10, 0, 0, 2], 1000, 53, 17, 60, 1)],
        )
    };
    c.send(&[dg(0)]);
    assert!(
        c.wait_stderr("SENSOR SILENT 127.0.0.1: nothing received since ", WAIT),
        "{}",
        c.stderr()
    );
    c.send(&[dg(1)]);
    assert!(
        c.wait_stderr("SENSOR BACK 127.0.0.1: sends again", WAIT),
        "{}",
        c.stderr()
    );
    assert!(c.interrupt().success());
    let summary = c.log("nf-svc-summary.log");
    assert!(
        summary.contains("SENSOR SILENT 127.0.0.1") && summary.contains("SENSOR BACK 127.0.0.1"),
        "{summary}"
    );
}
