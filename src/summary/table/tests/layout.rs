//! Packed keys, the two arenas side by side, and the prefetch against hashbrown's layout.

use super::super::arena::row_id;
use super::super::key::same_key;
use super::super::*;
use super::{describe, flow};

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
        let st = t.exporters.values().next().expect("one exporter");
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
        // Most rows sit within a group of their home (the probe start the prefetch fetches).
        // How many depends on the table's random hash seed: 89-99 % in runs, hence 85.
        assert!(
            near_home * 100 >= rows * 85,
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
    let before = t.exporters.values().next().unwrap().lines;
    t.reset_slot(1, true);
    assert_eq!(t.len(), 7143);
    assert_ne!(
        t.exporters.values().next().unwrap().lines,
        before,
        "the index moved"
    );
    check(&t, 7143);
}
