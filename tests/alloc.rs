//! No allocation per record on the hot path: once a conversation's row exists, counting a flow
//! in every interval and formatting its dump line allocate nothing.

use nf_svc::flow::{Addr, FlowKind, FlowRecord};
use nf_svc::summary::Summaries;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

struct Counting;
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Set on the test's own thread while it measures: the test harness's main thread
    /// allocates too (its bookkeeping of the running test), at a moment a busy machine may
    /// put inside the measured loop — CI saw 4 such allocations once.
    static MEASURING: Cell<bool> = const { Cell::new(false) };
}

fn count() {
    if MEASURING.try_with(Cell::get).unwrap_or(false) {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn counting_and_dumping_a_known_flow_allocates_nothing() {
    let flows: Vec<FlowRecord> = (0..64u8)
        .map(|i| FlowRecord {
            kind: FlowKind::NetflowV9,
            exporter: Addr::V4([192, 168, 255, 10]),
            src_addr: Addr::V4([192, 168, 0, i]),
            dst_addr: if i % 2 == 0 {
                Addr::V4([224, 0, 0, 251])
            } else {
                Addr::V6([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, i])
            },
            src_port: 40000 + i as u16,
            dst_port: 5353,
            proto: 17,
            etype: 0x800,
            bytes: 100,
            packets: 1,
            src_mac: 0x0011_2233_4455,
            time_received_ms: 1_700_000_000_000,
            ..Default::default()
        })
        .collect();
    let iv = [20, 60, 480, 1440].map(|m| Duration::from_secs(m * 60));
    let mut s = Summaries::new(&iv, 100, vec![], chrono::Local::now());
    let mut line = String::with_capacity(64 * 1024);
    for f in &flows {
        s.add(f); // first sight: rows are created
    }
    MEASURING.with(|m| m.set(true));
    let before = ALLOCS.load(Ordering::Relaxed);
    for _ in 0..100 {
        line.clear();
        for f in &flows {
            s.add(f);
            nf_svc::output::dump::push_lines(
                &mut line,
                "2023-04-29 01:38:54.503",
                std::slice::from_ref(f),
            );
        }
    }
    let after = ALLOCS.load(Ordering::Relaxed);
    MEASURING.with(|m| m.set(false));
    assert_eq!(after - before, 0, "allocations for 6400 known flows");
    assert!(line.contains("SrcAddr:192.168.0.63 DstAddr:fd00::3f"));
}
