//! Golden tests: the example blocks of the old nf-svc README (tests/data/old-readme),
//! reproduced byte for byte from equivalent flows. The summary header gains the covered
//! period after the old text (`*** Summary for every 5 minutes *** (… - …)`); everything else
//! is the old bytes.
//!
//! Both go through the real outputs: flows into the flow dump output, reports into the summary
//! log output (and `latest-summary.txt`), and the files they write are compared.

use chrono::{DateTime, Local, NaiveDateTime, TimeZone};
use nf_svc::flow::{Addr, FlowKind, FlowRecord};
use nf_svc::output::LATEST_SUMMARY;
use nf_svc::output::dump::FlowDump;
use nf_svc::output::files::LogKind;
use nf_svc::output::latest::LatestSummary;
use nf_svc::output::summary_log::SummaryLog;
use nf_svc::settings::{Settings, exe_stem};
use nf_svc::sink::{Output, Written};
use nf_svc::summary::{Summary, Table};
use nf_svc::words::append::LINE_END;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Default settings with the logs in `dir`.
fn settings_in(dir: &Path) -> Settings {
    let mut s = Settings::defaults(&dir.join("nf-svc.ini"));
    s.logs.dir = dir.to_path_buf();
    s
}

fn log_text(dir: &Path, kind: LogKind) -> String {
    std::fs::read_to_string(dir.join(format!("{}.log", kind.basename(&exe_stem())))).unwrap()
}

/// What the summary log output writes for `r` at `at`; `latest-summary.txt` must say the same
/// (and may name hosts below it).
fn logged_summary(r: Summary, at: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let s = settings_in(dir.path());
    let w = [Written {
        summary: Arc::new(r),
        at: local(at),
    }];
    let mut log = SummaryLog::open(&s.logs).unwrap();
    log.summaries(&w, &w).unwrap();
    log.flush(true).unwrap();
    drop(log);
    LatestSummary::new(dir.path()).summaries(&w, &w).unwrap();
    let text = log_text(dir.path(), LogKind::Summary);
    let latest = std::fs::read_to_string(dir.path().join(LATEST_SUMMARY)).unwrap();
    // The same entry, then the names of its hosts that have one.
    assert!(
        latest.starts_with(&text),
        "latest-summary.txt holds the same entry"
    );
    let names = &latest[text.len()..];
    assert!(names.is_empty() || names.starts_with("Names:\n"), "{names}");
    text
}

