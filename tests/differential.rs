//! The fast path against the decoder of record, record for record: every vendor sample, then
//! generated v9 and IPFIX templates (every field length, unknown and enterprise fields,
//! padding, options templates over data ids, withdrawals, sets for unknown templates) with
//! random and mutated data, decoded by `Decoder::new()` (fast path on) and
//! `Decoder::reference()` (netflow_parser for everything). Any difference fails, and so does a
//! run where the fast path took nothing.

mod common;

use common::pcap;
use common::rng::{Rng, mutate};
use nf_svc::decode::{Decoder, Outcome};
use nf_svc::flow::FlowRecord;
use std::net::SocketAddr;
use std::path::PathBuf;

const RECEIVED_MS: u64 = 1_800_000_000_000;

/// Both decoders, fed the same datagrams.
struct Pair {
    fast: Decoder,
    reference: Decoder,
    datagrams: usize,
    /// The last few datagrams, shown when the two differ.
    recent: std::collections::VecDeque<Vec<u8>>,
}

impl Pair {
    fn new() -> Pair {
        Pair {
            fast: Decoder::new(),
            reference: Decoder::reference(),
            datagrams: 0,
            recent: Default::default(),
        }
    }

    fn feed(&mut self, what: &str, from: SocketAddr, data: &[u8]) {
        let (mut a, mut b): (Vec<FlowRecord>, Vec<FlowRecord>) = (Vec::new(), Vec::new());
        let oa: Outcome = self.fast.decode(from, data, RECEIVED_MS, &mut a);
        let ob: Outcome = self.reference.decode(from, data, RECEIVED_MS, &mut b);
        let taken = self.fast.fast_datagrams();
        assert_eq!(
            oa, ob,
            "{what}, datagram {}: outcomes differ (fast path has taken {taken}): {data:02x?}\nafter {:02x?}",
            self.datagrams, self.recent
        );
        assert_eq!(
            a.len(),
            b.len(),
            "{what}, datagram {}: record counts",
            self.datagrams
        );
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            assert_eq!(
                x, y,
                "{what}, datagram {}, record {i}: {data:02x?}",
                self.datagrams
            );
        }
        self.datagrams += 1;
        if self.recent.len() == 3 {
            self.recent.pop_front();
        }
        self.recent.push_back(data.to_vec());
    }
}

#[test]
fn every_vendor_sample_decodes_the_same_both_ways() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/netflow-samples");
    let mut taken_total = 0;
    let mut files = Vec::new();
    for sub in ["logstash_dat", "pmacct_test_automation"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            files.push(e.unwrap().path());
        }
    }
    files.sort();
    assert!(files.len() >= 13);
    for f in &files {
        let mut pair = Pair::new();
        let packets = pcap::read_udp(f);
        // Twice over: the second pass finds every template known, as a running collector does.
        for _ in 0..2 {
            for p in &packets {
                pair.feed(&f.display().to_string(), p.src, &p.payload);
            }
        }
        taken_total += pair.fast.fast_datagrams();
    }
    assert!(taken_total > 0, "the fast path took no sample datagram");
}

/// A field in a generated template: element number, length, enterprise number (IPFIX).
type Field = (u16, u16, Option<u32>);

/// Element numbers nf-svc reads, and others.
const READ: &[u16] = &[
    1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 21, 22, 27, 28, 29, 30, 31, 32, 34, 48,
    50, 52, 54, 56, 57, 58, 59, 60, 62, 70, 71, 72, 80, 81, 85, 86, 88, 89, 139, 150, 151, 152,
    153, 154, 155, 156, 157, 158, 159, 160, 176, 177, 178, 179, 192, 234, 235, 239, 243, 256, 302,
    305, 306, 309, 310, 323,
];
const OTHER: &[u16] = &[
    3, 18, 19, 23, 24, 25, 61, 64, 95, 136, 148, 161, 184, 200, 225, 226, 1000,
];

