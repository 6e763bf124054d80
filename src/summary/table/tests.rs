//! The shared table: pairing, top rows, slots per interval, bounds.

use super::*;

fn flow(src: &str, sport: u16, dst: &str, dport: u16, proto: u8, bytes: u64) -> FlowRecord {
    let mut r = FlowRecord {
        kind: FlowKind::NetflowV9,
        sampler: Addr::V4([192, 168, 255, 10]),
        src_addr: Addr::from(src.parse::<std::net::IpAddr>().unwrap()),
        dst_addr: Addr::from(dst.parse::<std::net::IpAddr>().unwrap()),
        src_port: sport,
        dst_port: dport,
        proto,
        bytes,
        packets: 1,
        ..Default::default()
    };
    r.infer_etype();
    r
}

/// A DNS query from 10.0.0.1 to 10.0.1.`i`.
fn dns_to(i: u64, bytes: u64) -> FlowRecord {
    flow("10.0.0.1", 1000, &format!("10.0.1.{i}"), 53, 17, bytes)
}

fn describe(t: &Table) -> Vec<(String, String, u16, bool, u64)> {
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
    other.sampler = Addr::V4([192, 168, 255, 11]);
    t.add(&other);
    let s = t.rows(2);
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].total_rows, 5);
    assert_eq!(s[0].rows.len(), 2);
    assert_eq!(s[0].rows[0].bytes, 14);
    assert_eq!(s[0].total_bytes, 10 + 11 + 12 + 13 + 14);
    assert_eq!(s[1].sampler.to_string(), "NETFLOW_V9(192.168.255.11)");
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

