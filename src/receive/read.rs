//! Reading the bound sockets: many datagrams a system call, each handed on where it landed.
//!
//! The decode stage reads the sockets itself and decodes each datagram in the buffer the
//! system wrote it to: no copy into a queue, no hand-off and no wake-up per datagram. When
//! decoding or counting falls behind, the sockets are simply not read for a moment and their
//! receive buffers (asked for with `ReceiveBufferMB`) take the burst, as they do for any
//! collector. On Linux one `recvmmsg` call reads up to [`SLOTS`] datagrams
//! ([`crate::os::recv_many`]); elsewhere they are read one by one.

use super::{Bound, MAX_DATAGRAM};
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::task::Poll;
use std::time::SystemTime;
use tokio::io::Interest;
use tokio::net::UdpSocket;

/// Datagrams read a system call at most.
pub const SLOTS: usize = 16;

/// Where datagrams land: [`SLOTS`] buffers of [`MAX_DATAGRAM`] bytes (1 MiB of address space;
/// only the pages datagrams were written to are ever resident), and who sent each and its size.
pub struct Landing {
    buf: Vec<u8>,
    got: [(SocketAddr, usize); SLOTS],
}

impl Default for Landing {
    fn default() -> Landing {
        Landing {
            buf: vec![0; SLOTS * MAX_DATAGRAM],
            got: [(SocketAddr::from(([0, 0, 0, 0], 0)), 0); SLOTS],
        }
    }
}

impl Landing {
    /// The slots, each [`MAX_DATAGRAM`] bytes, and where to say what landed in them.
    pub fn slots(&mut self) -> (&mut [u8], &mut [(SocketAddr, usize); SLOTS]) {
        (&mut self.buf, &mut self.got)
    }
}

/// The sockets listened on (none while ports are being changed).
#[derive(Default)]
pub struct Sockets {
    socks: Vec<UdpSocket>,
    addrs: Vec<SocketAddr>,
    /// Sockets found empty during one [`Sockets::read`].
    empty: Vec<bool>,
    /// The socket read first next time, so that a busy one cannot starve the others.
    next: usize,
}

impl Sockets {
    /// Register the bound sockets with the runtime (call inside it).
    pub fn open(bound: Vec<Bound>) -> io::Result<Sockets> {
        let mut s = Sockets::default();
        for b in bound {
            s.socks.push(UdpSocket::from_std(b.socket)?);
            s.addrs.push(b.addr);
        }
        s.empty = vec![false; s.socks.len()];
        Ok(s)
    }

    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// Wait until any socket has a datagram (forever, with no sockets).
    pub async fn readable(&self) {
        poll_fn(|cx| {
            // Every socket is polled, so each one's waker is registered.
            let mut ready = false;
            for s in &self.socks {
                ready |= s.poll_recv_ready(cx).is_ready();
            }
            if ready {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await
    }

    /// Read what the sockets hold now, up to about `most` datagrams, and hand each to `each`
    /// (sender, the datagram, when it was read). Returns how many were read; stops early when
    /// every socket is empty.
    pub fn read(
        &mut self,
        landing: &mut Landing,
        most: usize,
        mut each: impl FnMut(SocketAddr, &[u8], SystemTime),
    ) -> usize {
        let n = self.socks.len();
        let empty = &mut self.empty;
        empty.fill(false);
        let mut read = 0;
        while read < most && empty.iter().any(|e| !e) {
            for k in 0..n {
                let i = (self.next + k) % n;
                if empty[i] {
                    continue;
                }
                let sock = &self.socks[i];
                let (buf, got) = landing.slots();
                match sock.try_io(Interest::READABLE, || {
                    recv_many(sock, buf, MAX_DATAGRAM, got)
                }) {
                    Ok(m) => {
                        let now = SystemTime::now();
                        for (slot, &(from, len)) in got[..m].iter().enumerate() {
                            let at = slot * MAX_DATAGRAM;
                            each(from, &buf[at..at + len], now);
                        }
                        read += m;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => empty[i] = true,
                    // ICMP port-unreachable echoes (Windows reports them on UDP sockets) and
                    // other per-datagram errors do not end listening.
                    Err(e) => {
                        log::debug!("receive error on {}: {e}", self.addrs[i]);
                        empty[i] = true;
                    }
                }
            }
            self.next = (self.next + 1) % n.max(1);
        }
        read
    }
}

#[cfg(target_os = "linux")]
use crate::os::recv_many;

/// One datagram a call where there is no `recvmmsg`: as many as the slots hold, until the
/// socket is empty (`WouldBlock` when it was empty from the start) or a receive fails.
#[cfg(not(target_os = "linux"))]
fn recv_many<const N: usize>(
    sock: &UdpSocket,
    buf: &mut [u8],
    slot: usize,
    got: &mut [(SocketAddr, usize); N],
) -> io::Result<usize> {
    let mut n = 0;
    for (slot, g) in buf.chunks_mut(slot).zip(got.iter_mut()) {
        match sock.try_recv_from(slot) {
            Ok((len, from)) => {
                *g = (from, len);
                n += 1;
            }
            // What was read is kept; an error (Windows reports ICMP port-unreachable echoes
            // on UDP sockets) only ends this call, and the socket is read again.
            Err(_) if n > 0 => break,
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
