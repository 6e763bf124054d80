//! A real UDP load for nf-svc: NetFlow v9 datagrams of 30 records each, paced to a target
//! flow rate, with correct sequence numbers so the collector can count what it lost.
//!
//! ```text
//! cargo run --release --example loadgen -- 127.0.0.1:2055 1000000 5
//! ```
//! Arguments: target address, flows per second, seconds, distinct conversations, exporters
//! (defaults 127.0.0.1:2055, 1000000, 5, 50000, 1). A conversation is (source, destination,
//! protocol, ports): 250 source hosts × 20 destinations × 10 source ports, visited in a
//! scattered order; a generator with a few thousand keys, or one that sends conversations in
//! the order they first came, flatters a collector. More than one exporter sends from 127.0.1.1,
//! 127.0.1.2, … (each with its own template and sequence numbers), datagrams taking turns.
//! Prints what it sent (datagrams, flow records, bytes of traffic); compare with the exporter
//! lines nf-svc logs when it stops.

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant, SystemTime};

const RECORDS: usize = 30;
const FIELDS: [(u16, u16); 9] = [
    (8, 4),
    (12, 4),
    (4, 1),
    (7, 2),
    (11, 2),
    (1, 4),
    (2, 4),
    (22, 4),
    (21, 4),
];

fn header(count: u16, seq: u32, uptime: u32, unix: u32) -> Vec<u8> {
    nf_svc::testkit::netflow::v9_header(count, seq, uptime, unix, 0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let to: SocketAddr = args
        .get(1)
        .map(|s| s.parse().expect("address"))
        .unwrap_or(([127, 0, 0, 1], 2055).into());
    let rate: u64 = args
        .get(2)
        .map(|s| s.parse().expect("flows/s"))
        .unwrap_or(1_000_000);
    let secs: u64 = args
        .get(3)
        .map(|s| s.parse().expect("seconds"))
        .unwrap_or(5);
    let conversations: u32 = args
        .get(4)
        .map(|s| s.parse().expect("conversations"))
        .unwrap_or(50_000)
        .max(1);
    let exporters: usize = args
        .get(5)
        .map(|s| s.parse().expect("exporters"))
        .unwrap_or(1)
        .clamp(1, 250 * 250);
    let socks: Vec<UdpSocket> = if exporters == 1 {
        vec![UdpSocket::bind("0.0.0.0:0").unwrap()]
    } else {
        (0..exporters)
            .map(|i| {
                let ip = [127, 1 + (i / 250) as u8, 0, 1 + (i % 250) as u8];
                UdpSocket::bind((std::net::Ipv4Addr::from(ip), 0)).expect("bind 127.x.0.y")
            })
            .collect()
    };
    let mut seqs = vec![1u32; exporters];
    let unix = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as u32;

    let mut template = header(1, 0, 1000, unix);
    template.extend_from_slice(&0u16.to_be_bytes());
    template.extend_from_slice(&((8 + FIELDS.len() * 4) as u16).to_be_bytes());
    template.extend_from_slice(&256u16.to_be_bytes());
    template.extend_from_slice(&(FIELDS.len() as u16).to_be_bytes());
    for (t, l) in FIELDS {
        template.extend_from_slice(&t.to_be_bytes());
        template.extend_from_slice(&l.to_be_bytes());
    }
    for sock in &socks {
        sock.send_to(&template, to).unwrap();
    }

    let datagrams_per_sec = rate.div_ceil(RECORDS as u64);
    let start = Instant::now();
    let end = start + Duration::from_secs(secs);
    let mut sent: u64 = 0;
    let mut records_sent: u64 = 0;
    let mut bytes_sent: u64 = 0;
    let mut buf = Vec::with_capacity(1500);
    while Instant::now() < end {
        // Catch up to where the schedule says we should be.
        let due = (start.elapsed().as_secs_f64() * datagrams_per_sec as f64) as u64;
        if sent >= due {
            std::thread::sleep(Duration::from_micros(200));
            continue;
        }
        for _ in 0..(due - sent).min(64) {
            let e = (sent % exporters as u64) as usize;
            let seq = seqs[e];
            let mut bytes = 0u64;
            buf.clear();
            buf.extend_from_slice(&header(RECORDS as u16, seq, 100_000, unix));
            buf.extend_from_slice(&256u16.to_be_bytes());
            buf.extend_from_slice(&((4 + RECORDS * 27) as u16).to_be_bytes());
            for i in 0..RECORDS as u32 {
                let n = seq.wrapping_mul(RECORDS as u32).wrapping_add(i);
                // Conversations in a scattered order (a permutation: 1,000,003 is prime), as
                // an exporter's expiring flows come, not in the order they were first seen
                // — that order would let a collector's memory prefetching run ahead of it.
                let k = ((n % conversations) as u64 * 1_000_003 % conversations as u64) as u32;
                buf.extend_from_slice(&[192, 168, (k / 5000 % 256) as u8, (k % 250) as u8]);
                buf.extend_from_slice(&[10, 0, (k / 250 % 20) as u8, 1]);
                buf.push(if k.is_multiple_of(3) { 6 } else { 17 });
                buf.extend_from_slice(&(40000 + (k / 5000 % 10) as u16).to_be_bytes());
                buf.extend_from_slice(&[53u16, 443, 5353, 137][k as usize % 4].to_be_bytes());
                buf.extend_from_slice(&(64 + n % 1400).to_be_bytes());
                bytes += (64 + n % 1400) as u64;
                buf.extend_from_slice(&(1 + n % 10).to_be_bytes());
                buf.extend_from_slice(&90_000u32.to_be_bytes());
                buf.extend_from_slice(&99_000u32.to_be_bytes());
            }
            // Pad the set to 4 bytes.
            while (buf.len() - 20) % 4 != 0 {
                buf.push(0);
            }
            let set_len = (buf.len() - 20) as u16;
            buf[22..24].copy_from_slice(&set_len.to_be_bytes());
            if socks[e].send_to(&buf, to).is_ok() {
                seqs[e] = seq.wrapping_add(1);
                records_sent += RECORDS as u64;
                bytes_sent += bytes;
            }
            sent += 1;
        }
    }
    let took = start.elapsed().as_secs_f64();
    println!(
        "sent {} datagrams, {} flow records, {} bytes of traffic from {} exporter(s) in {:.2} s ({:.0} flows/s)",
        sent,
        records_sent,
        bytes_sent,
        exporters,
        took,
        records_sent as f64 / took
    );
}
