//! Headless mode (`nf-svc --headless`, the old `/d`): the collector in a console, its service
//! log echoed on stderr, stopped by Ctrl-C or SIGTERM, which write the partial summaries.
//! The Windows service runs the same way ([`run_prepared`]). Either way the collector serves
//! its status endpoint ([`crate::companion`]) for a tray to attach to, and applies its ini when
//! it is saved, as the tray does.

use super::cli::{Cli, EXIT_SETTINGS, EXIT_START};
use crate::core::{self, CoreRemote};
use crate::output::files::log_names;
use crate::output::service_log::LIFECYCLE;
use crate::output::service_log::start_service_log;
use crate::settings::watch::{IniWatcher, SETTLE};
use crate::settings::{self, IniLocation, Settings, SettingsWarning};
use std::path::Path;

/// Settings ready to run with, and what to say about them once the log is open.
pub struct Prepared {
    pub settings: Settings,
    pub location: IniLocation,
    pub created: bool,
    pub warnings: Vec<SettingsWarning>,
}

/// Find (or create) the ini and validate it. Errors are printed on stderr; the `Err` is the
/// exit status.
pub fn prepare(cli: &Cli) -> Result<Prepared, i32> {
    let location = settings::locate_ini(cli.config.as_deref());
    let path = location.path().to_path_buf();
    let created = match settings::ensure_ini(&path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!(
                "nf-svc: cannot create the settings file {}: {e}",
                path.display()
            );
            return Err(EXIT_SETTINGS);
        }
    };
    match settings::load(&path) {
        Ok((settings, warnings)) => {
            for w in &warnings {
                eprintln!("nf-svc: warning: {w}");
            }
            Ok(Prepared {
                settings,
                location,
                created,
                warnings,
            })
        }
        Err(errors) => {
            for e in &errors {
                eprintln!("nf-svc: error: {e}");
            }
            eprintln!(
                "nf-svc: not started: fix the settings above in {} (see nf-svc.ini.example)",
                path.display()
            );
            Err(EXIT_SETTINGS)
        }
    }
}

fn rule(l: &IniLocation) -> &'static str {
    match l {
        IniLocation::Explicit(_) => "given with --config",
        IniLocation::Portable(_) => "next to the program",
        IniLocation::User(_) => "per-user settings",
    }
}

/// Log what is starting: version, exe, ini, logs, the settings in effect.
pub fn log_start(p: &Prepared, mode: &str) {
    let exe = std::env::current_exe().unwrap_or_default();
    log::info!(target: LIFECYCLE,
        "nf-svc {} starting ({mode}): exe {}",
        env!("CARGO_PKG_VERSION"),
        exe.display()
    );
    log::info!(target: LIFECYCLE,
        "settings: {} ({}{})",
        p.settings.ini_path.display(),
        rule(&p.location),
        if p.created {
            ", created with defaults"
        } else {
            ""
        }
    );
    let stem = settings::exe_stem();
    let names = log_names(&stem);
    log::info!(target: LIFECYCLE,
        "logs: {} ({})",
        p.settings.logs.dir.display(),
        names.join(", ")
    );
    for line in p.settings.describe() {
        log::info!(target: LIFECYCLE, "settings in effect: {line}");
    }
    if crate::sink::writable_by_others(&p.settings.logs.dir) {
        log::warn!(
            target: LIFECYCLE,
            "the log folder {} may be written by every user: nf-svc writes no file there through a link, but another user could still delete or replace its files; make it the running user's alone (chmod o-w)",
            p.settings.logs.dir.display()
        );
    }
    for w in &p.warnings {
        log::warn!(target: LIFECYCLE, "{w}");
    }
}

/// Run headless until Ctrl-C/SIGTERM. Returns the process exit status.
pub fn run(cli: &Cli) -> i32 {
    match prepare(cli) {
        Ok(p) => {
            // systemd sets INVOCATION_ID for the processes of a unit.
            let mode = if std::env::var_os("INVOCATION_ID").is_some() {
                "systemd unit"
            } else {
                "headless"
            };
            // Caught from now on: a signal while the collector starts still stops it cleanly.
            let stop = StopSignals::install();
            run_prepared(p, mode, true, move || stop.wait())
        }
        Err(code) => code,
    }
}

/// Run the collector on prepared settings until `wait` returns, then stop it as Quit does
/// (partial summaries, every log and the history flushed). `mode` names the way it runs in
/// the start line; `echo` also prints the service log on stderr. Returns the exit status.
pub fn run_prepared(p: Prepared, mode: &str, echo: bool, wait: impl FnOnce()) -> i32 {
    let stem = settings::exe_stem();
    let _log = match start_service_log(&p.settings.logs, &stem, echo) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("nf-svc: error: {e}");
            return EXIT_START;
        }
    };
    super::panic::install_hook();
    log_start(&p, mode);
    let handle = match core::start(p.settings.clone()) {
        Ok(h) => h,
        Err(e) => {
            log::error!(target: LIFECYCLE, "not started: {e}");
            return EXIT_START;
        }
    };
    if p.created {
        let (title, body) = super::first_run::message(&p.settings);
        log::info!("first run: {title}. {body}");
    }
    let endpoint = match crate::companion::serve(handle.remote(), mode) {
        Ok(e) => {
            log::info!(target: LIFECYCLE, "status endpoint: {}", e.path().display());
            Some(e)
        }
        Err(e) => {
            log::warn!(
                "no status endpoint ({e}): trays and `nf-svc status` will not see this collector"
            );
            None
        }
    };
    let _watcher = watch_settings(&p.settings.ini_path, handle.remote());
    wait();
    // Trays watching see the endpoint close before the collector stops.
    drop(endpoint);
    log::info!(target: LIFECYCLE, "stopping: writing partial summaries");
    if let Some(st) = handle.status() {
        for e in &st.exporters {
            log::info!(target: LIFECYCLE, "{}", e.describe());
        }
        if st.refused_datagrams > 0 {
            log::info!(
                target: LIFECYCLE,
                "{} datagram(s) refused since start: their senders are not in AllowedExporters",
                st.refused_datagrams
            );
        }
    }
    handle.shutdown();
    crate::output::service_log::tell_left_out();
    log::info!(target: LIFECYCLE, "nf-svc {} stopped", env!("CARGO_PKG_VERSION"));
    log::logger().flush();
    0
}