fn data(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/data/old-readme/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn local(s: &str) -> DateTime<Local> {
    let n = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.3f").unwrap();
    Local.from_local_datetime(&n).earliest().unwrap()
}

fn ip(s: &str) -> Addr {
    Addr::from(s.parse::<std::net::IpAddr>().unwrap())
}

/// The README's anonymised MACs, as concrete values: the placeholder, the value a record
/// carries, and how the dump must write it (typed here, not made by the code under test).
const MACS: [(&str, u64, &str); 5] = [
    ("xx:xx:xx:xx:xx:xx", 0x0011_2233_4455, "00:11:22:33:44:55"),
    ("aa:aa:aa:aa:aa:aa", 0x0100_5e00_00fc, "01:00:5e:00:00:fc"),
    ("cc:cc:cc:cc:cc:cc", 0x02cc_cccc_cccc, "02:cc:cc:cc:cc:cc"),
    ("dd:dd:dd:dd:dd:dd", 0x02dd_dddd_dddd, "02:dd:dd:dd:dd:dd"),
    ("ee:ee:ee:ee:ee:ee", 0x0100_5e7f_fffa, "01:00:5e:7f:ff:fa"),
];

#[test]
fn flow_dump_lines_match_the_old_readme() {
    let base = FlowRecord {
        kind: FlowKind::NetflowV9,
        time_received_ms: 1_682_721_534_000,
        sequence: 172685,
        exporter: ip("192.168.255.10"),
        etype: 2048,
        src_mac: MACS[0].1,
        dst_mac: MACS[1].1,
        in_if: 2,
        out_if: 1,
        ..Default::default()
    };
    #[allow(clippy::too_many_arguments)]
    let f =
        |start: u64, end: u64, bytes, packets, src: &str, dst: &str, proto, sp, dp| FlowRecord {
            time_flow_start_ms: start * 1000,
            time_flow_end_ms: end * 1000,
            bytes,
            packets,
            src_addr: ip(src),
            dst_addr: ip(dst),
            proto,
            src_port: sp,
            dst_port: dp,
            ..base
        };
    let records = [
        (
            "2023-04-29 01:38:54.503",
            f(
                2203946,
                2203946,
                110,
                2,
                "192.168.0.82",
                "224.0.0.252",
                17,
                61238,
                5355,
            ),
        ),
        (
            "2023-04-29 01:38:54.503",
            f(
                2203894,
                2203947,
                4212,
                54,
                "192.168.0.82",
                "192.168.0.255",
                17,
                137,
                137,
            ),
        ),
        (
            "2023-04-29 01:38:54.503",
            FlowRecord {
                dst_mac: MACS[2].1,
                tcp_flags: 2,
                ..f(
                    2203947,
                    2203947,
                    370,
                    8,
                    "192.168.255.80",
                    "192.168.255.1",
                    6,
                    47141,
                    5007,
                )
            },
        ),
        (
            "2023-04-29 01:38:54.503",
            FlowRecord {
                dst_mac: MACS[3].1,
                tcp_flags: 18,
                in_if: 1,
                out_if: 2,
                ..f(
                    2203947,
                    2203947,
                    478,
                    10,
                    "192.168.255.1",
                    "192.168.255.80",
                    6,
                    5007,
                    47141,
                )
            },
        ),
        (
            "2023-04-29 01:38:59.703",
            FlowRecord {
                dst_mac: MACS[4].1,
                time_received_ms: 1_682_721_539_000,
                sequence: 172688,
                ..f(
                    2203945,
                    2203951,
                    495,
                    3,
                    "192.168.0.20",
                    "239.255.255.250",
                    17,
                    63710,
                    1900,
                )
            },
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let mut dump = FlowDump::open(&settings_in(dir.path()).logs).unwrap();
    for (t, r) in &records {
        dump.flows(&local(t), std::slice::from_ref(r)).unwrap();
    }
    dump.flush(true).unwrap();
    drop(dump);
    let out = log_text(dir.path(), LogKind::FlowDump);
    let mut expected = data("netflow-example.txt");
    for (placeholder, _, text) in MACS {
        expected = expected.replace(placeholder, text);
    }
    assert_eq!(out, expected.replace('\n', LINE_END));
}

fn flow(src: &str, sp: u16, dst: &str, dp: u16, proto: u8, bytes: u64, packets: u64) -> FlowRecord {
    FlowRecord {
        kind: FlowKind::NetflowV9,
        exporter: ip("192.168.255.10"),
        src_addr: ip(src),
        dst_addr: ip(dst),
        src_port: sp,
        dst_port: dp,
        proto,
        etype: 0x0800,
        bytes,
        packets,
        ..Default::default()
    }
}

/// Feed one README block's rows as real flows: the TCP conversation as a request from a random
/// port and its reply (so the pairing rule must fold the reply under `SrcPort=5007`), split
/// into several flows each so the counters must add up.
fn feed(t: &mut Table, rows: &[(&str, &str, u16, bool, u64, u64)]) {
    for (src, dst, port, reply, bytes, packets) in rows {
        let proto = if *port == 5007 { 6 } else { 17 };
        let (sp, dp) = if *reply {
            (*port, 47141)
        } else {
            (40000 + (*bytes % 1000) as u16, *port)
        };
        // Two flows per row: the halves must add up to the row.
        let (b1, p1) = (bytes / 2, packets / 2);
        t.add(&flow(src, sp, dst, dp, proto, b1, p1));
        t.add(&flow(src, sp, dst, dp, proto, bytes - b1, packets - p1));
    }
}

fn report(t: &Table, minutes: u64, start: &str, end: &str, top: usize) -> Summary {
    Summary {
        interval: Duration::from_secs(minutes * 60),
        start: local(start),
        end: local(end),
        partial: false,
        top_count: top,
        exporters: t.rows(top),
    }
}

/// The README block `n` (0-based), without the `...` that cut it, with the period appended to
/// the header line.
fn readme_block(n: usize, period: &str) -> String {
    let text = data("summary-example.txt");
    let block = text.split("...\n").nth(n).unwrap();
    let mut lines: Vec<String> = block.lines().map(str::to_string).collect();
    lines[0] = format!("{} ({period})", lines[0]);
    (lines.join("\n") + "\n").replace('\n', LINE_END)
}

#[test]
fn five_and_twenty_minute_blocks_match_the_old_readme() {
    // The request comes first: it makes the later reply a reply.
    let tcp_request = ("192.168.255.80", "192.168.255.1", 5007, false, 2603, 57);
    let five = [
        tcp_request,
        ("192.168.0.82", "224.0.0.251", 5353, false, 37321, 611),
        ("192.168.0.82", "192.168.0.255", 137, false, 18252, 234),
        ("192.168.0.82", "224.0.0.252", 5355, false, 13420, 244),
        ("192.168.0.128", "239.255.255.250", 1900, false, 4752, 24),
        ("192.168.255.1", "192.168.255.80", 5007, true, 3095, 63),
        ("192.168.0.123", "239.255.255.250", 1900, false, 2340, 12),
    ];
    let mut t = Table::new();
    feed(&mut t, &five);
    let r = report(
        &t,
        5,
        "2023-04-29 02:15:00.000",
        "2023-04-29 02:20:00.000",
        100,
    );
    let text = logged_summary(r, "2023-04-29 02:22:14.207");
    let expected = readme_block(0, "2023-04-29 02:15:00 - 2023-04-29 02:20:00");
    assert_eq!(
        text,
        expected + LINE_END,
        "block plus the blank line that ends an entry"
    );

    let twenty = [
        ("192.168.255.80", "192.168.255.1", 5007, false, 12184, 267),
        ("192.168.0.82", "224.0.0.251", 5353, false, 144461, 2365),
        ("192.168.0.82", "192.168.0.255", 137, false, 73944, 948),
        ("192.168.0.82", "224.0.0.252", 5355, false, 59840, 1088),
        ("192.168.0.128", "239.255.255.250", 1900, false, 22196, 112),
        ("192.168.255.1", "192.168.255.80", 5007, true, 14672, 299),
        ("192.168.0.24", "239.255.255.250", 1900, false, 8120, 40),
    ];
    let mut t = Table::new();
    feed(&mut t, &twenty);
    let r = report(
        &t,
        20,
        "2023-04-29 02:20:00.000",
        "2023-04-29 02:40:00.000",
        100,
    );
    let text = logged_summary(r, "2023-04-29 02:37:14.222");
    assert_eq!(
        text,
        readme_block(1, "2023-04-29 02:20:00 - 2023-04-29 02:40:00") + LINE_END
    );
}

#[test]
fn top_100_of_146_block_matches_the_old_readme() {
    let top = [
        ("192.168.0.82", "224.0.0.251", 5353, false, 3606097, 59037),
        ("192.168.0.82", "192.168.0.255", 137, false, 1770210, 22695),
        ("192.168.0.82", "224.0.0.252", 5355, false, 1500893, 27289),
        (
            "192.168.0.128",
            "239.255.255.250",
            1900,
            false,
            568676,
            2872,
        ),
        ("192.168.0.24", "239.255.255.250", 1900, false, 194880, 960),
        ("192.168.0.122", "239.255.255.250", 1900, false, 189885, 977),
    ];
    let mut t = Table::new();
    feed(&mut t, &top);
    // 140 smaller rows: DNS lookups from 140 hosts.
    for i in 0..140u64 {
        let src = format!("192.168.1.{}", i + 1);
        t.add(&flow(&src, 50000, "192.168.0.1", 53, 17, 1000 + i, 10));
    }
    let r = report(
        &t,
        480,
        "2023-04-29 00:00:00.000",
        "2023-04-29 08:00:00.000",
        100,
    );
    let text = logged_summary(r, "2023-04-29 10:17:14.233");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len(),
        1 + 1 + 100 + 1,
        "header, exporter, 100 rows, blank line"
    );
    let shown = (lines[..8].join("\n") + "\n").replace('\n', LINE_END);
    assert_eq!(
        shown,
        readme_block(2, "2023-04-29 00:00:00 - 2023-04-29 08:00:00")
    );
    assert_eq!(
        lines[8],
        "  L3=IPv4, L4=UDP, Src=192.168.1.140, Dst=192.168.0.1, DstPort=53, {Bytes:1139 Packets:10}",
        "then the next largest"
    );
}
