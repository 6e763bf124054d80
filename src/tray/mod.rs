//! The tray shell: nf-svc in the notification area (Windows) or as a StatusNotifierItem
//! (Linux, through tray-icon's ksni backend: D-Bus only, no GTK).
//!
//! It drives the core only through [`CoreHandle`]: the collector runs on its own tokio
//! runtime, and everything that happens there (summaries, exporters, incidents, problems)
//! arrives here as a winit user event. When a collector already runs on this machine (the
//! Windows service, a console), the tray collects nothing itself: it is that collector's
//! companion ([`companion`]), through its status endpoint. Menu clicks, the ini watcher and
//! later launches of nf-svc arrive the same way. The tray thread waits on two things besides
//! its event loop, both short: a status snapshot from the core (a reply from the counting
//! task, taken for the tooltip and menus) and applying new settings.

mod actions;
pub mod autostart;
mod collector;
mod companion;
pub mod icon;
pub mod menu;
pub mod notifier;
pub mod tooltip;

use crate::app::cli::{Cli, EXIT_START};
use crate::app::headless;
use crate::companion::wire::{Message, Snapshot};
use crate::core::{self, Event};
use crate::output::service_log::LIFECYCLE;
use crate::output::service_log::start_service_log;
use crate::settings::watch::IniWatcher;
use crate::settings::{self, Settings};
use collector::{Backend, Own};
use icon::IconState;
use menu::TrayMenu;
use notifier::Notifier;
use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tray_icon::menu::MenuEvent;
use tray_icon::{TrayIcon, TrayIconBuilder, TrayIconEvent};
use winit::event_loop::{EventLoop, EventLoopProxy};

/// What a later launch of nf-svc tells the running one.
pub const ALREADY_RUNNING: &str = "already-running";
/// What setup (installer, uninstaller) tells the running one before replacing or removing
/// it: quit as Quit in the menu does, partial summaries first.
pub const QUIT_REQUEST: &str = "quit";

/// The running core's stopper, for the session-end handler (which cannot reach the app).
static SESSION_STOPPER: std::sync::Mutex<Option<core::CoreStopper>> = std::sync::Mutex::new(None);

/// How often the tooltip and the Exporters menu are refreshed.
const REFRESH: Duration = Duration::from_secs(5);

/// Everything that wakes the tray thread.
#[derive(Debug)]
pub enum UserEvent {
    Menu(MenuEvent),
    Core(Event),
    IniChanged,
    Instance(String),
    /// SIGTERM/SIGINT (logout, `kill`, systemd), or the Windows session ending.
    Stop,
    /// A click on the icon itself (Windows: left click; Linux: the item's Activate).
    Icon(TrayIconEvent),
    /// A toast was clicked: open what it said.
    Open(notifier::Click),
    /// A line from the collector this tray watches (the number says which attachment).
    Watched(u64, Message),
    /// That collector went away (why).
    WatchEnded(u64, String),
    /// "Send a test notification" is done: a line per channel, and whether all were sent.
    Tested(Vec<String>, bool),
}

/// Run the tray until Quit. Returns the exit status.
pub fn run(cli: &Cli) -> i32 {
    let event_loop = match EventLoop::<UserEvent>::with_user_event().build() {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "nf-svc: no graphical session ({e}); running in this console instead (use --headless to skip this check)"
            );
            return headless::run(cli);
        }
    };
    let proxy = event_loop.create_proxy();
    // One instance per user: a later launch asks this one to say so, and leaves.
    let p = proxy.clone();
    let claim = crate::os::instance_endpoint().and_then(|endpoint| {
        crate::os::instance_claim(&endpoint, ALREADY_RUNNING, move |m| {
            let _ = p.send_event(UserEvent::Instance(m.trim().to_string()));
        })
    });
    match claim {
        Ok(true) => {}
        Ok(false) => return 0,
        Err(e) => eprintln!("nf-svc: cannot check for a running instance ({e}); starting anyway"),
    }
    // Logout or `kill` stops nf-svc the way Quit does: partial summaries first.
    let p = proxy.clone();
    let stop = headless::StopSignals::install();
    let _ = std::thread::Builder::new()
        .name("nf-svc-signals".into())
        .spawn(move || {
            stop.wait();
            let _ = p.send_event(UserEvent::Stop);
        });
    let p = proxy.clone();
    MenuEvent::set_event_handler(Some(move |e| {
        let _ = p.send_event(UserEvent::Menu(e));
    }));
    let p = proxy.clone();
    TrayIconEvent::set_event_handler(Some(move |e| {
        let _ = p.send_event(UserEvent::Icon(e));
    }));

    let mut app = App::new(cli, proxy);
    // Windows logoff/shutdown: write the partial summaries before the session ends.
    if let Err(e) = crate::os::on_session_end(|| {
        if let Ok(mut s) = SESSION_STOPPER.lock()
            && let Some(stopper) = s.take()
        {
            log::info!("session ending: writing partial summaries");
            stopper.stop_and_wait();
            log::logger().flush();
        }
    }) {
        log::warn!("cannot watch for the session ending: {e}");
    }
    if let Err(e) = event_loop.run_app(&mut app) {
        log::error!("the tray stopped unexpectedly: {e}");
        app.quit_core();
        return EXIT_START;
    }
    app.quit_core();
    crate::output::service_log::tell_left_out();
    log::info!(target: LIFECYCLE, "nf-svc {} stopped", env!("CARGO_PKG_VERSION"));
    log::logger().flush();
    0
}

