//! Names for devices from real servers on loopback: Debian's dnsmasq answers reverse DNS, a
//! stand-in for RouterOS's REST API (tests/pylib/routeros_rest.py) serves DHCP leases over
//! HTTP and HTTPS, and a NetBIOS responder answers node status. Flows that carry MACs give
//! the vendor. The names reach `nf-svc export` and the report pages after the collector
//! stopped, and the router's password reaches no log.
#![cfg(target_os = "linux")]

mod common;

use common::netflow::{Set, V, v9};
use common::{Collector, Server, cannot_run, free_udp_port, now_secs};
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, UdpSocket};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PASSWORD: &str = "Pa55-w0rd-n0t-in-logs";

/// dnsmasq answering PTR for `records` (name, address) on a free port of 127.0.0.1.
fn dnsmasq(records: &[(&str, &str)]) -> Option<(Server, u16)> {
    let port = free_udp_port();
    let mut cmd = Command::new("dnsmasq");
    cmd.args([
        "--keep-in-foreground",
        "--conf-file=/dev/null",
        "--pid-file",
    ])
    .arg(format!("--port={port}"))
    .args(["--listen-address=127.0.0.1", "--bind-interfaces"])
    .args(["--no-resolv", "--no-hosts", "--log-facility=-"]);
    for (name, addr) in records {
        cmd.arg(format!("--host-record={name},{addr}"));
    }
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    common::wait_until_bound(port, "dnsmasq");
    Some((Server(child), port))
}

/// The RouterOS stand-in serving `leases` (JSON); `tls`: its certificate and key.
fn routeros(dir: &Path, leases: &str, tls: Option<(&Path, &Path)>) -> (Server, u16) {
    let file = dir.join("leases.json");
    std::fs::write(&file, leases).unwrap();
    let script = common::pylib("routeros_rest.py");
    let mut cmd = Command::new("python3");
    cmd.arg(script).arg(&file).args(["nf-svc", PASSWORD]);
    if let Some((cert, key)) = tls {
        cmd.arg("--cert").arg(cert).arg("--key").arg(key);
    }
    let mut child = cmd.stdout(Stdio::piped()).spawn().expect("python3");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .parse()
        .unwrap();
    (Server(child), port)
}

const LEASES: &str = r#"[
  {".id":"*1","address":"192.168.88.51","mac-address":"00:80:77:00:00:51","host-name":"android-7f3a","comment":"Front desk till","status":"bound"},
  {".id":"*2","address":"192.168.88.52","mac-address":"00:35:A9:00:00:52","host-name":"ap-hall","status":"bound"}
]"#;

/// v9 flows with MAC addresses: each (source, its MAC, destination) sends 1,000 bytes.
fn flows_with_macs(seq: u32, flows: &[([u8; 4], [u8; 6], [u8; 4])]) -> Vec<u8> {
    let template = [
        (8, V::Ip(Ipv4Addr::UNSPECIFIED)),
        (12, V::Ip(Ipv4Addr::UNSPECIFIED)),
        (4, V::U8(0)),
        (1, V::U32(0)),
        (2, V::U32(0)),
        (56, V::Mac([0; 6])),
    ];
    let records = flows
        .iter()
        .map(|(src, mac, dst)| {
            vec![
                V::Ip(Ipv4Addr::from(*src)),
                V::Ip(Ipv4Addr::from(*dst)),
                V::U8(17),
                V::U32(1000),
                V::U32(1),
                V::Mac(*mac),
            ]
        })
        .collect();
    v9(
        1,
        seq,
        now_secs(),
        1000,
        &[Set::Template(300, &template), Set::Data(300, records)],
    )
}

/// Send flows for a few seconds (summaries every 2 s ask for the names), until `named` says
/// the export has them or 20 s pass.
fn send_until(
    c: &Collector,
    flows: &[([u8; 4], [u8; 6], [u8; 4])],
    named: impl Fn(&Collector) -> bool,
) {
    let end = Instant::now() + Duration::from_secs(20);
    let mut seq = 0;
    while Instant::now() < end {
        c.send(&[flows_with_macs(seq, flows)]);
        seq += 1;
        std::thread::sleep(Duration::from_millis(500));
        if seq % 4 == 0 && named(c) {
            return;
        }
    }
}

fn export_json(c: &Collector, host: &str) -> String {
    let (code, json, err) = c.subcommand(
        "export",
        &["--host", host, "--from", "-1h", "--format", "json"],
    );
    assert_eq!(code, 0, "{err}");
    json
}