#[test]
fn a_packed_key_reads_back_whole() {
    let addrs = [
        Addr::None,
        Addr::V4([192, 168, 0, 255]),
        Addr::V4([255, 255, 255, 255]),
        Addr::V6([0xff; 16]),
        Addr::V6([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
    ];
    for (i, src) in addrs.iter().enumerate() {
        for dst in &addrs {
            for reply in [false, true] {
                let k = RowKey {
                    etype: [0x0800, 0x86dd, 0xffff][i % 3],
                    proto: [6, 17, 255][i % 3],
                    any_multicast: reply ^ (i % 2 == 0),
                    port: [0, 53, 65535][i % 3],
                    src: *src,
                    dst: *dst,
                };
                let packed = k.pack(reply);
                let narrow = matches!((src, dst), (Addr::V4(_), Addr::V4(_)));
                assert_eq!(packed.width == Width::Narrow, narrow, "{k:?}");
                assert_eq!(RowKey::unpack(packed.words(), packed.width), (k, reply));
                // The reply bit is not part of the key: found either way, hashed the same.
                let other = k.pack(!reply);
                assert!(same_key(packed.words(), &other));
                let state = foldhash::fast::RandomState::default();
                assert_eq!(
                    key_hash(&state, packed.words()),
                    key_hash(&state, other.words())
                );
                let moved = RowKey {
                    port: k.port ^ 1,
                    ..k
                }
                .pack(reply);
                assert!(!same_key(packed.words(), &moved));
            }
        }
    }
}

#[test]
fn ipv4_and_ipv6_rows_pair_count_and_survive_a_drop_side_by_side() {
    let mut t = Table::with_slots(2, Vec::new());
    // A request and its reply in each family, and a quiet IPv6 conversation.
    t.add(&flow("10.0.0.1", 40000, "10.0.0.2", 8080, 6, 100));
    t.add(&flow("10.0.0.2", 8080, "10.0.0.1", 40000, 6, 1000));
    t.add(&flow("fd00::1", 40000, "fd00::2", 8080, 6, 200));
    t.add(&flow("fd00::2", 8080, "fd00::1", 40000, 6, 2000));
    t.add(&flow("fd00::9", 40000, "fd00::2", 9090, 6, 5));
    assert_eq!(t.len(), 5);
    let mut rows = describe(&t);
    rows.sort();
    assert_eq!(
        rows,
        vec![
            ("10.0.0.1".into(), "10.0.0.2".into(), 8080, false, 100),
            ("10.0.0.2".into(), "10.0.0.1".into(), 8080, true, 1000),
            ("fd00::1".into(), "fd00::2".into(), 8080, false, 200),
            ("fd00::2".into(), "fd00::1".into(), 8080, true, 2000),
            ("fd00::9".into(), "fd00::2".into(), 9090, false, 5),
        ]
    );
    // Slot 1 ends (evicting): only rows that saw traffic in it stay. Before that, slot 1
    // counts the busy conversations once more; the quiet one was cleared with slot 0.
    t.reset_slot(0, false);
    t.reset_slot(1, false);
    for r in [
        flow("10.0.0.2", 8080, "10.0.0.1", 40000, 6, 1),
        flow("fd00::2", 8080, "fd00::1", 40000, 6, 2),
    ] {
        t.add(&r);
    }
    t.reset_slot(1, true);
    assert_eq!(t.len(), 2, "the request rows and the quiet one went");
    // The rows that stayed are found again after the arenas were packed: no new rows.
    t.add(&flow("10.0.0.2", 8080, "10.0.0.1", 40000, 6, 10));
    t.add(&flow("fd00::2", 8080, "fd00::1", 40000, 6, 20));
    assert_eq!(t.len(), 2);
    let mut rows = describe(&t);
    rows.sort();
    assert_eq!(
        rows,
        vec![
            ("10.0.0.2".into(), "10.0.0.1".into(), 8080, true, 11),
            ("fd00::2".into(), "fd00::1".into(), 8080, true, 22),
        ]
    );
    // What the dropped rows counted moved to "other" in the slot they were in.
    let other: u64 = t
        .rows_for(0, 10)
        .iter()
        .filter_map(|s| s.other)
        .map(|o| o.bytes)
        .sum();
    assert_eq!(other, 0, "slot 0 was cleared before the drop");
}

/// The prefetch reads hashbrown's layout from the outside (ids below the control bytes, a
/// probe starting at the hash's low bits); this holds it to that, so a hashbrown that moved
/// things fails here instead of quietly losing the speed.
#[test]
fn prefetch_points_where_lookups_read() {
    let mut t = Table::with_slots(2, Vec::new());
    let check = |t: &Table, rows: usize| {
        let st = t.samplers.values().next().expect("one exporter");
        let buckets = st.index.num_buckets();
        let mut near_home = 0;
        let mut seen = 0;
        for w in Width::BOTH {
            for (i, r) in st.arenas[w as usize].chunks_exact(stride(w, 2)).enumerate() {
                let id = row_id(w, i);
                let hash = key_hash(&t.state, &r[..w.key_words()]);
                let b = st
                    .index
                    .find_bucket_index(hash, |&j| j == id)
                    .expect("indexed");
                let at = st.index.get_bucket(b).unwrap() as *const u32 as usize;
                assert_eq!(
                    at,
                    st.lines.id_place(b),
                    "row {i}: its id where the prefetch looks"
                );
                let home = hash as usize & (buckets - 1);
                near_home += usize::from((b + buckets - home) % buckets < 16);
                seen += 1;
            }
        }
        assert_eq!(seen, rows);
        assert!(
            near_home * 100 >= rows * 90,
            "{near_home} of {rows} rows in their home group"
        );
    };
    for i in 0..50_000u32 {
        let mut r = flow("10.0.0.1", 40000, "10.0.0.2", 443, 6, u64::from(i % 7 == 1));
        // Scattered addresses: with some seeds foldhash's low bits bunch runs of
        // consecutive ones, and rows then sit far from home for that reason alone.
        r.src_addr = Addr::V4(i.wrapping_mul(2_654_435_761).to_be_bytes());
        if i % 10 == 0 {
            r.dst_addr = Addr::V6((0xfd00_u128 << 112 | i as u128).to_be_bytes());
            r.infer_etype();
        }
        t.add(&r);
    }
    check(&t, 50_000);
    // Rows without bytes in slot 1 go at its end (six in seven): the index is built anew, in
    // memory of its own size.
    let before = t.samplers.values().next().unwrap().lines;
    t.reset_slot(1, true);
    assert_eq!(t.len(), 7143);
    assert_ne!(
        t.samplers.values().next().unwrap().lines,
        before,
        "the index moved"
    );
    check(&t, 7143);
}
