//! The collector's side of the status endpoint: a thread of its own with a small runtime,
//! serving every client one request (see [`super::wire`]). At most [`CLIENTS`] at once, a
//! request line of at most [`REQUEST_MAX`] bytes, and a client that neither sends nor reads
//! for [`CLIENT_TIMEOUT`] is dropped: a stuck or hostile local client costs a bounded amount.
//! Pages are made for at most [`REPORTS_PER_MINUTE`] requests a minute, all clients together
//! (each reads the store and writes a file). Who paused, resumed or asked for a page is logged
//! ([`crate::os::peer`]: the uid on Unix, the process on Windows).

use super::SNAPSHOT_EVERY;
use super::wire::{self, Listed, Message, Request, Snapshot};
use crate::core::{CoreRemote, Status};
use crate::os::{LocalConn, LocalListener};
use crate::report;
use crate::settings::Settings;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, WriteHalf};
use tokio::sync::{Semaphore, broadcast, watch};
use tokio::time::{Instant, timeout};

/// Clients served at once (each watching tray is one).
pub const CLIENTS: usize = 16;
/// A request line is at most this long.
pub const REQUEST_MAX: u64 = 4096;
/// A client that sends no request, or reads nothing, for this long is dropped.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);
/// After an event, a watching client gets a fresh snapshot this soon.
const AFTER_EVENT: Duration = Duration::from_millis(200);
/// Incidents listed in a snapshot's Reports menu.
const REPORTS_LISTED: usize = 8;
/// Pages made a minute for the endpoint's clients, all together.
pub const REPORTS_PER_MINUTE: u32 = 30;

/// The page requests of the current minute: when it began, how many, and whether a refusal
/// was said.
struct ReportBudget(std::sync::Mutex<(Instant, u32, bool)>);

impl ReportBudget {
    fn new() -> ReportBudget {
        ReportBudget(std::sync::Mutex::new((Instant::now(), 0, false)))
    }

    /// Whether one more page may be made now; the first refusal of a minute is logged.
    fn take(&self, who: &str) -> bool {
        let Ok(mut b) = self.0.lock() else {
            return false;
        };
        if b.0.elapsed() >= Duration::from_secs(60) {
            *b = (Instant::now(), 0, false);
        }
        if b.1 < REPORTS_PER_MINUTE {
            b.1 += 1;
            return true;
        }
        if !b.2 {
            log::warn!(
                "status endpoint: page requests over {REPORTS_PER_MINUTE} a minute are refused (the latest from {who})"
            );
            b.2 = true;
        }
        false
    }
}

/// The served endpoint; dropping it closes every connection (watching trays see it end).
pub struct Endpoint {
    path: PathBuf,
    stop: Option<watch::Sender<bool>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Endpoint {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(true);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Serve `remote`'s status for a collector running as `mode` (`headless`, `Windows
/// service`). Fails when the endpoint cannot be made or another collector serves it.
pub fn serve(remote: CoreRemote, mode: &str) -> io::Result<Endpoint> {
    let path = crate::os::status_endpoint()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let listener = {
        let _g = rt.enter();
        LocalListener::bind(&path).map_err(|e| {
            if e.kind() == io::ErrorKind::AddrInUse {
                io::Error::new(e.kind(), "another collector already serves it")
            } else {
                e
            }
        })?
    };
    let (stop, stopped) = watch::channel(false);
    let mode = mode.to_string();
    let thread = std::thread::Builder::new()
        .name("nf-svc-status".into())
        .spawn(move || rt.block_on(accept(listener, remote, mode, stopped)))?;
    Ok(Endpoint {
        path,
        stop: Some(stop),
        thread: Some(thread),
    })
}

async fn accept(
    mut listener: LocalListener,
    remote: CoreRemote,
    mode: String,
    mut stopped: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(CLIENTS));
    let reports = Arc::new(ReportBudget::new());
    let mut full_said = false;
    loop {
        let conn = tokio::select! {
            _ = stopped.changed() => return,
            c = listener.accept() => c,
        };
        let conn = match conn {
            Ok(c) => c,
            Err(e) => {
                log::debug!("status endpoint: a client left before it was served: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            if !full_said {
                log::warn!(
                    "status endpoint: {CLIENTS} clients at once; more are turned away until one leaves"
                );
                full_said = true;
            }
            continue;
        };
        full_said = false;
        let (remote, mode, stopped) = (remote.clone(), mode.clone(), stopped.clone());
        let reports = reports.clone();
        tokio::spawn(async move {
            let _slot = slot;
            if let Err(e) = client(conn, &remote, &mode, stopped, &reports).await {
                log::debug!("status endpoint: a client ended: {e}");
            }
        });
    }
}

async fn send(w: &mut WriteHalf<LocalConn>, m: &Message) -> io::Result<()> {
    timeout(CLIENT_TIMEOUT, w.write_all(&wire::line(m)))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "the client reads nothing"))?
}

