//! The shared table: the pairing rule here; slots, top rows and bounds in [`slots`]; the
//! packed keys, arenas and prefetch in [`layout`].

use super::*;

mod layout;
mod slots;

pub(super) use crate::testkit::flow;

/// A DNS query from 10.0.0.1 to 10.0.1.`i`.
pub(super) fn dns_to(i: u64, bytes: u64) -> FlowRecord {
    flow("10.0.0.1", 1000, &format!("10.0.1.{i}"), 53, 17, bytes)
}

pub(super) fn describe(t: &Table) -> Vec<(String, String, u16, bool, u64)> {
    t.rows(100)
        .into_iter()
        .flat_map(|s| s.rows)
        .map(|r| {
            (
                r.src.to_string(),
                r.dst.to_string(),
                r.port,
                r.reply,
                r.bytes,
            )
        })
        .collect()
}

#[test]
fn reply_is_folded_under_the_service_port() {
    let mut t = Table::new();
    t.add(&flow(
        "192.168.255.80",
        47141,
        "192.168.255.1",
        5007,
        6,
        370,
    ));
    t.add(&flow(
        "192.168.255.1",
        5007,
        "192.168.255.80",
        47141,
        6,
        478,
    ));
    t.add(&flow("192.168.255.80", 47142, "192.168.255.1", 5007, 6, 30));
    assert_eq!(
        describe(&t),
        vec![
            (
                "192.168.255.1".into(),
                "192.168.255.80".into(),
                5007,
                true,
                478
            ),
            (
                "192.168.255.80".into(),
                "192.168.255.1".into(),
                5007,
                false,
                400
            ),
        ]
    );
}

#[test]
fn a_reply_seen_first_still_names_the_service_port() {
    let mut t = Table::new();
    t.add(&flow("10.0.0.1", 80, "10.0.0.2", 40001, 6, 6240));
    t.add(&flow("10.0.0.2", 40001, "10.0.0.1", 80, 6, 840));
    assert_eq!(
        describe(&t),
        vec![
            ("10.0.0.1".into(), "10.0.0.2".into(), 80, true, 6240),
            ("10.0.0.2".into(), "10.0.0.1".into(), 80, false, 840),
        ]
    );
    // Both ports unknown: the first seen decides, as before.
    let mut t = Table::new();
    t.add(&flow("10.0.0.1", 5007, "10.0.0.2", 47141, 6, 10));
    assert_eq!(
        describe(&t),
        vec![("10.0.0.1".into(), "10.0.0.2".into(), 47141, false, 10)]
    );
}

#[test]
fn unicast_answers_to_multicast_are_replies() {
    let mut t = Table::new();
    t.add(&flow(
        "192.168.0.20",
        63710,
        "239.255.255.250",
        1900,
        17,
        495,
    ));
    t.add(&flow("192.168.0.1", 1900, "192.168.0.20", 63710, 17, 300));
    t.add(&flow("192.168.0.7", 1900, "192.168.0.20", 63710, 17, 200));
    let rows = describe(&t);
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows[0],
        (
            "192.168.0.20".into(),
            "239.255.255.250".into(),
            1900,
            false,
            495
        )
    );
    assert!(rows[1..].iter().all(|r| r.3 && r.2 == 1900));
}

#[test]
fn rows_survive_one_empty_interval_for_pairing_then_go() {
    let mut t = Table::new();
    t.add(&flow("10.0.0.1", 40000, "10.0.0.2", 5007, 6, 100));
    t.reset();
    assert!(t.is_empty());
    // The reply arrives in the next interval and still pairs.
    t.add(&flow("10.0.0.2", 5007, "10.0.0.1", 40000, 6, 900));
    assert_eq!(
        describe(&t),
        vec![("10.0.0.2".into(), "10.0.0.1".into(), 5007, true, 900)]
    );
    t.reset();
    t.reset();
    // Both rows are gone: the same flow is now a request of its own.
    t.add(&flow("10.0.0.2", 5007, "10.0.0.1", 40000, 6, 5));
    assert_eq!(
        describe(&t),
        vec![("10.0.0.2".into(), "10.0.0.1".into(), 40000, false, 5)]
    );
}

#[test]
fn a_conversation_keeps_the_direction_it_was_first_seen_in() {
    let mut t = Table::new();
    t.add(&flow("10.0.0.1", 40001, "10.0.0.2", 8080, 6, 100));
    // Later the other host opens a connection to the client's port: a request of its own,
    // and the mirror of the first conversation.
    t.add(&flow("10.0.0.2", 9999, "10.0.0.1", 40001, 6, 5));
    // The first conversation goes on: still a request to 8080, not a reply from 40001.
    t.add(&flow("10.0.0.1", 40001, "10.0.0.2", 8080, 6, 50));
    let mut rows = describe(&t);
    rows.sort();
    assert_eq!(
        rows,
        vec![
            ("10.0.0.1".into(), "10.0.0.2".into(), 8080, false, 150),
            ("10.0.0.2".into(), "10.0.0.1".into(), 40001, false, 5),
        ]
    );
}

#[test]
fn tracking_clients_are_always_replies() {
    let mut t = Table::with_slots(1, vec![Addr::V4([192, 168, 255, 1])]);
    t.add(&flow("192.168.255.1", 5007, "192.168.255.80", 47141, 6, 10));
    assert_eq!(
        describe(&t),
        vec![(
            "192.168.255.1".into(),
            "192.168.255.80".into(),
            5007,
            true,
            10
        )]
    );
}
