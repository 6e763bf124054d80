//! The limits that apply to a host are one rule for the alert engine and the pages: with a
//! limit for every source and a higher one of the host's own, a burst between the two raises
//! an incident, and the device report it writes draws the limit that fired.

mod common;

use common::netflow::v5;
use common::{now_secs, settings_in};
use nf_svc::alerts::Rule;
use nf_svc::core::{self, Event};
use std::net::{IpAddr, UdpSocket};
use std::path::Path;
use std::time::{Duration, Instant};

const PRINTER: [u8; 4] = [192, 168, 0, 82];

/// The device report of the printer in `reports/`, once one holds `text`.
fn device_report_with(dir: &Path, text: &str, wait: Duration) -> Option<String> {
    let end = Instant::now() + wait;
    while Instant::now() < end {
        let pages = std::fs::read_dir(dir).into_iter().flatten().flatten();
        for p in pages {
            let name = p.file_name().to_string_lossy().to_string();
            if name.starts_with("192.168.0.82-")
                && name.ends_with(".html")
                && let Ok(html) = std::fs::read_to_string(p.path())
                && html.contains(text)
            {
                return Some(html);
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[test]
fn a_burst_under_the_hosts_own_limit_but_over_source_rate_fires_and_is_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let s = settings_in(
        dir.path(),
        "[Alerts]\nWindow = 12s\nSourceRate = 1 Mbit/s\nHost.192.168.0.82 = 100 Mbit/s, Printer\nSpikeFactor = 0\nSilentAfter = 0\n",
    );
    let handle = core::start(s.clone()).expect("starts");
    let mut events = handle.events();
    // 24 MB within the 12-second window: 16 Mbit/s.
    let burst = [(
        PRINTER,
        [192, 168, 0, 255],
        137,
        137,
        17,
        24_000_000,
        16_000,
    )];
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .send_to(
            &v5(0, now_secs(), 0, &burst),
            ("127.0.0.1", s.receive.ports[0]),
        )
        .unwrap();
    let printer = IpAddr::from(PRINTER);
    let end = Instant::now() + Duration::from_secs(10);
    let mut fired = Vec::new();
    while Instant::now() < end && fired.is_empty() {
        while let Ok(e) = events.try_recv() {
            if let Event::Incident(i) = e
                && i.host == printer
            {
                assert_eq!(
                    i.label.as_deref(),
                    Some("Printer"),
                    "named by the names lookup"
                );
                fired.push(i.rule);
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        fired,
        [Rule::SourceLimit],
        "16 Mbit/s passes SourceRate only"
    );
    let html = device_report_with(
        &s.logs.dir.join("reports"),
        "limit 1.0 Mbit/s",
        Duration::from_secs(10),
    );
    handle.shutdown();
    let html = html.expect("the device report draws the limit that fired");
    assert!(
        html.contains("limit 1.0 Mbit/s (SourceRate, sent)"),
        "{html}"
    );
    assert!(
        html.contains("limit 100 Mbit/s (Host limit, sent and received)"),
        "and every other limit that applies"
    );
    assert!(
        html.contains("192.168.0.82 (Printer)"),
        "the page names the device"
    );
}
