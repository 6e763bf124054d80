//! Allocation-free text helpers for the hot path: numbers, addresses and MACs appended to a
//! reused `String`. `std::fmt` would do, but costs several times more per field, and the dump
//! log prints twenty fields per flow at up to millions of flows a second.

use crate::flow::Addr;
use std::fmt::Write;

/// The line ending of every log file: CRLF on Windows (Notepad), LF elsewhere.
pub const LINE_END: &str = if cfg!(windows) { "\r\n" } else { "\n" };

/// Append an unsigned integer in decimal.
#[inline]
pub fn push_u64(out: &mut String, v: u64) {
    let mut b = itoa::Buffer::new();
    out.push_str(b.format(v));
}

/// Append an address as `192.168.0.1` or `fe80::1` (`<nil>` when absent).
#[inline]
pub fn push_addr(out: &mut String, a: &Addr) {
    match a {
        Addr::V4(b) => {
            push_u64(out, b[0] as u64);
            out.push('.');
            push_u64(out, b[1] as u64);
            out.push('.');
            push_u64(out, b[2] as u64);
            out.push('.');
            push_u64(out, b[3] as u64);
        }
        // IPv6 text form has compression rules; leave them to std (IPv6 flows are rarer).
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

/// Append a MAC held in the low 48 bits as `aa:bb:cc:dd:ee:ff`.
#[inline]
pub fn push_mac(out: &mut String, mac: u64) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for i in (0..6).rev() {
        let byte = (mac >> (i * 8)) as u8;
        out.push(HEX[(byte >> 4) as usize] as char);
        out.push(HEX[(byte & 0xf) as usize] as char);
        if i != 0 {
            out.push(':');
        }
    }
}

/// Local wall-clock time as the logs print it: `2023-04-29 01:38:54.503`.
pub fn push_log_time(out: &mut String, t: &chrono::DateTime<chrono::Local>) {
    let _ = write!(out, "{}", t.format("%Y-%m-%d %H:%M:%S%.3f"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers_print_like_go() {
        let mut s = String::new();
        push_addr(&mut s, &Addr::V4([192, 168, 0, 255]));
        s.push(' ');
        push_addr(
            &mut s,
            &Addr::from("ff02::fb".parse::<std::net::Ipv6Addr>().unwrap()),
        );
        s.push(' ');
        push_mac(&mut s, 0x0011_22aa_bbcc);
        s.push(' ');
        push_u64(&mut s, 18_446_744_073_709_551_615);
        assert_eq!(
            s,
            "192.168.0.255 ff02::fb 00:11:22:aa:bb:cc 18446744073709551615"
        );
    }
}