#[test]
fn dns_and_leases_name_devices_in_exports_and_pages() {
    let Some((_dns, dns_port)) = dnsmasq(&[("printer.lan", "192.168.88.50")]) else {
        cannot_run("dnsmasq is not installed (apt install dnsmasq-base)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_router, router_port) = routeros(dir.path(), LEASES, None);
    let mut c = Collector::start(&format!(
        "[Summary]\nIntervals = 2s\n[Names]\nReverseDNS = 1\nDNSServer = 127.0.0.1:{dns_port}\n\
         RouterOS = http://127.0.0.1:{router_port}\nRouterOSUser = nf-svc\nRouterOSPassword = {PASSWORD}\n"
    ));
    let printer = (
        [192, 168, 88, 50],
        [0x00, 0x80, 0x77, 0x11, 0x22, 0x33],
        [192, 168, 88, 1],
    );
    let till = (
        [192, 168, 88, 51],
        [0x00, 0x80, 0x77, 0x00, 0x00, 0x51],
        [192, 168, 88, 1],
    );
    send_until(&c, &[printer, till], |c| {
        export_json(c, "192.168.88.50").contains("printer.lan")
            && export_json(c, "192.168.88.51").contains("Front desk till")
    });
    assert!(c.interrupt().success());

    // After the collector stopped: the store has the names.
    let json = export_json(&c, "192.168.88.50");
    assert!(json.contains("\"name\":\"printer.lan\""), "{json}");
    assert!(
        json.contains("\"vendor\":\"Brother\""),
        "the flows' MAC: {json}"
    );
    let json = export_json(&c, "192.168.88.51");
    assert!(
        json.contains("\"name\":\"Front desk till\""),
        "the lease's comment: {json}"
    );
    let (code, csv, _) = c.subcommand("export", &["--host", "192.168.88.50", "--from", "-1h"]);
    assert_eq!(code, 0);
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .contains(",192.168.88.50,printer.lan,Brother,"),
        "{csv}"
    );

    let (code, page, err) = c.subcommand("report", &[]);
    assert_eq!(code, 0, "{err}");
    let html = std::fs::read_to_string(page.trim()).unwrap();
    assert!(
        html.contains("192.168.88.50 (printer.lan · Brother)"),
        "the overview names the printer"
    );
    assert!(
        html.contains("192.168.88.51 (Front desk till · Brother)"),
        "and the till"
    );
    let (code, device, err) = c.subcommand("report", &["--host", "192.168.88.50"]);
    assert_eq!(code, 0, "{err}");
    let html = std::fs::read_to_string(device.trim()).unwrap();
    assert!(
        html.contains("Traffic of 192.168.88.50 (printer.lan · Brother)"),
        "the device report"
    );

    let log = c.log("nf-svc.log");
    assert!(log.contains("the router at http://127.0.0.1:"), "{log}");
    assert!(log.contains("gave 2 DHCP lease(s)"), "{log}");
    let everything = format!("{log}{}{}", c.stderr(), c.log("latest-summary.txt"));
    assert!(!everything.contains(PASSWORD), "the password is in no log");
}

#[test]
fn a_wrong_password_and_an_unpinned_certificate_are_said() {
    let dir = tempfile::tempdir().unwrap();
    let Some((cert, key)) = common::self_signed(dir.path(), "router", &[]) else {
        cannot_run("openssl is not installed");
        return;
    };
    let fp = Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
        .arg(&cert)
        .output()
        .unwrap();
    let fp = String::from_utf8_lossy(&fp.stdout);
    let fp = fp.trim().rsplit('=').next().unwrap().to_string();
    let (_router, port) = routeros(dir.path(), LEASES, Some((&cert, &key)));

    // No pin: refused, and the fingerprint to copy is said.
    let mut c = Collector::start(&format!(
        "[Names]\nReverseDNS = 0\nRouterOS = https://127.0.0.1:{port}\nRouterOSUser = nf-svc\nRouterOSPassword = {PASSWORD}\n"
    ));
    assert!(
        c.wait_stderr("set RouterOSCertificate = ", Duration::from_secs(15)),
        "{}",
        c.stderr()
    );
    assert!(
        c.stderr()
            .contains(&format!("set RouterOSCertificate = {fp}")),
        "{}\n{fp}",
        c.stderr()
    );
    assert!(c.interrupt().success());

    // Pinned, a wrong password: 401, said once, the password nowhere.
    let mut c = Collector::start(&format!(
        "[Names]\nReverseDNS = 0\nRouterOS = https://127.0.0.1:{port}\nRouterOSUser = nf-svc\n\
         RouterOSPassword = wrong-{PASSWORD}\nRouterOSCertificate = {fp}\n"
    ));
    let said = "refused user \"nf-svc\": wrong user name or password (HTTP 401)";
    assert!(
        c.wait_stderr(said, Duration::from_secs(15)),
        "{}",
        c.stderr()
    );
    assert!(c.interrupt().success());
    assert_eq!(c.log("nf-svc.log").matches(said).count(), 1);
    assert!(!c.stderr().contains(PASSWORD) && !c.log("nf-svc.log").contains(PASSWORD));

    // Pinned, the right password: the leases are read over HTTPS.
    let mut c = Collector::start(&format!(
        "[Names]\nReverseDNS = 0\nRouterOS = https://127.0.0.1:{port}\nRouterOSUser = nf-svc\n\
         RouterOSPassword = {PASSWORD}\nRouterOSCertificate = {}\n",
        fp.replace(':', "").to_lowercase()
    ));
    assert!(
        c.wait_stderr("gave 2 DHCP lease(s)", Duration::from_secs(15)),
        "{}",
        c.stderr()
    );
    assert!(c.interrupt().success());
}

#[test]
fn netbios_names_a_local_device_without_another_name() {
    // The device: 127.0.0.77, answering NetBIOS node status on UDP 137 (binding it needs root).
    let responder = match UdpSocket::bind("127.0.0.77:137") {
        Ok(s) => s,
        Err(e) => {
            cannot_run(&format!(
                "cannot listen on UDP 137 for the NetBIOS responder: {e}"
            ));
            return;
        }
    };
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        while let Ok((n, from)) = responder.recv_from(&mut buf) {
            if n < 50 {
                continue;
            }
            let mut a = buf[..50].to_vec();
            a[2] = 0x84;
            a[5] = 0;
            a[7] = 1;
            a.extend_from_slice(&[0, 0, 0, 0, 0, 65, 2]);
            for (name, suffix, flags) in [("WORKGROUP", 0u8, 0x84u8), ("FRONTDESK-PC", 0, 0x04)] {
                let mut e = [b' '; 18];
                e[..name.len()].copy_from_slice(name.as_bytes());
                e[15] = suffix;
                e[16] = flags;
                e[17] = 0;
                a.extend_from_slice(&e);
            }
            a.extend_from_slice(&[0; 46]);
            let _ = responder.send_to(&a, from);
        }
    });
    let mut c =
        Collector::start("[Summary]\nIntervals = 2s\n[Names]\nReverseDNS = 0\nNetBIOS = 1\n");
    let pc = (
        [127, 0, 0, 77],
        [0x00, 0x35, 0xa9, 0, 0, 77],
        [127, 0, 0, 78],
    );
    send_until(&c, &[pc], |c| {
        export_json(c, "127.0.0.77").contains("FRONTDESK-PC")
    });
    assert!(c.interrupt().success());
    let json = export_json(&c, "127.0.0.77");
    assert!(json.contains("\"name\":\"FRONTDESK-PC\""), "{json}");
    assert!(json.contains("\"vendor\":\"Juniper Networks\""), "{json}");
}

#[test]
fn a_dns_server_that_never_answers_is_said_once_and_collecting_goes_on() {
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let mut c = Collector::start(&format!(
        "[Summary]\nIntervals = 2s\n[Names]\nReverseDNS = 1\nDNSServer = 127.0.0.1:{port}\n"
    ));
    let a = ([10, 1, 2, 3], [0; 6], [10, 1, 2, 4]);
    let b = ([10, 1, 2, 5], [0; 6], [10, 1, 2, 6]);
    let said = format!("names: reverse DNS (127.0.0.1:{port}) did not answer for ");
    let said_ref = &said;
    send_until(&c, &[a, b], |c| c.stderr().contains(said_ref.as_str()));
    assert!(c.interrupt().success());
    // Every flow was counted meanwhile.
    let (code, json, _) = c.subcommand(
        "export",
        &["--sensors", "--from", "-1h", "--format", "json"],
    );
    assert_eq!(code, 0);
    assert!(json.contains("\"flows\":"), "{json}");
    let log = c.log("nf-svc.log");
    assert_eq!(
        log.matches(said.as_str()).count(),
        1,
        "said once for every address: {log}"
    );
    assert!(
        log.contains("no answer in time") || log.contains("timed out"),
        "{log}"
    );
}
