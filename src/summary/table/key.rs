//! A row's key, and how it is packed into the words its record starts with.
//!
//! Most conversations are between two IPv4 addresses: their key packs into two words (the
//! small fields, then both addresses), so their rows sit in a *narrow* arena. Any other —
//! IPv6, or a flow without addresses — takes five words in the *wide* arena. A row of five
//! counters is then 96 bytes instead of 120.

use crate::flow::Addr;
use std::hash::{BuildHasher, Hasher};

/// One printed row: who talks to whom on which service port.
///
/// The pairing rule looks up *groups*. For a unicast destination a group has exactly one
/// row — the key itself — so the row index answers for it. A request to a multicast or
/// broadcast address (`any_multicast`) belongs to the group "any multicast destination",
/// which has a row per destination and is counted in its own small map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RowKey {
    pub etype: u16,
    pub proto: u8,
    pub any_multicast: bool,
    /// The service port: the destination port of a request, the source port of a reply.
    pub port: u16,
    pub src: Addr,
    pub dst: Addr,
}

/// The group "any multicast destination" of a source and service port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct MulticastGroup {
    etype: u16,
    proto: u8,
    port: u16,
    src: Addr,
}

impl std::hash::Hash for MulticastGroup {
    #[inline]
    fn hash<H: Hasher>(&self, h: &mut H) {
        // The small fields in one word: few writes into the hasher.
        h.write_u64((self.etype as u64) << 40 | (self.proto as u64) << 32 | self.port as u64);
        self.src.hash(h);
    }
}

impl MulticastGroup {
    pub fn of(k: &RowKey) -> Self {
        MulticastGroup {
            etype: k.etype,
            proto: k.proto,
            port: k.port,
            src: k.src,
        }
    }
}

/// Which arena a row's record sits in: the width of its packed key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Width {
    /// Between two IPv4 addresses: two words.
    Narrow = 0,
    /// Anything else: five words.
    Wide = 1,
}

impl Width {
    pub const BOTH: [Width; 2] = [Width::Narrow, Width::Wide];

    pub fn key_words(self) -> usize {
        match self {
            Width::Narrow => 2,
            Width::Wide => 5,
        }
    }
}

/// A key packed as its record starts; `words()` are the ones in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Packed {
    w: [u64; 5],
    pub width: Width,
}

impl Packed {
    pub fn words(&self) -> &[u64] {
        &self.w[..self.width.key_words()]
    }
}

/// An address as (kind, high word, low word); IPv4 in the high word.
fn addr_words(a: Addr) -> (u64, u64, u64) {
    match a {
        Addr::None => (0, 0, 0),
        Addr::V4(b) => (1, u32::from_be_bytes(b) as u64, 0),
        Addr::V6(b) => {
            let v = u128::from_be_bytes(b);
            (2, (v >> 64) as u64, v as u64)
        }
    }
}

fn words_addr(kind: u64, hi: u64, lo: u64) -> Addr {
    match kind {
        1 => Addr::V4((hi as u32).to_be_bytes()),
        2 => Addr::V6(((hi as u128) << 64 | lo as u128).to_be_bytes()),
        _ => Addr::None,
    }
}

impl RowKey {
    /// The key as its record starts. Word 0: etype, protocol, port, the address kinds, "any
    /// multicast", and in bit 0 whether the row is a reply (not part of the key). Then both
    /// IPv4 addresses in one word, or each address in two.
    pub fn pack(&self, reply: bool) -> Packed {
        let (sk, s1, s2) = addr_words(self.src);
        let (dk, d1, d2) = addr_words(self.dst);
        let w0 = (self.etype as u64) << 48
            | (self.proto as u64) << 40
            | (self.port as u64) << 24
            | sk << 4
            | dk << 2
            | (self.any_multicast as u64) << 1
            | reply as u64;
        if sk == 1 && dk == 1 {
            Packed {
                w: [w0, s1 << 32 | d1, 0, 0, 0],
                width: Width::Narrow,
            }
        } else {
            Packed {
                w: [w0, s1, s2, d1, d2],
                width: Width::Wide,
            }
        }
    }

    /// The key and reply flag a record of `width` starts with.
    pub fn unpack(w: &[u64], width: Width) -> (RowKey, bool) {
        let (src, dst) = match width {
            Width::Narrow => (
                words_addr(1, w[1] >> 32, 0),
                words_addr(1, w[1] & 0xffff_ffff, 0),
            ),
            Width::Wide => (
                words_addr(w[0] >> 4 & 3, w[1], w[2]),
                words_addr(w[0] >> 2 & 3, w[3], w[4]),
            ),
        };
        let key = RowKey {
            etype: (w[0] >> 48) as u16,
            proto: (w[0] >> 40) as u8,
            port: (w[0] >> 24) as u16,
            any_multicast: w[0] & 2 != 0,
            src,
            dst,
        };
        (key, w[0] & 1 != 0)
    }
}

/// Whether a record (of the key's width) starts with `key`, the reply bit aside.
#[inline]
pub(super) fn same_key(record: &[u64], key: &Packed) -> bool {
    let k = key.words();
    (record[0] ^ k[0]) >> 1 == 0 && record[1..k.len()] == k[1..]
}

/// The hash of a key's words (the reply bit aside).
#[inline]
pub(super) fn key_hash(state: &foldhash::fast::RandomState, words: &[u64]) -> u64 {
    let mut h = state.build_hasher();
    h.write_u64(words[0] >> 1);
    for x in &words[1..] {
        h.write_u64(*x);
    }
    h.finish()
}
