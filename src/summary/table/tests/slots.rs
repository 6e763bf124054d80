//! Slots per interval, top rows per exporter, and the table's bound on rows.

use super::super::*;
use super::{dns_to, flow};

#[test]
fn slots_count_apart_and_only_the_longest_evicts() {
    let mut t = Table::with_slots(2, vec![]);
    t.add(&flow("10.0.0.1", 40000, "10.0.0.2", 5007, 6, 100));
    t.reset_slot(0, false);
    t.add(&flow("10.0.0.1", 40000, "10.0.0.2", 5007, 6, 5));
    assert_eq!(t.rows_for(0, 10)[0].total_bytes, 5);
    assert_eq!(t.rows_for(1, 10)[0].total_bytes, 105);
    // Slot 0 empty for a period: the row stays while slot 1 still saw it.
    t.reset_slot(0, false);
    t.reset_slot(0, false);
    assert!(t.rows_for(0, 10).is_empty());
    t.add(&flow("10.0.0.2", 5007, "10.0.0.1", 40000, 6, 7));
    assert!(
        t.rows_for(0, 10)[0].rows[0].reply,
        "pairs with the row kept for slot 1"
    );
    // Remap: the old slot 1 becomes slot 0, a new empty slot 1.
    t.remap_slots(&[Some(1), None]);
    assert_eq!(t.rows_for(0, 10)[0].total_bytes, 112);
    assert!(t.rows_for(1, 10).is_empty());
}

#[test]
fn exporters_are_kept_apart_and_top_is_cut() {
    let mut t = Table::new();
    for i in 0..5u64 {
        t.add(&dns_to(i, 10 + i));
    }
    let mut other = flow("10.0.0.1", 1000, "10.0.1.0", 53, 17, 7);
    other.exporter = Addr::V4([192, 168, 255, 11]);
    t.add(&other);
    let s = t.rows(2);
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].total_rows, 5);
    assert_eq!(s[0].rows.len(), 2);
    assert_eq!(s[0].rows[0].bytes, 14);
    assert_eq!(s[0].total_bytes, 10 + 11 + 12 + 13 + 14);
    assert_eq!(s[1].exporter.to_string(), "NETFLOW_V9(192.168.255.11)");
}

#[test]
fn a_full_table_counts_new_conversations_as_other_and_makes_room_at_the_longest_end() {
    let mut t = Table::with_slots(2, Vec::new()).with_max_rows(3);
    // Three conversations fill it; the big one stays on top.
    t.add(&flow("10.0.0.1", 1000, "10.0.1.1", 53, 17, 5000));
    t.add(&flow("10.0.0.1", 1000, "10.0.1.2", 53, 17, 10));
    t.add(&flow("10.0.0.1", 1000, "10.0.1.3", 53, 17, 20));
    assert_eq!(t.take_full(), None);
    for i in 4..104u64 {
        t.add(&flow("10.0.0.1", 1000, &format!("10.0.2.{i}"), 53, 17, 1));
    }
    // Known conversations still count on their rows.
    t.add(&flow("10.0.0.1", 1000, "10.0.1.2", 53, 17, 5));
    assert_eq!(t.len(), 3);
    assert_eq!(t.take_full(), Some(100));
    assert_eq!(t.take_full(), None, "said once");
    let s = t.rows_for(0, 2);
    assert_eq!(s[0].rows[0].bytes, 5000);
    assert_eq!(s[0].rows[1].bytes, 20);
    assert_eq!(s[0].total_rows, 3);
    assert_eq!(
        s[0].other,
        Some(Other {
            bytes: 100,
            packets: 100
        })
    );
    assert_eq!(s[0].total_bytes, 5000 + 15 + 20 + 100);

    // The shorter interval ends: its counters go, the rows stay.
    t.reset_slot(0, false);
    assert_eq!(t.rows_for(0, 2).len(), 0);
    assert_eq!(t.rows_for(1, 2)[0].other.unwrap().bytes, 100);
    // The longest ends with traffic only on one row: the others go and room returns.
    t.add(&flow("10.0.0.1", 1000, "10.0.1.1", 53, 17, 1));
    t.reset_slot(1, true);
    t.reset_slot(1, true);
    assert_eq!(t.len(), 0);
    t.add(&flow("10.0.0.9", 1000, "10.0.1.9", 53, 17, 1));
    assert_eq!(t.len(), 1);
    // The byte 10.0.1.1 sent in the short interval's current period left with its row: it is
    // in that period's "other" line, not lost.
    assert_eq!(
        t.rows_for(0, 2)[0].other,
        Some(Other {
            bytes: 1,
            packets: 1
        })
    );
    assert_eq!(t.rows_for(0, 2)[0].total_bytes, 2);
}

