//! A fixed, repeatable stream of random choices, and one mutation of a byte string: the
//! bounded fuzz run and the differential test use both.

/// xorshift64*: a fixed, repeatable stream of choices.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// One mutation of `input`: flipped bits, interesting values, cut, repeated or dropped bytes.
pub fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        if v.is_empty() {
            v.push(rng.next() as u8);
        }
        let at = rng.below(v.len());
        match rng.below(7) {
            0 => v[at] ^= 1 << rng.below(8),
            1 => v[at] = [0, 1, 0x7f, 0x80, 0xff][rng.below(5)],
            2 => {
                // A 16-bit field (a length, a count, a template id) set to an edge value.
                let x: u16 = [0, 1, 3, 4, 0xff, 0x100, 0x7fff, 0xffff][rng.below(8)];
                if at + 1 < v.len() {
                    v[at..at + 2].copy_from_slice(&x.to_be_bytes());
                }
            }
            3 => v.truncate(at),
            4 => {
                let end = (at + 1 + rng.below(64)).min(v.len());
                let chunk = v[at..end].to_vec();
                v.splice(at..at, chunk);
            }
            5 => {
                let end = (at + 1 + rng.below(16)).min(v.len());
                v.drain(at..end);
            }
            _ => v.insert(at, rng.next() as u8),
        }
    }
    v
}
