//! Forwarding: every datagram nf-svc receives from an accepted sensor also goes, unchanged, to
//! bigger collectors (nfcapd, goflow2, Akvorado, ntopng), as samplicator and `nfcapd -R` do —
//! NetFlow, IPFIX and sFlow alike, decodable or not.
//!
//! Each target has its own queue ([`queue`]) and sender thread, so a slow or dead target never
//! slows counting: the decode stage copies the datagram into the queue and goes on; a full
//! queue drops and counts. Problems are said when they start and then at most once a minute,
//! with counts; a target that works again is said once. With `KeepSource`, datagrams keep
//! their sensor's address as their source (a raw socket, [`crate::os::SpoofedUdp`]), so the
//! collector sees each sensor as itself; where that cannot be done, it is said at the start
//! and datagrams go from this computer's own address.

mod queue;

pub use queue::QUEUE_DATAGRAMS;

use crate::os::SpoofedUdp;
use queue::{Counts, Queue};
use std::io;
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often a problem is said again (with what happened meanwhile), and a name looked up again.
const EVERY: Duration = Duration::from_secs(60);

/// The senders, one per target.
#[derive(Default)]
pub struct Forwarder {
    targets: Vec<Target>,
}

struct Target {
    name: String,
    queue: Arc<Queue>,
    thread: JoinHandle<Counts>,
}

impl Forwarder {
    /// Start a sender per target; also returns the lines the start is said in.
    pub fn start(to: &[String], keep_source: bool) -> (Forwarder, Vec<String>) {
        let mut lines = Vec::new();
        if to.is_empty() {
            return (Forwarder::default(), lines);
        }
        let mut how = "from this computer's own address";
        if keep_source {
            match SpoofedUdp::open() {
                Ok(_) => how = "keeping each sensor's address as the source (IPv4)",
                Err(e) => lines.push(format!(
                    "KeepSource = 1: cannot send datagrams with a sensor's address ({}); forwarded datagrams go from this computer's own address{}",
                    e,
                    if cfg!(target_os = "linux") { " (run as root, or give nf-svc CAP_NET_RAW)" } else { "" }
                )),
            }
        }
        lines.insert(
            0,
            format!(
                "forwarding every datagram from accepted sensors to {}, {how}",
                to.join(", ")
            ),
        );
        let targets = to
            .iter()
            .map(|name| {
                let queue = Arc::new(Queue::default());
                let q = queue.clone();
                let n = name.clone();
                let thread = std::thread::Builder::new()
                    .name("nf-svc-forward".into())
                    .spawn(move || Sender::new(n, keep_source).run(&q))
                    .expect("a thread for forwarding");
                Target {
                    name: name.clone(),
                    queue,
                    thread,
                }
            })
            .collect();
        (Forwarder { targets }, lines)
    }

    /// Queue `data` from `from` for every target; never waits.
    #[inline]
    pub fn put(&self, from: SocketAddr, data: &[u8]) {
        for t in &self.targets {
            t.queue.put(from, data);
        }
    }

    /// Stop: each sender sends what waits, for at most `wait` in all; the totals, one line a
    /// target.
    pub fn close(self, wait: Duration) -> Vec<String> {
        let deadline = Instant::now() + wait;
        for t in &self.targets {
            t.queue.close();
        }
        let mut lines = Vec::new();
        for t in self.targets {
            while !t.thread.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if !t.thread.is_finished() {
                lines.push(format!(
                    "forwarding to {}: stopped with datagrams still queued",
                    t.name
                ));
                continue;
            }
            let c = t.thread.join().unwrap_or_default();
            lines.push(format!(
                "forwarded to {}: {} datagram(s) sent, {} dropped (queue full), {} not sent",
                t.name, c.sent, c.dropped, c.failed
            ));
        }
        lines
    }
}

/// One target's sending side, on its own thread.
struct Sender {
    name: String,
    dest: Option<SocketAddr>,
    looked_up: Instant,
    socket: Option<UdpSocket>,
    spoof: Option<SpoofedUdp>,
    said_v6: bool,
    totals: Counts,
    /// Counts since a problem was last said.
    pending: Counts,
    said: Option<Instant>,
    failing: bool,
}

