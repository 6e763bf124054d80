//! NetBIOS node status (RFC 1002, 4.2.17–18): one UDP datagram to the device's port 137 asks
//! for its name table; Windows PCs and many printers answer. The name is the first unique
//! (not group) name of suffix 0x00, the workstation's.

use std::io;
use std::net::{IpAddr, UdpSocket};
use std::time::Duration;

/// NetBIOS's name service port.
pub const PORT: u16 = 137;

/// The node status request for `*`, with transaction id `id`.
pub fn request(id: u16) -> [u8; 50] {
    let mut q = [0u8; 50];
    q[0..2].copy_from_slice(&id.to_be_bytes());
    q[5] = 1; // one question
    q[12] = 0x20;
    // "*" then 15 NULs, each byte as two letters 'A' + nibble.
    let mut name = [0u8; 16];
    name[0] = b'*';
    for (i, b) in name.iter().enumerate() {
        q[13 + 2 * i] = b'A' + (b >> 4);
        q[14 + 2 * i] = b'A' + (b & 0x0f);
    }
    q[45] = 0; // end of name
    q[46..48].copy_from_slice(&0x0021u16.to_be_bytes()); // NBSTAT
    q[48..50].copy_from_slice(&1u16.to_be_bytes()); // IN
    q
}

/// The workstation name in a node status answer to request `id`.
pub fn parse(answer: &[u8], id: u16) -> Option<String> {
    if answer.len() < 57 || answer[0..2] != id.to_be_bytes() || answer[2] & 0x80 == 0 {
        return None;
    }
    // Header 12, the name (a length byte, 32 letters, 0), type, class, TTL, data length.
    let mut at = 12;
    while *answer.get(at)? != 0 {
        at += 1 + *answer.get(at)? as usize;
    }
    at += 1 + 2 + 2 + 4 + 2;
    let count = *answer.get(at)? as usize;
    at += 1;
    (0..count).find_map(|i| {
        let e = answer.get(at + 18 * i..at + 18 * (i + 1))?;
        let (suffix, group) = (e[15], e[16] & 0x80 != 0);
        (suffix == 0 && !group)
            .then(|| String::from_utf8_lossy(&e[..15]).trim_end().to_string())
            .filter(|n| !n.is_empty())
    })
}

/// Ask `addr` (its port `port`) for its name, waiting at most `wait`.
pub fn ask(addr: IpAddr, port: u16, wait: Duration) -> io::Result<Option<String>> {
    let s = UdpSocket::bind(crate::receive::any_local_for(addr))?;
    s.set_read_timeout(Some(wait))?;
    let id = (std::process::id() as u16) ^ 0x4e46;
    s.send_to(&request(id), (addr, port))?;
    let mut buf = [0u8; 1500];
    loop {
        match s.recv_from(&mut buf) {
            Ok((n, from)) if from.ip() == addr => return Ok(parse(&buf[..n], id)),
            Ok(_) => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Ok(None);
            }
            // Windows says "connection reset" when the port is closed: no NetBIOS there.
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return Ok(None),
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A node status answer with these (name, suffix, group) entries.
    pub fn answer(id: u16, names: &[(&str, u8, bool)]) -> Vec<u8> {
        let mut a = request(id)[..50].to_vec();
        a[2] = 0x84; // response, authoritative
        a[5] = 0;
        a[7] = 1; // one answer
        a.extend_from_slice(&[0, 0, 0, 0]); // TTL
        let len = 1 + names.len() * 18 + 46;
        a.extend_from_slice(&(len as u16).to_be_bytes());
        a.push(names.len() as u8);
        for (n, suffix, group) in names {
            let mut e = [b' '; 18];
            e[..n.len()].copy_from_slice(n.as_bytes());
            e[15] = *suffix;
            e[16] = if *group { 0x84 } else { 0x04 };
            e[17] = 0;
            a.extend_from_slice(&e);
        }
        a.extend_from_slice(&[0u8; 46]); // statistics
        a
    }

    #[test]
    fn the_workstation_name_is_the_first_unique_name_of_suffix_0() {
        let a = answer(
            7,
            &[
                ("WORKGROUP", 0, true),
                ("FRONTDESK", 0x20, false),
                ("FRONTDESK", 0, false),
            ],
        );
        assert_eq!(parse(&a, 7), Some("FRONTDESK".into()));
        assert_eq!(parse(&a, 8), None, "another request's answer");
        assert_eq!(parse(&answer(7, &[("WORKGROUP", 0, true)]), 7), None);
        for cut in 0..a.len() {
            let _ = parse(&a[..cut], 7);
        }
        let q = request(7);
        assert_eq!(&q[13..15], b"CK", "'*' is 0x2a: C, K");
        assert_eq!(&q[15..17], b"AA");
    }

    #[test]
    fn a_responder_on_loopback_is_asked() {
        let responder = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = responder.local_addr().unwrap().port();
        let t = std::thread::spawn(move || {
            let mut buf = [0u8; 100];
            let (n, from) = responder.recv_from(&mut buf).unwrap();
            assert_eq!(n, 50);
            let id = u16::from_be_bytes([buf[0], buf[1]]);
            responder
                .send_to(&answer(id, &[("PRINTER-7", 0, false)]), from)
                .unwrap();
        });
        let name = ask("127.0.0.1".parse().unwrap(), port, Duration::from_secs(5)).unwrap();
        assert_eq!(name.as_deref(), Some("PRINTER-7"));
        t.join().unwrap();
        let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = silent.local_addr().unwrap().port();
        let none = ask(
            "127.0.0.1".parse().unwrap(),
            port,
            Duration::from_millis(100),
        )
        .unwrap();
        assert_eq!(none, None);
    }
}
