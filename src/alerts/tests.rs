//! The alert engine on a controlled clock. These check the data an incident carries; how
//! it is worded is tested beside the wording (`output::wording`).

use super::*;
use crate::flow::{Addr, FlowRecord};
use crate::settings::alerts::{AlertSettings, HostRule, Rate};
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

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
        packets: bytes / 1000 + 1,
        ..crate::testkit::flow_v4(src, 50000, dst, dport, 17, bytes)
    }
}

/// Tick every 10 s from `from` to `to` (inclusive), collecting alerts.
fn run(e: &mut AlertEngine, from: u64, to: u64) -> Vec<(u64, Incident)> {
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

fn ip(a: [u8; 4]) -> IpAddr {
    IpAddr::from(a)
}

fn bits(r: Rate) -> f64 {
    match r {
        Rate::Bits(b) => b,
        Rate::Packets(_) => panic!("{r:?} is not bit/s"),
    }
}

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
    assert_eq!(a.phase, Phase::Started);
    assert_eq!(a.rule, Rule::SourceLimit);
    assert_eq!((a.host, a.label.as_deref()), (ip(PRINTER), None));
    assert_eq!(a.sensor, ip([192, 168, 255, 10]));
    assert_eq!(a.start, t(50));
    assert!(
        (bits(a.rate) - 10e6 * 8.0 / 60.0).abs() < 1.0,
        "{:?}",
        a.rate
    );
    assert_eq!(a.limit, Rate::Bits(1e6));
    assert_eq!(a.usual, None);
    let peer = a.peer.unwrap();
    assert_eq!(
        (peer.addr, peer.proto, peer.port),
        (Addr::V4(BCAST), 17, 137)
    );
    assert!(!a.quiet);
    assert_eq!(e.active().len(), 1, "open while the rate stays above");
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
    assert_eq!((a[0].0, a[0].1.phase), (10, Phase::Started));
    // The burst leaves the 60-second window six ticks later.
    assert_eq!(a[1].0, 70);
    assert_eq!(a[1].1.phase, Phase::Ended { end: t(70) });
    assert_eq!(a[1].1.duration(), Some(Duration::from_secs(60)));
    assert_eq!(a[1].1.bytes, 10_000_000);
    assert!((bits(a[1].1.peak) - 10e6 * 8.0 / 60.0).abs() < 1.0);
    assert_eq!(bits(a[1].1.rate), 0.0, "the rate when it ended");
    assert!(e.active().is_empty());
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
    assert_eq!(a[0].rule, Rule::Spike);
    let usual = bits(a[0].usual.unwrap());
    // An exponential average with a 1-hour time constant, an hour in: ~64 % of the steady
    // 13.3 kbit/s.
    let steady = 16_667.0 * 8.0 / 10.0;
    assert!(usual > 0.55 * steady && usual < 0.75 * steady, "{usual}");
    assert_eq!(bits(a[0].limit), 1e6, "5 × usual is under the floor");
    let m = a[0].multiple().unwrap();
    assert!(m > 100.0, "{m}");
    assert_eq!(a[0].peer.unwrap().addr, Addr::V4(BCAST));
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
    let a: Vec<Incident> = run(&mut e, 10, 10).into_iter().map(|x| x.1).collect();
    let mut got: Vec<(IpAddr, Option<&str>, Rule, Direction)> = a
        .iter()
        .map(|a| (a.host, a.label.as_deref(), a.rule, a.direction))
        .collect();
    got.sort_by_key(|g| (g.0, g.2));
    assert_eq!(
        got,
        vec![
            (
                ip([192, 168, 0, 50]),
                None, // named by the pipeline (crate::names), not by the engine
                Rule::HostLimit,
                Direction::From
            ),
            (
                ip([192, 168, 0, 82]),
                None,
                Rule::SourceLimit,
                Direction::From
            ),
            (
                ip([192, 168, 0, 83]),
                None,
                Rule::SourceLimit,
                Direction::From
            ),
            (ip(BCAST), None, Rule::DestinationLimit, Direction::To),
            (
                ip([224, 0, 0, 251]),
                None,
                Rule::DestinationLimit,
                Direction::To
            ),
        ]
    );
    let till = a.iter().find(|a| a.rule == Rule::HostLimit).unwrap();
    assert!((bits(till.rate) - 1e6 * 8.0 / 60.0).abs() < 1.0);
    assert_eq!(till.limit, Rate::Bits(100e3));
    let p = till.peer.unwrap();
    assert_eq!((p.addr, p.port), (Addr::V4([10, 0, 0, 1]), 443));
    let mdns = a.iter().find(|a| a.host == ip([224, 0, 0, 251])).unwrap();
    assert_eq!(mdns.rate, Rate::Packets(10_001.0 / 60.0));
    assert_eq!(
        mdns.peer.unwrap().addr,
        Addr::V4([192, 168, 0, 83]),
        "who sent it"
    );
    assert_eq!(e.active().len(), 5);
}