impl Sender {
    fn new(name: String, keep_source: bool) -> Sender {
        let mut s = Sender {
            name,
            dest: None,
            looked_up: Instant::now(),
            socket: None,
            spoof: keep_source.then(SpoofedUdp::open).and_then(Result::ok),
            said_v6: false,
            totals: Counts::default(),
            pending: Counts::default(),
            said: None,
            failing: false,
        };
        s.look_up();
        s
    }

    fn look_up(&mut self) {
        self.looked_up = Instant::now();
        match self.name.to_socket_addrs().map(|mut a| a.next()) {
            Ok(Some(a)) => {
                self.dest = Some(a);
                self.socket = None;
            }
            Ok(None) => self.pending.why = Some(format!("{} has no address", self.name)),
            Err(e) => self.pending.why = Some(format!("cannot look up {}: {e}", self.name)),
        }
    }

    fn run(mut self, queue: &Queue) -> Counts {
        let mut checked = Instant::now();
        loop {
            match queue.take(Duration::from_secs(1)) {
                Some(w) => {
                    let r = self.send(w.from, &w.data).map_err(|e| e.to_string());
                    queue.done(w.data, r);
                }
                None if queue.is_closed_and_empty() => break,
                None => {}
            }
            if checked.elapsed() >= Duration::from_secs(1) {
                checked = Instant::now();
                self.check(queue, false);
            }
        }
        self.check(queue, true);
        self.totals
    }

    fn send(&mut self, from: SocketAddr, data: &[u8]) -> io::Result<()> {
        if self.dest.is_none() && self.looked_up.elapsed() >= EVERY {
            self.look_up();
        }
        let Some(dest) = self.dest else {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                "no address to send to",
            ));
        };
        if let Some(spoof) = &mut self.spoof {
            match (from, dest) {
                (SocketAddr::V4(f), SocketAddr::V4(d)) => return spoof.send(f, d, data),
                _ if !self.said_v6 => {
                    self.said_v6 = true;
                    log::info!(
                        "forwarding to {}: IPv6 datagrams go from this computer's own address (KeepSource keeps IPv4 sources only)",
                        self.name
                    );
                }
                _ => {}
            }
        }
        if self.socket.is_none() {
            let s = UdpSocket::bind(crate::receive::any_local_for(dest.ip()))?;
            s.connect(dest)?;
            self.socket = Some(s);
        }
        self.socket
            .as_ref()
            .map_or(Ok(()), |s| s.send(data).map(|_| ()))
    }

    /// Collect what happened; say a problem when it starts, then at most once a minute, and
    /// once when the target works again.
    fn check(&mut self, queue: &Queue, end: bool) {
        let c = queue.take_counts();
        self.totals.sent += c.sent;
        self.totals.dropped += c.dropped;
        self.totals.failed += c.failed;
        self.pending.sent += c.sent;
        self.pending.dropped += c.dropped;
        self.pending.failed += c.failed;
        if c.why.is_some() {
            self.pending.why = c.why;
        }
        let trouble = self.pending.dropped + self.pending.failed > 0;
        let due = self.said.is_none_or(|t| t.elapsed() >= EVERY) || end;
        if trouble && due {
            log::warn!("{}", problem_line(&self.name, &self.pending));
            self.said = Some(Instant::now());
            self.failing = true;
            self.pending = Counts::default();
        } else if !trouble && self.failing && self.pending.sent > 0 {
            log::info!("forwarding to {} works again", self.name);
            self.failing = false;
            self.pending = Counts::default();
        }
    }
}

fn problem_line(name: &str, c: &Counts) -> String {
    let mut parts = Vec::new();
    if c.dropped > 0 {
        parts.push(format!(
            "{} datagram(s) dropped because {} were already waiting (the collector or the network is slower than the sensors)",
            c.dropped, QUEUE_DATAGRAMS
        ));
    }
    if c.failed > 0 {
        parts.push(format!(
            "{} not sent ({})",
            c.failed,
            c.why.as_deref().unwrap_or("unknown reason")
        ));
    }
    format!(
        "forwarding to {}: {}; {} sent",
        name,
        parts.join(", "),
        c.sent
    )
}

#[cfg(test)]
mod tests;
