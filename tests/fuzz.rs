//! The bounded fuzz run of the suite: every vendor sample (NetFlow, IPFIX, sFlow) and the
//! example ini, mutated a few thousand times with a fixed seed, through the same entry points
//! as the cargo-fuzz targets in `fuzz/` (`nf_svc::fuzzing`). None may panic. The
//! coverage-guided run is `fuzz/run`.
//!
//! With `NF_SVC_FUZZ_SEEDS=<dir>` set, the unmutated inputs are also written to
//! `<dir>/decode` and `<dir>/ini`: the seed corpus for cargo-fuzz.

mod common;

use common::rng::{Rng, mutate};
use nf_svc::fuzzing;
use std::path::{Path, PathBuf};

/// Every vendor sample: the NetFlow/IPFIX exports and the sFlow datagrams.
fn samples() -> Vec<(String, Vec<Vec<u8>>)> {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut dirs = vec![data.join("sflow")];
    for sub in std::fs::read_dir(data.join("netflow-samples"))
        .unwrap()
        .flatten()
    {
        dirs.push(sub.path());
    }
    let mut out = Vec::new();
    for dir in dirs {
        let Ok(files) = std::fs::read_dir(dir) else {
            continue;
        };
        for f in files.flatten() {
            let name = f.file_name().to_string_lossy().into_owned();
            if name.ends_with(".pcap") {
                let datagrams = common::pcap::read_udp(&f.path())
                    .into_iter()
                    .map(|p| p.payload)
                    .collect();
                out.push((name, datagrams));
            }
        }
    }
    out.sort();
    out
}

fn write_seed(kind: &str, name: &str, data: &[u8]) {
    if let Some(dir) = std::env::var_os("NF_SVC_FUZZ_SEEDS") {
        let dir = Path::new(&dir).join(kind);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), data).unwrap();
    }
}

/// The inputs that once made nf-svc panic (tests/data/fuzz/<kind>).
fn regressions(kind: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/fuzz")
        .join(kind);
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    files.sort_by_key(|f| f.file_name());
    files
        .iter()
        .map(|f| std::fs::read(f.path()).unwrap())
        .collect()
}

#[test]
fn inputs_that_once_panicked_do_not() {
    let decode = regressions("decode");
    let ini = regressions("ini");
    assert!(!decode.is_empty() && !ini.is_empty());
    for input in decode {
        fuzzing::decode(&input);
    }
    for input in ini {
        fuzzing::ini(&input);
    }
}

#[test]
fn decoding_survives_mutations_of_every_vendor_sample() {
    let samples = samples();
    assert!(samples.len() >= 10, "{} samples", samples.len());
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut runs, mut records) = (0, 0);
    for (name, datagrams) in &samples {
        let input = fuzzing::decode_input(datagrams);
        write_seed("decode", name, &input);
        records += fuzzing::decode(&input);
        for _ in 0..400 {
            fuzzing::decode(&mutate(&mut rng, &input));
            runs += 1;
        }
        // Datagram by datagram too: a damaged template, then the data that needs it.
        for d in datagrams.iter().take(8) {
            for _ in 0..50 {
                let damaged = mutate(&mut rng, d);
                fuzzing::decode(&fuzzing::decode_input(&[damaged, d.clone()]));
                runs += 1;
            }
        }
    }
    assert!(runs > 5_000, "{runs} runs");
    assert!(records > 150, "the samples decode: {records} records");
}

#[test]
fn reading_settings_survives_mutations_of_the_example_ini() {
    let example =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("nf-svc.ini.example")).unwrap();
    write_seed("ini", "example", &example);
    assert!(fuzzing::ini(&example), "the example is valid");
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend_from_slice(&example);
    assert!(fuzzing::ini(&bom), "with a byte order mark");
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for _ in 0..3_000 {
        fuzzing::ini(&mutate(&mut rng, &example));
    }
}