#[test]
fn a_full_table_makes_room_from_the_small_quiet_conversations_when_the_shortest_ends() {
    // Two intervals: slot 0 short, slot 1 long. Eight rows fill it.
    let mut t = Table::with_slots(2, Vec::new()).with_max_rows(8);
    for i in 1..=8u64 {
        t.add(&dns_to(i, i * 100));
    }
    // The short period ends; in the next one only .7 and .8 talk.
    assert_eq!(
        t.make_room(0, 1),
        0,
        "busy in the period that ended: nothing to give up"
    );
    t.reset_slot(0, false);
    for i in 7..=8u64 {
        t.add(&dns_to(i, 1));
    }
    t.add(&flow("10.0.0.1", 1000, "10.0.1.9", 53, 17, 50));
    assert_eq!(t.take_full(), Some(1), "the newcomer found the table full");
    // That period ends: a quarter of the table (2 rows) goes, the smallest of the quiet ones
    // (.1 and .2); the rest stay, and the long interval's totals stay whole.
    let total = t.rows_for(1, 10)[0].total_bytes;
    assert_eq!(t.make_room(0, 1), 2);
    t.reset_slot(0, false);
    let long = &t.rows_for(1, 10)[0];
    assert_eq!(long.total_bytes, total);
    assert_eq!(long.other.unwrap().bytes, 50 + 100 + 200);
    let named: Vec<String> = long.rows.iter().map(|r| r.dst.to_string()).collect();
    assert!(!named.contains(&"10.0.1.1".to_string()) && named.contains(&"10.0.1.3".to_string()));
    // A new conversation gets a row of its own again.
    t.add(&flow("10.0.0.1", 1000, "10.0.1.9", 53, 17, 50));
    assert_eq!(t.take_full(), None);
    assert_eq!(t.rows_for(0, 10)[0].rows[0].dst.to_string(), "10.0.1.9");
    // Not full: nothing is given up.
    assert_eq!(t.make_room(0, 1), 0);
}

#[test]
fn a_million_conversations_in_one_interval_stay_within_the_bound() {
    let mut t = Table::new();
    let mut sent = 0u64;
    for i in 0..1_000_000u32 {
        let mut r = flow("10.0.0.1", 1000, "10.0.0.2", 53, 17, 3);
        r.src_addr = Addr::V4((0x0a00_0000 + i).to_be_bytes());
        r.src_port = 40_000 + (i % 7) as u16;
        t.add(&r);
        sent += 3;
    }
    assert_eq!(t.len(), MAX_ROWS);
    assert_eq!(t.take_full(), Some(1_000_000 - MAX_ROWS as u64));
    let s = t.rows(10);
    assert_eq!(s[0].total_bytes, sent, "nothing lost from the totals");
    // The bound in bytes, as the maps and the arena hold them: three intervals (the
    // defaults and the history's five minutes), and at most.
    assert_eq!(
        stride(Width::Narrow, 1) * 8,
        32,
        "an IPv4 row of one slot: its key and one counter"
    );
    assert!(t.bytes() < 7 << 20, "{} bytes, one slot", t.bytes());
    let mut t = Table::with_slots(3, Vec::new());
    for i in 0..1_000_000u32 {
        let mut r = flow("10.0.0.1", 1000, "10.0.0.2", 53, 17, 3);
        r.src_addr = Addr::V4((0x0a00_0000 + i).to_be_bytes());
        t.add(&r);
    }
    assert!(t.bytes() < 11 << 20, "{} bytes, three slots", t.bytes());
    let mut t = Table::with_slots(MAX_SLOTS, Vec::new());
    for i in 0..1_000_000u32 {
        let mut r = flow("10.0.0.1", 1000, "10.0.0.2", 53, 17, 3);
        r.src_addr = Addr::V6((0xfd00_u128 << 112 | i as u128).to_be_bytes());
        r.infer_etype();
        t.add(&r);
    }
    assert_eq!(t.len(), MAX_ROWS);
    assert!(t.bytes() < 22 << 20, "{} bytes, every slot", t.bytes());
    // The rows go at the longest interval's end, and their memory with them.
    t.reset_slot(MAX_SLOTS - 1, true);
    t.reset_slot(MAX_SLOTS - 1, true);
    assert_eq!(t.len(), 0);
    assert!(t.bytes() < 64 << 10, "{} bytes after", t.bytes());
}
