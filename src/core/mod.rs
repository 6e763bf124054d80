//! The collector core and the one small handle that drives it.
//!
//! [`start`] binds the sockets (so a taken port fails here, before anything runs), opens the
//! outputs, and runs the pipeline on its own tokio runtime. Whoever runs nf-svc holds a
//! [`CoreHandle`]: pause/resume, apply new settings, a status snapshot, a stream of
//! [`Event`]s (sent by the outputs' event output), and shutdown (which writes the partial
//! summaries and flushes every output). The core knows nothing about who holds the handle.

mod decode_stage;
mod outputs;
mod pipeline;

pub use crate::sink::Event;

use crate::alerts::Incident;
use crate::health::ExporterHealth;
use crate::output::service_log::LIFECYCLE;
use crate::receive::{self, BindError};
use crate::settings::Settings;
use crate::summary::Summary;
use chrono::{DateTime, Local};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, oneshot};

/// A snapshot of the core's state.
#[derive(Debug, Clone)]
pub struct Status {
    pub listening: Vec<SocketAddr>,
    pub paused: bool,
    pub exporters: Vec<ExporterHealth>,
    pub flows_per_minute: u64,
    /// Datagrams refused by the exporter allowlist.
    pub refused_datagrams: u64,
    pub last_summary: Option<DateTime<Local>>,
    /// The newest report of each interval, shortest interval first.
    pub latest: Vec<Arc<Summary>>,
    /// Traffic incidents going on now, oldest first.
    pub active_incidents: Vec<Incident>,
    pub settings: Settings,
    /// What devices are called now.
    pub names: crate::names::Names,
}

/// Why the core could not start.
#[derive(Debug)]
pub enum StartError {
    Bind(BindError),
    Logs(String),
    Runtime(std::io::Error),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Bind(e) => e.fmt(f),
            StartError::Logs(e) => f.write_str(e),
            StartError::Runtime(e) => write!(f, "cannot start the background runtime: {e}"),
        }
    }
}

impl std::error::Error for StartError {}

enum Command {
    Apply(Box<Settings>, oneshot::Sender<Result<(), String>>),
    Status(oneshot::Sender<Status>),
    Shutdown(oneshot::Sender<()>),
}

/// The handle the core is driven with (by the headless runner, by the notification-area shell).
pub struct CoreHandle {
    remote: CoreRemote,
    runtime: Option<tokio::runtime::Runtime>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// Start the collector with `settings`.
pub fn start(settings: Settings) -> Result<CoreHandle, StartError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("nf-svc-core")
        .enable_all()
        .build()
        .map_err(StartError::Runtime)?;
    let r = &settings.receive;
    let bound = receive::bind_with_sflow(&r.listen, &r.ports, r.sflow_port, r.buffer_bytes)
        .map_err(StartError::Bind)?;
    let (commands, command_rx) = mpsc::unbounded_channel();
    let (events, _) = broadcast::channel(1024);
    let paused = Arc::new(AtomicBool::new(false));
    for (addr, why) in &bound.skipped {
        log::warn!(target: LIFECYCLE, "not listening on {addr}: {why}");
    }
    let pipeline = {
        let _guard = runtime.enter();
        pipeline::Pipeline::new(settings, bound.bound, events.clone(), paused.clone())?
    };
    let task = runtime.spawn(pipeline.run(command_rx));
    Ok(CoreHandle {
        remote: CoreRemote {
            commands,
            events,
            paused,
        },
        runtime: Some(runtime),
        task: Some(task),
    })
}

/// What another thread or task may do with a running core without owning it: the status
/// endpoint serves it to companion trays, the headless runner applies a saved ini with it.
#[derive(Clone)]
pub struct CoreRemote {
    commands: mpsc::UnboundedSender<Command>,
    events: broadcast::Sender<Event>,
    paused: Arc<AtomicBool>,
}

impl CoreRemote {
    /// Stop or resume counting. Datagrams keep arriving and are counted as dropped.
    pub fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::Relaxed);
    }

    pub fn is_paused(&self) -> bool {
        self.paused.load(Ordering::Relaxed)
    }

    /// Subscribe to events from now on.
    pub fn events(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// A status snapshot, from async code (`None` once stopped).
    pub async fn status(&self) -> Option<Status> {
        let (tx, rx) = oneshot::channel();
        self.commands.send(Command::Status(tx)).ok()?;
        rx.await.ok()
    }

    /// A status snapshot, from a plain thread (`None` once stopped).
    pub fn status_blocking(&self) -> Option<Status> {
        let (tx, rx) = oneshot::channel();
        self.commands.send(Command::Status(tx)).ok()?;
        rx.blocking_recv().ok()
    }

    /// Apply new settings (listeners rebound when ports change, intervals rescheduled without
    /// losing counts). On error the running settings stay. From a plain thread.
    pub fn apply(&self, settings: Settings) -> Result<(), String> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::Apply(Box::new(settings), tx))
            .map_err(|_| "the collector has stopped".to_string())?;
        rx.blocking_recv()
            .unwrap_or_else(|_| Err("the collector has stopped".to_string()))
    }
}

/// Stops the core from anywhere (another thread, a Windows session-end message) and waits
/// until the partial summaries are written.
#[derive(Clone)]
pub struct CoreStopper {
    commands: mpsc::UnboundedSender<Command>,
}

impl CoreStopper {
    pub fn stop_and_wait(&self) {
        let (tx, rx) = oneshot::channel();
        if self.commands.send(Command::Shutdown(tx)).is_ok() {
            let _ = rx.blocking_recv();
        }
    }
}

impl CoreHandle {
    /// A stopper for this core, usable from other threads.
    pub fn stopper(&self) -> CoreStopper {
        CoreStopper {
            commands: self.remote.commands.clone(),
        }
    }

    /// What others may do with this core while it runs (status, pause, events, apply).
    pub fn remote(&self) -> CoreRemote {
        self.remote.clone()
    }

    /// Stop or resume counting. Datagrams keep arriving and are counted as dropped.
    pub fn set_paused(&self, paused: bool) {
        self.remote.set_paused(paused)
    }

    pub fn is_paused(&self) -> bool {
        self.remote.is_paused()
    }

    /// Subscribe to events from now on.
    pub fn events(&self) -> broadcast::Receiver<Event> {
        self.remote.events()
    }

    /// Apply new settings (listeners rebound when ports change, intervals rescheduled without
    /// losing counts). On error the running settings stay.
    pub fn apply(&self, settings: Settings) -> Result<(), String> {
        self.remote.apply(settings)
    }

    /// A snapshot of listeners, exporters and the latest summaries (`None` once stopped).
    pub fn status(&self) -> Option<Status> {
        self.remote.status_blocking()
    }

    /// Write the partial summaries, flush every log and stop. Blocks until done.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let (tx, rx) = oneshot::channel();
        if self.remote.commands.send(Command::Shutdown(tx)).is_ok() {
            let _ = rx.blocking_recv();
        }
        if let (Some(rt), Some(task)) = (self.runtime.as_ref(), self.task.take()) {
            let _ = rt.block_on(task);
        }
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(Duration::from_secs(2));
        }
    }
}

impl Drop for CoreHandle {
    fn drop(&mut self) {
        if self.runtime.is_some() {
            self.stop();
        }
    }
}