/// A field of a template: with `clean`, one the fast path compiles (a read element at the
/// length it is sent with, or any other element); else anything.
fn field(rng: &mut Rng, ipfix: bool, clean: bool) -> Field {
    let canonical = |e: u16| -> u16 {
        match e {
            8 | 12 | 15 => 4,
            27 | 28 | 62 => 16,
            56 | 57 | 80 | 81 => 6,
            152..=157 | 160 | 323 => 8,
            70..=79 => 3,
            7 | 11 | 58 | 59 | 243 | 256 | 139 | 32 => 2,
            1 | 2 | 85 | 86 => [4, 8][(e as usize) % 2],
            21 | 22 | 150 | 151 | 158 | 159 | 10 | 14 | 16 | 17 | 234 | 235 | 302 | 305 | 306 => 4,
            _ => 1,
        }
    };
    let pick = if clean {
        [0, 1, 2, 7, 8][rng.below(5)]
    } else {
        rng.below(10)
    };
    match pick {
        // Mostly the length the element is sent with; often any other.
        0..=4 => {
            let e = READ[rng.below(READ.len())];
            (e, canonical(e), None)
        }
        5..=6 => {
            let e = READ[rng.below(READ.len())];
            (e, [1, 2, 3, 4, 5, 6, 7, 8, 16][rng.below(9)], None)
        }
        7 => (OTHER[rng.below(OTHER.len())], 1 + rng.below(8) as u16, None),
        8 if ipfix => (
            READ[rng.below(READ.len())],
            1 + rng.below(8) as u16,
            Some(rng.below(40_000) as u32),
        ),
        _ => {
            let e = READ[rng.below(READ.len())];
            (e, [0, 1, 65535][rng.below(3)] as u16, None)
        }
    }
}

fn set(id: u16, body: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(body.len() + 4);
    v.extend_from_slice(&id.to_be_bytes());
    v.extend_from_slice(&((body.len() + 4) as u16).to_be_bytes());
    v.extend_from_slice(body);
    v
}