struct App {
    ini_path: PathBuf,
    /// This tray's own settings (valid ones), also while it is a companion: what "Collect
    /// here" starts with.
    settings: Option<Settings>,
    /// The collector shown: its own, or the one it is the companion of.
    backend: Backend,
    /// Attachments so far (stale lines of an earlier one are ignored).
    attachments: u64,
    tray: Option<TrayIcon>,
    menu: Option<TrayMenu>,
    notifier: Notifier,
    proxy: EventLoopProxy<UserEvent>,
    /// The current problem, shown in the tooltip and by the error icon.
    error: Option<String>,
    /// Errors already toasted (each distinct one once).
    toasted: HashSet<String>,
    icon_state: Option<IconState>,
    next_refresh: Instant,
    reload_at: Option<Instant>,
    _watcher: Option<IniWatcher>,
    service_log: Option<flexi_logger::LoggerHandle>,
}

impl App {
    fn new(cli: &Cli, proxy: EventLoopProxy<UserEvent>) -> App {
        let location = settings::locate_ini(cli.config.as_deref());
        let ini_path = location.path().to_path_buf();
        let icon_path = icon::file();
        let app_id = crate::os::register_app_id(icon_path.as_deref());
        let mut app = App {
            ini_path: ini_path.clone(),
            settings: None,
            backend: Backend::Nothing,
            attachments: 0,
            tray: None,
            menu: None,
            notifier: {
                let p = proxy.clone();
                Notifier::start(app_id, icon_path, move |click| {
                    let _ = p.send_event(UserEvent::Open(click));
                })
            },
            proxy: proxy.clone(),
            error: None,
            toasted: HashSet::new(),
            icon_state: None,
            next_refresh: Instant::now(),
            reload_at: None,
            _watcher: None,
            service_log: None,
        };
        let prepared = headless::prepare(cli);
        if let Ok(p) = &prepared {
            match start_service_log(&p.settings.logs, &settings::exe_stem(), false) {
                Ok(h) => app.service_log = Some(h),
                Err(e) => app.show_error(e),
            }
            crate::app::panic::install_hook();
            headless::log_start(p, "tray");
            app.protect_passwords();
            if let Some(w) = p.warnings.first() {
                app.notifier.show("nf-svc settings", w.to_string(), None);
            }
        }
        match (prepared, crate::companion::attach::find()) {
            (p, Some((endpoint, snapshot))) => {
                app.settings = p.ok().map(|p| p.settings);
                app.attach(endpoint, snapshot);
            }
            (Ok(p), None) => {
                if p.created {
                    let (title, body) = crate::app::first_run::message(&p.settings);
                    app.notifier.show(title, body, None);
                }
                app.start_core(p.settings);
            }
            // prepare() printed the errors; show the first in the tray too.
            (Err(_), None) => app.show_settings_error(),
        }
        app._watcher = IniWatcher::start(&ini_path, move || {
            let _ = proxy.send_event(UserEvent::IniChanged);
        })
        .map_err(|e| log::warn!("settings changes will apply at the next start only: {e}"))
        .ok();
        app
    }

