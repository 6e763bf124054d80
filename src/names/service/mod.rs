//! Finding names off the counting path: a thread of its own asks the router for its DHCP
//! leases (at start and every 5 minutes), and for each address nf-svc is about to show — the
//! busiest hosts of a summary, an incident's host, a new sensor, never every address counted —
//! reverse DNS, then NetBIOS for local devices. At most [`IN_FLIGHT`] lookups at once, each
//! with a timeout; what was found (or that nothing was) is kept for a while before asking
//! again. A source that fails is said once, with its words, and again when it works.
//!
//! The pipeline hands addresses over with [`NamesService::want`] (a bounded queue: when full,
//! the address waits for its next summary) and picks up [`Learned`] names when they change.

pub mod dns;
pub mod netbios;
pub mod routeros;

use super::{Known, Learned, Source, clean, vendor};
use crate::settings::NameSettings;
use routeros::{LeaseRead, Router};
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use tokio::time::Instant;

/// Addresses waiting to be looked up.
pub const WANTED_QUEUE: usize = 1024;
/// Addresses whose names are kept (those already known are still updated).
pub const MAX_LEARNED: usize = 10_000;
/// Lookups at once.
pub const IN_FLIGHT: usize = 8;
/// How long a name found is believed, and how long "no name" is.
const NAME_LIFETIME: Duration = Duration::from_secs(3600);
const NO_NAME_LIFETIME: Duration = Duration::from_secs(600);
/// A lookup that failed (no answer) is tried again after this.
const RETRY: Duration = Duration::from_secs(120);
const LEASES_EVERY: Duration = Duration::from_secs(300);
const NETBIOS_WAIT: Duration = Duration::from_secs(1);
const PUBLISH_EVERY: Duration = Duration::from_secs(1);

/// An address to name, with the MAC address its flows carried, if any.
#[derive(Debug, Clone, Copy)]
pub struct Want {
    pub addr: IpAddr,
    pub mac: Option<u64>,
}

#[derive(Default)]
struct Published {
    learned: Learned,
    version: u64,
    /// Entries changed since the pipeline last took them (for the history store).
    fresh: Vec<(IpAddr, Known)>,
}

/// The running name finder.
pub struct NamesService {
    wanted: mpsc::Sender<Want>,
    published: Arc<Mutex<Published>>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    /// The queue's being full was said.
    full_said: std::sync::atomic::AtomicBool,
}

impl NamesService {
    /// Start finding names with `s`, knowing `known` already (the history store's).
    pub fn start(s: &NameSettings, known: HashMap<IpAddr, Known>) -> NamesService {
        let (wanted, wanted_rx) = mpsc::channel(WANTED_QUEUE);
        let (stop, stop_rx) = oneshot::channel();
        let published = Arc::new(Mutex::new(Published {
            learned: Arc::new(known.clone()),
            ..Published::default()
        }));
        let worker = Worker::new(s, known, published.clone());
        let thread = std::thread::Builder::new()
            .name("nf-svc-names".into())
            .spawn(move || worker.run_on_own_runtime(wanted_rx, stop_rx))
            .ok();
        NamesService {
            wanted,
            published,
            stop: Some(stop),
            thread,
            full_said: Default::default(),
        }
    }

    /// Name `addr` when it can; never waits (a full queue drops the request).
    pub fn want(&self, addr: IpAddr, mac: Option<u64>) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.wanted.try_send(Want { addr, mac })
            && !self
                .full_said
                .swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            log::warn!(
                "names: {WANTED_QUEUE} addresses already wait to be named; further ones are asked about when they are shown again"
            );
        }
    }

    /// The names learned, when they changed since `version` (which is updated).
    pub fn learned_since(&self, version: &mut u64) -> Option<Learned> {
        let p = self.published.lock().ok()?;
        (p.version != *version).then(|| {
            *version = p.version;
            p.learned.clone()
        })
    }

    /// The entries changed since the last call.
    pub fn take_fresh(&self) -> Vec<(IpAddr, Known)> {
        self.published
            .lock()
            .map(|mut p| std::mem::take(&mut p.fresh))
            .unwrap_or_default()
    }

    /// Stop (lookups under way are given up); returns what was learned, and the entries
    /// changed since [`NamesService::take_fresh`] last took them.
    pub fn stop(mut self) -> (Learned, Vec<(IpAddr, Known)>) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let fresh = self.take_fresh();
        let learned = self
            .published
            .lock()
            .map(|p| p.learned.clone())
            .unwrap_or_default();
        (learned, fresh)
    }
}

/// What one lookup found.
struct Found {
    addr: IpAddr,
    name: Option<(String, Source)>,
    /// Reverse DNS did not answer: its words.
    dns_failed: Option<String>,
}

struct Worker {
    settings: NameSettings,
    learned: HashMap<IpAddr, Known>,
    changed: Vec<IpAddr>,
    /// When each address may be looked up again.
    next_try: HashMap<IpAddr, Instant>,
    leases: HashMap<IpAddr, routeros::Lease>,
    backlog: VecDeque<Want>,
    dns: Option<hickory_resolver::TokioResolver>,
    dns_failing: bool,
    router_failing: Option<String>,
    router_read: bool,
    full_said: bool,
    /// The bound on addresses waiting or remembered biting was said.
    busy_said: bool,
    published: Arc<Mutex<Published>>,
}

mod worker;
