//! Hot-path costs per flow record: decode (netflow_parser + normalization), the summary tables
//! (four intervals, as with the default settings), and the flow dump line; and the whole
//! counting stage over 50,000 conversations (`count_conversations`; `NF_CONVERSATIONS=2000`
//! for a load whose tables fit the core's cache).
//!
//! `cargo bench --bench pipeline`. The goal (2 M flows/s on two cores) lives here, never in a
//! timed test.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use nf_svc::decode::Decoder;
use nf_svc::flow::{Addr, FlowKind, FlowRecord};
use nf_svc::summary::Summaries;
use std::hint::black_box;
use std::net::SocketAddr;
use std::time::Duration;

/// A v9 datagram: template 256 and 30 IPv4 records (the size MikroTik sends).
fn v9_datagrams() -> (Vec<u8>, Vec<u8>) {
    use nf_svc::testkit::netflow::{Set, V, v9};
    use std::net::Ipv4Addr;
    let any = Ipv4Addr::UNSPECIFIED;
    let fields = [
        (8, V::Ip(any)),
        (12, V::Ip(any)),
        (4, V::U8(0)),
        (7, V::U16(0)),
        (11, V::U16(0)),
        (1, V::U32(0)),
        (2, V::U32(0)),
        (22, V::U32(0)),
        (21, V::U32(0)),
        (10, V::U16(0)),
    ];
    let records = (0..30u32)
        .map(|i| {
            vec![
                V::Ip([192, 168, 0, (i % 200) as u8].into()),
                V::Ip([10, 0, (i % 7) as u8, 1].into()),
                V::U8(if i % 3 == 0 { 6 } else { 17 }),
                V::U16(40000 + i as u16),
                V::U16([53u16, 443, 5353][i as usize % 3]),
                V::U32(100 + i),
                V::U32(1 + i % 5),
                V::U32(90_000),
                V::U32(99_000),
                V::U16(2),
            ]
        })
        .collect();
    let t = v9(0, 1, 1_700_000_000, 100_000, &[Set::Template(256, &fields)]);
    let d = v9(0, 2, 1_700_000_000, 100_000, &[Set::Data(256, records)]);
    (t, d)
}

fn records(n: usize) -> Vec<FlowRecord> {
    (0..n)
        .map(|i| FlowRecord {
            kind: FlowKind::NetflowV9,
            exporter: Addr::V4([192, 168, 255, 10]),
            src_addr: Addr::V4([192, 168, 0, (i % 50) as u8]),
            dst_addr: Addr::V4([10, 0, (i % 20) as u8, 1]),
            src_port: 40000 + (i % 1000) as u16,
            dst_port: [53, 443, 5353, 137][i % 4],
            proto: 17,
            etype: 0x800,
            bytes: 100 + i as u64,
            packets: 1,
            in_if: 2,
            out_if: 1,
            time_received_ms: 1_700_000_000_000,
            time_flow_start_ms: 1_699_999_990_000,
            time_flow_end_ms: 1_699_999_999_000,
            ..Default::default()
        })
        .collect()
}

/// Flow record `n` of a load over `keys` conversations, keyed as `examples/loadgen.rs` keys
/// them (2,500 sources, 20 destinations, four services, in a scattered order).
fn conversation(keys: u32, n: u32) -> FlowRecord {
    let k = ((n % keys) as u64 * 1_000_003 % keys as u64) as u32;
    FlowRecord {
        kind: FlowKind::NetflowV9,
        exporter: Addr::V4([127, 0, 0, 1]),
        src_addr: Addr::V4([192, 168, (k / 5000 % 256) as u8, (k % 250) as u8]),
        dst_addr: Addr::V4([10, 0, (k / 250 % 20) as u8, 1]),
        proto: if k.is_multiple_of(3) { 6 } else { 17 },
        src_port: 40000 + (k / 5000 % 10) as u16,
        dst_port: [53, 443, 5353, 137][k as usize % 4],
        etype: 0x800,
        bytes: (64 + n % 1400) as u64,
        packets: (1 + n % 10) as u64,
        time_received_ms: 1_700_000_000_000,
        ..Default::default()
    }
}