    fn start_core(&mut self, s: Settings) {
        match core::start(s.clone()) {
            Ok(h) => {
                let mut rx = h.events();
                let proxy = self.proxy.clone();
                let _ = std::thread::Builder::new()
                    .name("nf-svc-core-events".into())
                    .spawn(move || {
                        loop {
                            match rx.blocking_recv() {
                                Ok(e) => {
                                    if proxy.send_event(UserEvent::Core(e)).is_err() {
                                        return;
                                    }
                                }
                                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                                    continue;
                                }
                                Err(_) => return,
                            }
                        }
                    });
                if let Ok(mut s) = SESSION_STOPPER.lock() {
                    *s = Some(h.stopper());
                }
                self.backend = Backend::Own(Box::new(Own {
                    core: h,
                    settings: s.clone(),
                }));
                self.error = None;
            }
            Err(e) => {
                log::error!(target: LIFECYCLE, "not started: {e}");
                self.show_error(e.to_string());
            }
        }
        self.settings = Some(s);
    }

    /// Show a problem: error icon, tooltip, and a toast the first time it happens.
    fn show_error(&mut self, msg: String) {
        if self.toasted.insert(msg.clone()) {
            self.notifier.show("nf-svc problem", msg.clone(), None);
        }
        self.error = Some(msg);
        self.refresh();
    }

    /// This tray's settings cannot be used: show why (the first problem, with file and line).
    fn show_settings_error(&mut self) {
        let msg = match settings::load(&self.ini_path) {
            Err(errs) => errs.first().map(|e| e.to_string()).unwrap_or_default(),
            Ok(_) => format!("cannot use the settings file {}", self.ini_path.display()),
        };
        self.show_error(format!("settings not valid: {msg}"));
    }

    fn log_dir(&self) -> PathBuf {
        if let Some(c) = self.backend.collector() {
            return c.log_dir();
        }
        match &self.settings {
            Some(s) => s.logs.dir.clone(),
            None => self
                .ini_path
                .parent()
                .map(|d| d.join("logs"))
                .unwrap_or_default(),
        }
    }

    fn create_tray(&mut self) {
        if self.tray.is_some() {
            return;
        }
        let status = self.snapshot();
        let port = status
            .as_ref()
            .map(|s| s.port)
            .or_else(|| {
                self.settings
                    .as_ref()
                    .and_then(|s| s.receive.ports.first().copied())
            })
            .unwrap_or(2055);
        let menu = match TrayMenu::new(autostart::is_enabled(), port) {
            Ok(m) => m,
            Err(e) => {
                log::error!("cannot build the tray menu: {e}");
                return;
            }
        };
        let state = self.state(status.as_ref());
        let mut b = TrayIconBuilder::new()
            .with_menu(Box::new(menu.menu.clone()))
            // A left click opens the report; the menu is on the right button.
            .with_menu_on_left_click(false)
            .with_tooltip(self.tooltip(status.as_ref()))
            .with_title("nf-svc")
            .with_id("nf-svc");
        if let Some(i) = icon::tray_icon(state) {
            b = b.with_icon(i);
        }
        match b.build() {
            Ok(t) => {
                self.tray = Some(t);
                self.menu = Some(menu);
                self.icon_state = Some(state);
            }
            Err(e) => log::error!("cannot show the tray icon: {e}"),
        }
        self.refresh();
    }

    /// The collector's state: the one this tray owns, or the one it watches.
    fn snapshot(&self) -> Option<Snapshot> {
        self.backend.collector().and_then(|c| c.snapshot())
    }

    fn state(&self, status: Option<&Snapshot>) -> IconState {
        if self.error.is_some() {
            IconState::Error
        } else if status.is_some_and(|s| s.alert.is_some()) {
            IconState::Alert
        } else if status.is_some_and(|s| s.paused) {
            IconState::Paused
        } else {
            IconState::Collecting
        }
    }

    fn tooltip(&self, status: Option<&Snapshot>) -> String {
        let companion = self.backend.collector().is_some_and(|c| c.is_companion());
        tooltip::tooltip(status, self.error.as_deref(), companion)
    }

    /// Update tooltip, icon and the Exporters menu from the collector's status.
    fn refresh(&mut self) {
        if self.backend.watched_is_gone() {
            self.try_attach_again();
        }
        let status = self.snapshot();
        let state = self.state(status.as_ref());
        let tip = self.tooltip(status.as_ref());
        if let Some(tray) = self.tray.as_mut() {
            let _ = tray.set_tooltip(Some(&tip));
            if self.icon_state != Some(state) {
                let _ = tray.set_icon(icon::tray_icon(state));
                self.icon_state = Some(state);
            }
        }
        if let (Some(menu), Some(st)) = (self.menu.as_mut(), status.as_ref()) {
            let lines = st.sensors.iter().map(|e| e.line()).collect();
            menu.set_exporters(lines, st.port);
            menu.pause.set_checked(st.paused);
        }
        let offer = self.backend.watched_is_gone();
        if let Some(menu) = self.menu.as_mut() {
            menu.offer_collect_here(offer);
        }
        self.refresh_reports();
        self.next_refresh = Instant::now() + REFRESH;
    }

    fn quit_core(&mut self) {
        if let Backend::Own(own) = std::mem::take(&mut self.backend) {
            own.core.shutdown();
        }
    }
}