fn template_set(ipfix: bool, options: bool, templates: &[(u16, Vec<Field>)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (id, fields) in templates {
        body.extend_from_slice(&id.to_be_bytes());
        body.extend_from_slice(&(fields.len() as u16).to_be_bytes());
        if options {
            // One scope field; the fields are options.
            if ipfix {
                body.extend_from_slice(&1u16.to_be_bytes());
            } else {
                body.truncate(body.len() - 2);
                body.extend_from_slice(&4u16.to_be_bytes());
                body.extend_from_slice(&((fields.len() * 4) as u16).to_be_bytes());
                body.extend_from_slice(&1u16.to_be_bytes());
                body.extend_from_slice(&4u16.to_be_bytes());
            }
        }
        for (e, len, ent) in fields {
            let t = if ent.is_some() { e | 0x8000 } else { *e };
            body.extend_from_slice(&t.to_be_bytes());
            body.extend_from_slice(&len.to_be_bytes());
            if let Some(n) = ent {
                body.extend_from_slice(&n.to_be_bytes());
            }
        }
    }
    let id = match (ipfix, options) {
        (false, false) => 0,
        (false, true) => 1,
        (true, false) => 2,
        (true, true) => 3,
    };
    set(id, &body)
}

fn datagram(ipfix: bool, seq: u32, domain: u32, sets: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = sets.concat();
    let mut v = Vec::new();
    if ipfix {
        v.extend_from_slice(&10u16.to_be_bytes());
        v.extend_from_slice(&((16 + body.len()) as u16).to_be_bytes());
        v.extend_from_slice(&1_800_000_000u32.to_be_bytes());
        v.extend_from_slice(&seq.to_be_bytes());
        v.extend_from_slice(&domain.to_be_bytes());
    } else {
        v.extend_from_slice(&9u16.to_be_bytes());
        v.extend_from_slice(&(sets.len() as u16).to_be_bytes());
        v.extend_from_slice(&3_600_000u32.to_be_bytes());
        v.extend_from_slice(&1_800_000_000u32.to_be_bytes());
        v.extend_from_slice(&seq.to_be_bytes());
        v.extend_from_slice(&domain.to_be_bytes());
    }
    v.extend_from_slice(&body);
    v
}

#[test]
fn generated_templates_and_data_decode_the_same_both_ways() {
    // NF_SVC_DIFF_SEED / NF_SVC_DIFF_ROUNDS: a longer run with another seed.
    let env = |k: &str, d: u64| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let mut rng = Rng(env("NF_SVC_DIFF_SEED", 0x5eed_d1ff) | 1);
    let mut pair = Pair::new();
    let mut compiled_ids = 0;
    for round in 0..env("NF_SVC_DIFF_ROUNDS", 1000) {
        let ipfix = rng.below(2) == 1;
        let domain = rng.below(3) as u32;
        let from: SocketAddr = format!("127.0.0.{}:{}", 1 + rng.below(3), 2055 + rng.below(2))
            .parse()
            .unwrap();
        let templates: Vec<(u16, Vec<Field>)> = (0..1 + rng.below(3))
            .map(|_| {
                let id = 256 + rng.below(6) as u16;
                let n = 1 + rng.below(16);
                let clean = rng.below(3) > 0;
                (id, (0..n).map(|_| field(&mut rng, ipfix, clean)).collect())
            })
            .collect();
        let what = format!(
            "round {round} ({}, templates {templates:?})",
            if ipfix { "IPFIX" } else { "v9" }
        );
        let mut seq = rng.next() as u32;
        pair.feed(
            &what,
            from,
            &datagram(
                ipfix,
                seq,
                domain,
                &[template_set(ipfix, false, &templates)],
            ),
        );
        for _ in 0..8 {
            seq = seq.wrapping_add(1 + rng.below(2) as u32);
            let mut sets = Vec::new();
            for _ in 0..1 + rng.below(3) {
                let (id, fields) = &templates[rng.below(templates.len())];
                let size: usize = fields
                    .iter()
                    .map(|f| if f.1 == 65535 { 1 } else { f.1 as usize })
                    .sum::<usize>()
                    .max(1);
                let records = rng.below(12);
                let padding = rng.below(4);
                let id = if rng.below(20) == 0 {
                    300 + rng.below(50) as u16
                } else {
                    *id
                };
                sets.push(set(id, &rng.bytes(size * records + padding)));
            }
            let d = datagram(ipfix, seq, domain, &sets);
            pair.feed(&what, from, &d);
            if rng.below(3) == 0 {
                pair.feed(&what, from, &mutate(&mut rng, &d));
                // A mutation the reference stopped at makes the fast path forget the
                // exporter: its templates again, as an exporter sends them every so often.
                let t = template_set(ipfix, false, &templates);
                pair.feed(&what, from, &datagram(ipfix, seq, domain, &[t]));
            }
            match rng.below(12) {
                // An options template takes a data template's id.
                0 => {
                    let (id, fields) = &templates[rng.below(templates.len())];
                    let opts = template_set(ipfix, true, &[(*id, fields.clone())]);
                    pair.feed(&what, from, &datagram(ipfix, seq, domain, &[opts]));
                }
                // IPFIX: a template withdrawn (no fields).
                1 if ipfix => {
                    let (id, _) = &templates[rng.below(templates.len())];
                    let w = template_set(true, false, &[(*id, Vec::new())]);
                    pair.feed(&what, from, &datagram(true, seq, domain, &[w]));
                }
                // The templates again, now and then mutated.
                2 => {
                    let t = datagram(
                        ipfix,
                        seq,
                        domain,
                        &[template_set(ipfix, false, &templates)],
                    );
                    let t = if rng.below(2) == 0 {
                        mutate(&mut rng, &t)
                    } else {
                        t
                    };
                    pair.feed(&what, from, &t);
                }
                _ => {}
            }
        }
        compiled_ids += templates.len();
    }
    assert!(compiled_ids > 0);
    let taken = pair.fast.fast_datagrams();
    assert!(
        taken as usize > pair.datagrams / 7,
        "the fast path took {taken} of {} datagrams",
        pair.datagrams
    );
}
