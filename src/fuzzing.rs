//! The inputs of the fuzz targets (`fuzz/`) and of the bounded fuzz run in the tests, in one
//! place so both feed nf-svc the same way.
//!
//! A decode input is a sequence of datagrams, each `[source][length: u16 BE][bytes]`: the
//! source byte picks one of eight exporters (address and port), so templates learnt from one
//! datagram are used by the next ones of the same exporter, as on the wire.

use crate::decode::Decoder;
use crate::flow::FlowRecord;
use std::net::SocketAddr;

/// Decode every datagram of `input` with one decoder, and again with the reference decoder
/// (netflow_parser alone): the fast path must give the same outcome and records, datagram for
/// datagram. Returns the records decoded.
pub fn decode(input: &[u8]) -> usize {
    let mut d = Decoder::new();
    let mut reference = Decoder::reference();
    let mut out: Vec<FlowRecord> = Vec::new();
    let mut expected: Vec<FlowRecord> = Vec::new();
    let mut rest = input;
    let mut records = 0;
    while let [src, hi, lo, tail @ ..] = rest {
        let len = (u16::from_be_bytes([*hi, *lo]) as usize).min(tail.len());
        let (datagram, next) = tail.split_at(len);
        let from = SocketAddr::from(([10, 0, 0, 1 + src % 4], 2055 + (src / 4 % 2) as u16));
        out.clear();
        expected.clear();
        let o = d.decode(from, datagram, 1_700_000_000_000, &mut out);
        assert_eq!(o.records, out.len(), "the outcome counts what was appended");
        let r = reference.decode(from, datagram, 1_700_000_000_000, &mut expected);
        assert_eq!(o, r, "fast path and reference: the same outcome");
        assert_eq!(out, expected, "fast path and reference: the same records");
        records += out.len();
        rest = next;
    }
    records
}

/// Build a decode input from datagrams, all from exporter 0.
pub fn decode_input(datagrams: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for d in datagrams {
        let d = &d[..d.len().min(u16::MAX as usize)];
        out.push(0);
        out.extend_from_slice(&(d.len() as u16).to_be_bytes());
        out.extend_from_slice(d);
    }
    out
}

/// Read settings from arbitrary bytes: either settings or errors, never a panic.
pub fn ini(input: &[u8]) -> bool {
    crate::settings::parse_bytes(std::path::Path::new("/fuzz/nf-svc.ini"), input).is_ok()
}
