//! The alert engine on a controlled clock.

use super::*;
use crate::flow::{FlowKind, FlowRecord};
use crate::settings::alerts::HostRule;

fn t(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
}

fn cfg() -> AlertSettings {
    AlertSettings {
        window: Duration::from_secs(60),
        source: None,
        destination: None,
        sensor: None,
        hosts: vec![],
        spike_factor: 0.0,
        spike_floor: Rate::Bits(1e6),
        baseline: Duration::from_secs(3600),
        silent_after: Duration::from_secs(600),
        cooldown: Duration::from_secs(900),
    }
}

fn flow(src: [u8; 4], dst: [u8; 4], dport: u16, bytes: u64) -> FlowRecord {
    FlowRecord {
        kind: FlowKind::NetflowV9,
        sampler: Addr::V4([192, 168, 255, 10]),
        src_addr: Addr::V4(src),
        dst_addr: Addr::V4(dst),
        src_port: 50000,
        dst_port: dport,
        proto: 17,
        bytes,
        packets: bytes / 1000 + 1,
        ..Default::default()
    }
}

/// Tick every 10 s from `from` to `to` (inclusive), collecting alerts.
fn run(e: &mut AlertEngine, from: u64, to: u64) -> Vec<(u64, Alert)> {
    let mut out = Vec::new();
    let mut s = from;
    while s <= to {
        for a in e.tick(t(s)) {
            out.push((s, a));
        }
        s += 10;
    }
    out
}

const PRINTER: [u8; 4] = [192, 168, 0, 82];
const BCAST: [u8; 4] = [192, 168, 0, 255];

#[test]
fn a_limit_is_crossed_or_not() {
    let mut e = AlertEngine::new(AlertSettings {
        source: Some(Rate::Bits(1e6)),
        ..cfg()
    });
    assert!(e.enabled());
    // 5 MB in a minute is 0.67 Mbit/s: under the limit.
    e.add(&flow(PRINTER, BCAST, 137, 5_000_000), t(0));
    assert!(run(&mut e, 10, 40).is_empty());
    // Another 5 MB while the first is still in the window: 1.33 Mbit/s.
    e.add(&flow(PRINTER, BCAST, 137, 5_000_000), t(45));
    let a = run(&mut e, 50, 50);
    assert_eq!(a.len(), 1, "{a:?}");
    let a = &a[0].1;
    assert_eq!(a.kind, AlertKind::Started);
    assert_eq!(a.rule, Some(Rule::SourceLimit));
    assert_eq!(a.name, "192.168.0.82");
    let (title, body) = a.toast();
    assert_eq!(title, "Traffic alert: 192.168.0.82");
    assert!(
        body.starts_with(
            "192.168.0.82 sends 1.3 Mbit/s to 192.168.0.255 netbios-ns — above the 1.0 Mbit/s limit"
        ),
        "{body}"
    );
    assert!(a.log_line().starts_with("ALERT [SourceRate] 192.168.0.82 sends 1.3 Mbit/s to 192.168.0.255 netbios-ns, limit 1.0 Mbit/s since "));
}

#[test]
fn the_window_edge_ends_the_alert_with_duration_bytes_and_peak() {
    let mut e = AlertEngine::new(AlertSettings {
        source: Some(Rate::Bits(1e6)),
        ..cfg()
    });
    e.add(&flow(PRINTER, BCAST, 137, 10_000_000), t(0));
    let a = run(&mut e, 10, 200);
    assert_eq!(a.len(), 2, "{a:?}");
    assert_eq!((a[0].0, &a[0].1.kind), (10, &AlertKind::Started));
    // The burst leaves the 60-second window six ticks later.
    assert_eq!(a[1].0, 70);
    assert_eq!(
        a[1].1.kind,
        AlertKind::Ended {
            duration: Duration::from_secs(60)
        }
    );
    assert_eq!(a[1].1.bytes, 10_000_000);
    assert!(matches!(a[1].1.peak, Rate::Bits(b) if (b - 10e6 * 8.0 / 60.0).abs() < 1.0));
    let (title, body) = a[1].1.toast();
    assert_eq!(title, "Back to normal: 192.168.0.82");
    assert_eq!(
        body,
        "192.168.0.82 is back to normal after 1 min 0 s: 10 MB in total, peak 1.3 Mbit/s"
    );
    assert!(a[1].1.log_line().contains("10000000 bytes in total"));
}

#[test]
fn cooldown_keeps_a_retrigger_quiet() {
    let mut e = AlertEngine::new(AlertSettings {
        source: Some(Rate::Bits(1e6)),
        ..cfg()
    });
    e.add(&flow(PRINTER, BCAST, 137, 10_000_000), t(0));
    let first = run(&mut e, 10, 100);
    assert_eq!(first.len(), 2);
    assert!(!first[0].1.quiet);
    // Again 5 minutes after it ended: within the 15-minute cooldown.
    e.add(&flow(PRINTER, BCAST, 137, 10_000_000), t(395));
    let again = run(&mut e, 400, 400);
    assert_eq!(again.len(), 1);
    assert!(again[0].1.quiet, "not announced again");
    assert!(
        again[0]
            .1
            .log_line()
            .starts_with("ALERT (again, within cooldown)")
    );
    run(&mut e, 410, 500);
    // After the cooldown it is announced.
    e.add(&flow(PRINTER, BCAST, 137, 10_000_000), t(1500));
    let later = run(&mut e, 1510, 1510);
    assert_eq!(later.len(), 1);
    assert!(!later[0].1.quiet);
}