fn bench(c: &mut Criterion) {
    let (template, data) = v9_datagrams();
    let from: SocketAddr = "192.168.255.10:2055".parse().unwrap();
    let mut g = c.benchmark_group("per_record");
    g.throughput(Throughput::Elements(30));
    // The same datagram through netflow_parser alone, then through the fast path.
    for (name, make) in [
        (
            "decode_v9_30_records_netflow_parser",
            Decoder::reference as fn() -> Decoder,
        ),
        ("decode_v9_30_records", Decoder::new),
    ] {
        g.bench_function(name, |b| {
            let mut d = make();
            let mut out = Vec::with_capacity(64);
            d.decode(from, &template, 0, &mut out);
            b.iter(|| {
                out.clear();
                black_box(d.decode(from, black_box(&data), 1_700_000_000_000, &mut out));
            })
        });
    }

    let recs = records(10_000);
    g.throughput(Throughput::Elements(recs.len() as u64));
    g.bench_function("summaries_4_intervals", |b| {
        let iv = [20, 60, 480, 1440].map(|m| Duration::from_secs(m * 60));
        let mut s = Summaries::new(&iv, 100, vec![], chrono::Local::now());
        b.iter(|| {
            for r in &recs {
                s.add(black_box(r));
            }
        })
    });
    g.bench_function("alerts_default_rules", |b| {
        let s = nf_svc::settings::Settings::defaults(std::path::Path::new("/tmp/nf-svc.ini"));
        let mut a = nf_svc::alerts::AlertEngine::new(s.alerts);
        let now = std::time::SystemTime::now();
        b.iter(|| {
            for r in &recs {
                a.add(black_box(r), now);
            }
        })
    });
    g.bench_function("history_minute", |b| {
        let mut m = nf_svc::history::minute::Minute::new(0);
        b.iter(|| {
            for r in &recs {
                m.add(black_box(r));
            }
        })
    });
    // The counting stage as the collector runs it under load: batches as the decode stage
    // hands them over (256 datagrams of 30 records, filled anew for each batch as decoding
    // does), each datagram through the summaries (the default four intervals and the
    // history's five minutes) and the alert engine record by record, what the flow four places
    // on reads fetched ahead as the collector does, then the history's minute — the order of
    // `Pipeline::count` and `History::flows`. 50,000 conversations in a scattered order, or
    // `NF_CONVERSATIONS` of them.
    let keys = std::env::var("NF_CONVERSATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    const BATCHES: u32 = 40;
    let mut batch = vec![FlowRecord::default(); 256 * 30];
    g.throughput(Throughput::Elements(
        u64::from(BATCHES) * batch.len() as u64,
    ));
    g.bench_function("count_conversations", |b| {
        let iv = [5, 20, 60, 480, 1440].map(|m| Duration::from_secs(m * 60));
        let mut s = Summaries::new(&iv, 100, vec![], chrono::Local::now());
        let settings =
            nf_svc::settings::Settings::defaults(std::path::Path::new("/tmp/nf-svc.ini"));
        let mut a = nf_svc::alerts::AlertEngine::new(settings.alerts);
        let mut m = nf_svc::history::minute::Minute::new(0);
        let now = std::time::SystemTime::now();
        let mut n = 0u32;
        b.iter(|| {
            for _ in 0..BATCHES {
                for r in batch.iter_mut() {
                    *r = conversation(keys, n);
                    n = n.wrapping_add(1);
                }
                for (d, datagram) in batch.chunks(30).enumerate() {
                    for (i, r) in datagram.iter().enumerate() {
                        if let Some(ahead) = batch.get(d * 30 + i + 4) {
                            s.prefetch(ahead);
                            a.prefetch(ahead);
                        }
                        s.add(black_box(r));
                        a.add(black_box(r), now);
                    }
                    for r in datagram {
                        m.add(black_box(r));
                    }
                }
            }
        })
    });
    g.bench_function("dump_line", |b| {
        let mut buf = String::with_capacity(4 << 20);
        b.iter(|| {
            buf.clear();
            for r in &recs {
                nf_svc::output::dump::push_record(&mut buf, black_box(r));
                buf.push('\n');
            }
            black_box(buf.len());
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