#[test]
fn nothing_to_do_when_idle() {
    let mut e = AlertEngine::new(AlertSettings {
        source: Some(Rate::Bits(1e6)),
        ..cfg()
    });
    assert_eq!(e.next_tick(), None, "no traffic, no wake-ups");
    e.add(&flow(PRINTER, BCAST, 137, 1000), t(0));
    assert_eq!(e.next_tick(), Some(t(10)));
    // Nothing above any rule for a long time: the idle host is forgotten, and the engine
    // stops asking to be woken.
    let mut s = 10;
    while e.next_tick().is_some() && s < 10_000 {
        e.tick(t(s));
        s += 10;
    }
    assert_eq!(
        e.next_tick(),
        None,
        "idle hosts are forgotten, no more wake-ups"
    );
    assert!(s < 10_000);
}

/// An engine fed 25,001 hosts at t(1): each flow counts for its source and its destination,
/// so 25,000 sources and one destination; those past the bound are counted as unchecked.
fn past_the_bound() -> AlertEngine {
    let mut e = AlertEngine::new(cfg());
    for i in 0..25_000u32 {
        let b = i.to_be_bytes();
        e.add(
            &flow([10, b[1], b[2], b[3]], [192, 168, 0, 1], 53, 100),
            t(1),
        );
    }
    assert_eq!(e.take_unchecked(), 25_001 - AlertEngine::MAX_HOSTS as u64);
    // The bound in bytes: the entries and their index, no empty half.
    assert!(e.bytes() < 4_000_000, "{} bytes at the bound", e.bytes());
    e
}

#[test]
fn hosts_past_the_bound_in_one_tick_are_counted_as_unchecked() {
    let mut e = past_the_bound();
    assert_eq!(e.take_unchecked(), 0, "said once");
}

#[test]
fn past_the_bound_new_hosts_stay_unchecked_until_quiet_ones_are_forgotten() {
    let mut e = past_the_bound();
    e.tick(t(10));
    // The next step: a new source is past the bound too (its destination is tracked).
    e.add(&flow([172, 16, 0, 1], [192, 168, 0, 1], 53, 100), t(11));
    assert_eq!(e.take_unchecked(), 1, "still full after a tick");
    // Quiet for longer than the baseline, and the window empty: the hosts are forgotten and
    // room returns (six buckets a window: seven steps empty it).
    for s in 0..7 {
        e.tick(t(3700 + 10 * s));
    }
    e.add(&flow([172, 16, 0, 1], [192, 168, 0, 1], 53, 100), t(3800));
    assert_eq!(e.take_unchecked(), 0, "room again");
    assert!(e.bytes() < 100_000, "{} bytes after the flood", e.bytes());
    // The hosts still tracked are found again, and a flow counts on them.
    e.add(&flow([172, 16, 0, 1], [192, 168, 0, 1], 53, 100), t(3801));
    e.add(&flow([172, 16, 0, 2], [192, 168, 0, 1], 53, 100), t(3801));
    assert_eq!(e.take_unchecked(), 0);
}