/// The collector's status, or why there is none.
async fn status(remote: &CoreRemote) -> io::Result<Status> {
    remote
        .status()
        .await
        .ok_or_else(|| io::Error::other("the collector has stopped"))
}

/// The collector's snapshot with its Reports menu, and its settings.
async fn snapshot(remote: &CoreRemote, mode: &str) -> io::Result<(Snapshot, Settings)> {
    let st = status(remote).await?;
    let mut snap = Snapshot::of(&st, mode, SystemTime::now());
    let settings = st.settings;
    let s = settings.clone();
    snap.reports = tokio::task::spawn_blocking(move || {
        report::recent_incidents(&report::PageSettings::of(&s), REPORTS_LISTED)
            .into_iter()
            .map(|(host, start, text)| Listed { host, start, text })
            .collect()
    })
    .await
    .unwrap_or_default();
    Ok((snap, settings))
}

async fn client(
    conn: LocalConn,
    remote: &CoreRemote,
    mode: &str,
    stopped: watch::Receiver<bool>,
    reports: &ReportBudget,
) -> io::Result<()> {
    let who = crate::os::peer(&conn);
    let (rd, mut wr) = tokio::io::split(conn);
    let mut line = String::new();
    let mut rd = BufReader::new(rd.take(REQUEST_MAX));
    timeout(CLIENT_TIMEOUT, rd.read_line(&mut line))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no request"))??;
    let request: Request = match serde_json::from_str(line.trim()) {
        Ok(r) => r,
        Err(e) => {
            let m = Message::Done(Err(format!("not a request ({e})")));
            return send(&mut wr, &m).await;
        }
    };
    match request {
        Request::Status => {
            let (snap, _) = snapshot(remote, mode).await?;
            send(&mut wr, &Message::Snapshot(Box::new(snap))).await
        }
        Request::Pause | Request::Resume => {
            let paused = request == Request::Pause;
            if remote.is_paused() != paused {
                remote.set_paused(paused);
                log::info!(
                    "capture {} (asked through the status endpoint by {who})",
                    if paused { "paused" } else { "resumed" }
                );
            }
            send(&mut wr, &Message::Done(Ok(String::new()))).await
        }
        Request::Report(page) => {
            let made = if reports.take(&who) {
                log::info!("page {page:?} asked through the status endpoint by {who}");
                make_page(remote, page).await?
            } else {
                Err(format!(
                    "too many page requests (more than {REPORTS_PER_MINUTE} a minute); try again in a minute"
                ))
            };
            send(&mut wr, &Message::Done(made)).await
        }
        Request::Watch => watch(&mut wr, remote, mode, stopped).await,
    }
}

/// Make a page the client asked for, on a blocking thread (it reads the store).
async fn make_page(remote: &CoreRemote, page: report::Page) -> io::Result<Result<String, String>> {
    let st = status(remote).await?;
    Ok(tokio::task::spawn_blocking(move || {
        report::make(
            &report::PageSettings::of(&st.settings),
            &page,
            Some(&st.latest),
        )
        .map(|p| p.to_string_lossy().into_owned())
    })
    .await
    .unwrap_or_else(|e| Err(e.to_string())))
}

/// A watching client: a snapshot now, then each notice as it happens and a snapshot shortly
/// after (once for a burst of events) or every few seconds, until the collector stops.
async fn watch(
    wr: &mut WriteHalf<LocalConn>,
    remote: &CoreRemote,
    mode: &str,
    mut stopped: watch::Receiver<bool>,
) -> io::Result<()> {
    // Subscribed before the first snapshot: nothing falls between the two.
    let mut events = remote.events();
    let (snap, mut settings) = snapshot(remote, mode).await?;
    send(wr, &Message::Snapshot(Box::new(snap))).await?;
    let mut due = Instant::now() + SNAPSHOT_EVERY;
    loop {
        tokio::select! {
            _ = stopped.changed() => return Ok(()),
            _ = tokio::time::sleep_until(due) => {
                let (snap, s) = snapshot(remote, mode).await?;
                settings = s;
                send(wr, &Message::Snapshot(Box::new(snap))).await?;
                due = Instant::now() + SNAPSHOT_EVERY;
            }
            e = events.recv() => {
                match e {
                    Ok(e) => {
                        if let Some(n) = wire::notice(&e, &settings) {
                            send(wr, &Message::Notice(n)).await?;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return Ok(()),
                }
                due = due.min(Instant::now() + AFTER_EVENT);
            }
        }
    }
}