#[test]
fn spikes_need_a_learned_baseline_and_the_floor() {
    let mut e = AlertEngine::new(AlertSettings {
        spike_factor: 5.0,
        ..cfg()
    });
    // A burst from a host never seen before: no baseline, no absolute limit, no alert.
    e.add(&flow([10, 0, 0, 9], BCAST, 137, 50_000_000), t(0));
    assert!(
        run(&mut e, 10, 100).is_empty(),
        "no alert before a baseline exists"
    );

    let mut e = AlertEngine::new(AlertSettings {
        spike_factor: 5.0,
        ..cfg()
    });
    // The printer chats at ~13 kbit/s for an hour: 100 kB a minute.
    let mut s = 0;
    while s < 3700 {
        e.add(&flow(PRINTER, [192, 168, 0, 1], 631, 16_667), t(s));
        assert!(
            e.tick(t(s + 10)).is_empty(),
            "steady traffic never alerts (t={s})"
        );
        s += 10;
    }
    // 600 kB in a minute (80 kbit/s): 6× the usual rate, but under the 1 Mbit/s floor.
    e.add(&flow(PRINTER, BCAST, 137, 600_000), t(3705));
    assert!(e.tick(t(3710)).is_empty(), "under the floor");
    // Then it sends 50 MB: far above both.
    e.add(&flow(PRINTER, BCAST, 137, 50_000_000), t(3715));
    let a = e.tick(t(3720));
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(a[0].rule, Some(Rule::Spike));
    let m = a[0].multiple.unwrap();
    assert!(m > 100.0, "{m}");
    let (_, body) = a[0].toast();
    assert!(
        body.contains(" Mbit/s to 192.168.0.255 netbios-ns — "),
        "{body}"
    );
    assert!(body.ends_with("× its usual rate"), "{body}");
}

#[test]
fn sampled_flows_count_at_their_scaled_size() {
    let mut e = AlertEngine::new(AlertSettings {
        source: Some(Rate::Bits(1e6)),
        ..cfg()
    });
    let mut f = flow(PRINTER, BCAST, 137, 100_000);
    f.apply_sampling(100); // the sensor saw 1 in 100 packets: 10 MB really
    e.add(&f, t(0));
    assert_eq!(run(&mut e, 10, 10).len(), 1);
}

#[test]
fn several_hosts_destinations_packets_and_named_hosts() {
    let mut e = AlertEngine::new(AlertSettings {
        source: Some(Rate::Bits(1e6)),
        destination: Some(Rate::Packets(100.0)),
        hosts: vec![HostRule {
            addr: "192.168.0.50".parse().unwrap(),
            rate: Rate::Bits(100e3),
            label: Some("Till".into()),
        }],
        ..cfg()
    });
    e.add(&flow(PRINTER, BCAST, 137, 10_000_000), t(0));
    e.add(
        &flow([192, 168, 0, 83], [224, 0, 0, 251], 5353, 10_000_000),
        t(1),
    );
    e.add(
        &flow([192, 168, 0, 50], [10, 0, 0, 1], 443, 1_000_000),
        t(2),
    );
    let a: Vec<Alert> = run(&mut e, 10, 10).into_iter().map(|x| x.1).collect();
    let mut names: Vec<(String, Option<Rule>)> =
        a.iter().map(|a| (a.name.clone(), a.rule)).collect();
    names.sort_by(|x, y| {
        x.0.cmp(&y.0)
            .then(format!("{:?}", x.1).cmp(&format!("{:?}", y.1)))
    });
    assert_eq!(
        names,
        vec![
            ("192.168.0.255".to_string(), Some(Rule::DestinationLimit)),
            ("192.168.0.50 (Till)".to_string(), Some(Rule::HostLimit)),
            ("192.168.0.82".to_string(), Some(Rule::SourceLimit)),
            ("192.168.0.83".to_string(), Some(Rule::SourceLimit)),
            ("224.0.0.251".to_string(), Some(Rule::DestinationLimit)),
        ]
    );
    let till = a.iter().find(|a| a.rule == Some(Rule::HostLimit)).unwrap();
    assert!(
        till.toast().1.starts_with(
            "192.168.0.50 (Till) sends 133 kbit/s to 10.0.0.1 quic — above the 100 kbit/s limit"
        ),
        "{}",
        till.toast().1
    );
    let dst = a.iter().find(|a| a.name == "224.0.0.251").unwrap();
    assert!(
        dst.toast()
            .1
            .starts_with("224.0.0.251 receives 167 pps from 192.168.0.83 mdns"),
        "{}",
        dst.toast().1
    );
    assert_eq!(e.active().len(), 5);
}

#[test]
fn nothing_to_do_when_idle_and_silent_sensor_messages() {
    let mut e = AlertEngine::new(AlertSettings {
        source: Some(Rate::Bits(1e6)),
        ..cfg()
    });
    assert_eq!(e.next_tick(), None, "no traffic, no wake-ups");
    e.add(&flow(PRINTER, BCAST, 137, 1000), t(0));
    assert_eq!(e.next_tick(), Some(t(10)));
    let c = AlertSettings {
        hosts: vec![HostRule {
            addr: "192.168.255.10".parse().unwrap(),
            rate: Rate::Bits(1e9),
            label: Some("MikroTik".into()),
        }],
        ..cfg()
    };
    let s = sensor_silent("192.168.255.10".parse().unwrap(), t(0), &c);
    assert_eq!(s.toast().0, "Sensor silent: 192.168.255.10 (MikroTik)");
    assert!(
        s.log_line()
            .starts_with("SENSOR SILENT 192.168.255.10 (MikroTik): nothing received since ")
    );
    assert_eq!(
        sensor_back("192.168.255.10".parse().unwrap(), &c).log_line(),
        "SENSOR BACK 192.168.255.10 (MikroTik): sends again"
    );
}
