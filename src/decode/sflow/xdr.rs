//! A cursor over XDR (RFC 4506), the encoding sFlow v5 is written in: big-endian 32-bit words,
//! opaque data padded to a multiple of four bytes. Every read says `None` when the datagram
//! ends first, so a cut datagram is told apart from a wrong one by the caller.

use crate::flow::Addr;

#[derive(Debug, Clone, Copy)]
pub(super) struct Xdr<'a> {
    buf: &'a [u8],
}

impl<'a> Xdr<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Xdr { buf }
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.buf.len() < n {
            return None;
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Some(head)
    }

    pub fn u32(&mut self) -> Option<u32> {
        self.bytes(4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn u64(&mut self) -> Option<u64> {
        Some(((self.u32()? as u64) << 32) | self.u32()? as u64)
    }

    /// `n` bytes followed by the padding to the next four-byte boundary.
    pub fn padded(&mut self, n: usize) -> Option<&'a [u8]> {
        let data = self.bytes(n)?;
        self.bytes(n.next_multiple_of(4) - n)?;
        Some(data)
    }

    /// Variable-length opaque data: a length word, the bytes, the padding.
    pub fn opaque(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.padded(n)
    }

    /// A length word and that many bytes, as a cursor of their own (a sample or a record).
    pub fn nested(&mut self) -> Option<Xdr<'a>> {
        let n = self.u32()? as usize;
        self.bytes(n).map(Xdr::new)
    }

    /// An sFlow address: a type word (1: IPv4, 2: IPv6, 0: unknown) and the address.
    /// `Err(())` for a type sFlow does not define.
    pub fn addr(&mut self) -> Option<Result<Addr, ()>> {
        Some(match self.u32()? {
            0 => Ok(Addr::NONE),
            1 => {
                let b = self.bytes(4)?;
                Ok(Addr::V4([b[0], b[1], b[2], b[3]]))
            }
            2 => {
                let mut a = [0u8; 16];
                a.copy_from_slice(self.bytes(16)?);
                Ok(Addr::V6(a))
            }
            _ => Err(()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_opaque_and_padding() {
        let data = [
            0, 0, 0, 7, // u32
            0, 0, 0, 1, 0, 0, 0, 2, // u64
            0, 0, 0, 3, b'a', b'b', b'c', 0, // opaque, padded
            0, 0, 0, 1, 10, 0, 0, 1, // IPv4 address
            0, 0, 0, 9, // unknown address type
        ];
        let mut x = Xdr::new(&data);
        assert_eq!(x.u32(), Some(7));
        assert_eq!(x.u64(), Some((1 << 32) | 2));
        assert_eq!(x.opaque(), Some(&b"abc"[..]));
        assert_eq!(x.addr(), Some(Ok(Addr::V4([10, 0, 0, 1]))));
        assert_eq!(x.addr(), Some(Err(())));
        assert!(x.is_empty());
        assert_eq!(x.u32(), None, "past the end");
        assert_eq!(Xdr::new(&[0, 0, 0, 5, 1]).opaque(), None, "cut short");
    }
}