/// Apply the ini whenever it is saved (the tray does the same), from a thread of its own: a
/// broken edit is logged with its file, line and key, and the running settings stay.
fn watch_settings(ini: &Path, core: CoreRemote) -> Option<IniWatcher> {
    let (tx, rx) = std::sync::mpsc::channel();
    let watcher = IniWatcher::start(ini, move || {
        let _ = tx.send(());
    })
    .map_err(|e| log::warn!("settings changes will apply at the next start only: {e}"))
    .ok()?;
    let path = ini.to_path_buf();
    let _ = std::thread::Builder::new()
        .name("nf-svc-settings".into())
        .spawn(move || {
            // Ends when the watcher (and with it the sender) is dropped.
            while rx.recv().is_ok() {
                while rx.recv_timeout(SETTLE).is_ok() {}
                match settings::load(&path) {
                    Ok((s, warnings)) => {
                        for w in &warnings {
                            log::warn!(target: LIFECYCLE, "{w}");
                        }
                        match core.apply(s) {
                            Ok(()) => log::info!(target: LIFECYCLE, "settings reloaded from {}", path.display()),
                            Err(e) => log::error!(target: LIFECYCLE, "new settings not applied: {e}"),
                        }
                    }
                    Err(errors) => {
                        for e in &errors {
                            log::error!(target: LIFECYCLE, "{e}");
                        }
                        log::error!(target: LIFECYCLE, "new settings not applied: the running settings stay");
                    }
                }
            }
        });
    Some(watcher)
}

/// Ctrl-C, SIGTERM and SIGHUP on Unix; Ctrl-C, Ctrl-Break and console close on Windows:
/// caught from the moment [`StopSignals::install`] returns, so one that comes while the
/// collector starts still stops it the way Quit does (it is not the default "die at once").
pub struct StopSignals {
    rt: Option<tokio::runtime::Runtime>,
    #[cfg(unix)]
    signals: Vec<tokio::signal::unix::Signal>,
    #[cfg(windows)]
    signals: (
        Option<tokio::signal::windows::CtrlC>,
        Option<tokio::signal::windows::CtrlBreak>,
        Option<tokio::signal::windows::CtrlClose>,
    ),
}

impl StopSignals {
    pub fn install() -> StopSignals {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| log::error!("cannot wait for Ctrl-C: {e}"))
            .ok();
        let _guard = rt.as_ref().map(|r| r.enter());
        #[cfg(unix)]
        let signals = {
            use tokio::signal::unix::{SignalKind, signal};
            [
                SignalKind::interrupt(),
                SignalKind::terminate(),
                SignalKind::hangup(),
            ]
            .into_iter()
            .filter_map(|k| signal(k).ok())
            .collect()
        };
        #[cfg(windows)]
        let signals = {
            use tokio::signal::windows;
            (
                windows::ctrl_c().ok(),
                windows::ctrl_break().ok(),
                windows::ctrl_close().ok(),
            )
        };
        drop(_guard);
        StopSignals { rt, signals }
    }

    /// Block until one of them comes.
    pub fn wait(mut self) {
        let Some(rt) = self.rt.take() else {
            return;
        };
        rt.block_on(async {
            #[cfg(unix)]
            {
                let waits = self.signals.iter_mut().map(|s| Box::pin(s.recv()));
                if waits.len() > 0 {
                    futures_select_all(waits).await;
                } else {
                    std::future::pending::<()>().await;
                }
            }
            #[cfg(windows)]
            {
                let (c, b, x) = &mut self.signals;
                tokio::select! {
                    _ = async { match c.as_mut() { Some(s) => { s.recv().await; } None => std::future::pending().await } } => {}
                    _ = async { match b.as_mut() { Some(s) => { s.recv().await; } None => std::future::pending().await } } => {}
                    _ = async { match x.as_mut() { Some(s) => { s.recv().await; } None => std::future::pending().await } } => {}
                }
            }
        });
    }
}

/// The first of `waits` to finish.
#[cfg(unix)]
async fn futures_select_all<F: std::future::Future + Unpin>(waits: impl Iterator<Item = F>) {
    let mut waits: Vec<F> = waits.collect();
    std::future::poll_fn(|cx| {
        for w in waits.iter_mut() {
            if std::pin::Pin::new(w).poll(cx).is_ready() {
                return std::task::Poll::Ready(());
            }
        }
        std::task::Poll::Pending
    })
    .await
}
