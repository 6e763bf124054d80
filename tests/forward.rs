//! Forwarding to a real upstream collector: Debian's nfcapd on loopback stores exactly the
//! records of the datagrams nf-svc received from accepted sensors, and with `KeepSource = 1`
//! (Linux, as root) lists the original sensor as their exporter.
#![cfg(target_os = "linux")]

mod common;

use common::netflow::v5;
use common::{Collector, cannot_run, free_udp_port, now_secs};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// nfcapd storing into `dir`, on a free port of 127.0.0.1.
fn nfcapd(dir: &Path) -> Option<(Child, u16)> {
    let port = free_udp_port();
    let flows = dir.join("flows");
    std::fs::create_dir_all(&flows).unwrap();
    let child = Command::new("nfcapd")
        .args(["-w", flows.to_str().unwrap(), "-p", &port.to_string()])
        .args(["-b", "127.0.0.1", "-t", "3600"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    common::wait_until_bound(port, "nfcapd");
    Some((child, port))
}

/// Stop nfcapd (it writes its file on SIGTERM), then what `nfdump -o fmt:FORMAT` lists.
fn stored(mut child: Child, dir: &Path, format: &str) -> Vec<String> {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    child.wait().unwrap();
    let out = Command::new("nfdump")
        .args(["-R", dir.join("flows").to_str().unwrap(), "-N", "-q"])
        .args(["-o", &format!("fmt:{format}")])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// 200 NetFlow v5 records in 7 datagrams, their bytes summed.
fn records() -> (Vec<Vec<u8>>, u64) {
    let t = now_secs();
    let (mut datagrams, mut total) = (Vec::new(), 0u64);
    for d in 0..7u32 {
        let n = if d < 6 { 30 } else { 20 };
        let flows: Vec<_> = (0..n)
            .map(|i| {
                let bytes = 1000 + d * 100 + i;
                total += bytes as u64;
                (
                    [192, 168, 88, 50],
                    [10, 0, d as u8, i as u8],
                    40000,
                    443,
                    6,
                    bytes,
                    2,
                )
            })
            .collect();
        datagrams.push(v5(d * 30, t, 0, &flows));
    }
    (datagrams, total)
}

/// What nfcapd stored of what nf-svc forwarded, and what nf-svc sent and said.
struct Forwarded {
    /// nfcapd's flows: their bytes, their exporters.
    flows: usize,
    bytes: u64,
    exporters: BTreeSet<String>,
    /// The bytes of the records sent to nf-svc from the accepted sensor.
    sent: u64,
    log: String,
}

fn forward_and_store(keep_source: bool) -> Option<Forwarded> {
    let dir = tempfile::tempdir().unwrap();
    let Some((nfcapd, port)) = nfcapd(dir.path()) else {
        cannot_run("nfcapd is not installed (apt install nfdump)");
        return None;
    };
    let mut c = Collector::start(&format!(
        "AllowedExporters = 127.0.5.9\n[Forward]\nTo = 127.0.0.1:{port}\nKeepSource = {}\n",
        keep_source as u8
    ));
    let (datagrams, sent) = records();
    c.send_from("127.0.5.9:0", &datagrams);
    // A refused sensor's datagram is not forwarded.
    c.send_from("127.0.5.10:0", &records().0[..1]);
    assert!(
        c.wait_dump_lines(200, Duration::from_secs(20)),
        "{}",
        c.stderr()
    );
    assert!(c.interrupt().success());
    let lines = stored(nfcapd, dir.path(), "%byt %ra");
    let mut f = Forwarded {
        flows: lines.len(),
        bytes: 0,
        exporters: BTreeSet::new(),
        sent,
        log: c.log("nf-svc.log"),
    };
    for l in &lines {
        let (bytes, exporter) = l.split_once(' ').unwrap();
        f.bytes += bytes.trim().parse::<u64>().unwrap();
        f.exporters.insert(exporter.trim().to_string());
    }
    Some(f)
}

#[test]
fn nfcapd_stores_exactly_the_forwarded_records() {
    let Some(f) = forward_and_store(false) else {
        return;
    };
    assert_eq!((f.flows, f.bytes), (200, f.sent));
    assert!(
        !f.exporters.contains("127.0.5.10"),
        "refused: not forwarded"
    );
    assert!(
        f.log.contains("forwarded to 127.0.0.1:")
            && f.log
                .contains(": 7 datagram(s) sent, 0 dropped (queue full), 0 not sent"),
        "{}",
        f.log
    );
}

#[test]
fn with_keep_source_nfcapd_sees_the_sensor_itself() {
    if nf_svc::os::SpoofedUdp::open().is_err() {
        cannot_run("KeepSource needs root or CAP_NET_RAW (a raw socket)");
        return;
    }
    let Some(f) = forward_and_store(true) else {
        return;
    };
    assert_eq!((f.flows, f.bytes), (200, f.sent));
    assert_eq!(f.exporters, BTreeSet::from(["127.0.5.9".to_string()]));
    let said = "keeping each sensor's address as the source";
    assert!(f.log.contains(said), "{}", f.log);
}
