//! Floods against the real program: more exporters than are tracked, each sending from its own
//! loopback address. Every flow is counted; the exporters that had to be forgotten are said in
//! one line, not one each.

#![cfg(target_os = "linux")]

mod common;

use common::Collector;
use common::netflow::v5;
use std::time::Duration;

#[test]
fn three_hundred_exporters_are_all_counted_and_the_forgotten_ones_said_in_one_line() {
    let mut c = Collector::start("");
    let now = common::now_secs();
    for i in 0..300u32 {
        let from = format!("127.2.{}.{}:0", i / 250, i % 250 + 1);
        let flow = (
            [10, 0, 0, 1],
            [10, 0, 1, (i % 250) as u8],
            40000,
            53,
            17,
            100,
            1,
        );
        c.send_from(&from, &[v5(1, now, 0, &[flow])]);
    }
    assert!(
        c.wait_dump_lines(300, Duration::from_secs(20)),
        "{}",
        c.stderr()
    );
    assert!(c.interrupt().success());
    let text = c.stderr();
    assert_eq!(text.matches(" first seen (NETFLOW_V5").count(), 300);
    let forgotten: Vec<&str> = text.lines().filter(|l| l.contains("forgotten")).collect();
    assert_eq!(forgotten.len(), 1, "{forgotten:?}");
    assert!(
        forgotten[0].contains("44 exporter(s) forgotten to make room for new ones (at most 256"),
        "{}",
        forgotten[0]
    );
    // The stop lines: one per tracked exporter.
    let stop_lines = text
        .lines()
        .filter(|l| l.contains("] exporter 127.2.") && l.contains(" flow records"))
        .count();
    assert_eq!(stop_lines, 256, "{text}");
    // Every flow is in the dump and in the summary's total.
    assert_eq!(c.log("nf-svc-netflow.log").lines().count(), 300);
    let summary = c.log("nf-svc-summary.log");
    let entries = summary
        .lines()
        .filter(|l| l.contains("*** Summary for every 20 minutes"))
        .count();
    assert_eq!(entries, 1, "{summary}");
    let rows: u64 = summary
        .split("*** Summary for every 20 minutes")
        .nth(1)
        .unwrap()
        .split("*** Summary")
        .next()
        .unwrap()
        .lines()
        .filter_map(|l| l.split("{Bytes:").nth(1))
        .filter_map(|b| b.split(' ').next()?.parse::<u64>().ok())
        .sum();
    assert_eq!(rows, 300 * 100);
}

/// 3,000 refused exporters in a minute: the per-minute cap leaves most of their lines out and
/// says how many, but never the lifecycle lines (stopping, the stop lines, `stopped`) nor a
/// new sensor's `first seen` in the same minute.
#[test]
fn a_flood_of_refused_exporters_hides_no_lifecycle_line() {
    let mut c = Collector::start("[Settings]\nAllowedExporters = 127.0.0.1\n");
    let now = common::now_secs();
    let flow = ([10, 0, 0, 1], [10, 0, 1, 1], 40000, 53, 17, 100, 1);
    for i in 0..3000u32 {
        let from = format!("127.6.{}.{}:0", i / 250, i % 250 + 1);
        c.send_from(&from, &[v5(1, now, 0, &[flow])]);
    }
    c.send(&[v5(1, now, 0, &[flow])]);
    assert!(
        c.wait_dump_lines(1, Duration::from_secs(20)),
        "{}",
        c.stderr()
    );
    assert!(c.interrupt().success());
    let log = c.log("nf-svc.log");
    assert!(log.contains("exporter 127.0.0.1 first seen"), "{log}");
    assert!(log.contains("stopping: writing partial summaries"));
    assert!(log.contains("] exporter 127.0.0.1 (NETFLOW_V5): 1 datagrams"));
    assert!(
        log.contains(
            "3000 datagram(s) refused since start: their senders are not in AllowedExporters"
        ),
        "the refused are counted in the stop lines"
    );
    assert!(
        log.lines().last().unwrap().contains(" stopped"),
        "the last line"
    );
    // The refused exporters named (the first 1,024) are each written or counted as left out.
    let written = log
        .matches("datagrams refused, it is not in AllowedExporters")
        .count();
    let left_out: usize = log
        .lines()
        .filter_map(|l| {
            l.split(" log line(s) (more than 600 a minute)")
                .next()
                .filter(|_| l.contains("left out"))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<usize>().ok())
        .sum();
    assert!(written <= 2 * 600, "{written} lines written");
    assert_eq!(
        written + left_out,
        1024,
        "{written} written, {left_out} left out"
    );
}
