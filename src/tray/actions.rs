//! What the tray does when something happens: a click on the icon, a menu or a toast, an event
//! from the core, a saved settings file, a later launch — all of it arriving through winit's
//! event loop ([`ApplicationHandler`]).

use super::collector::{Backend, REPORTS_LISTED};
use super::notifier::Click;
use super::{ALREADY_RUNNING, QUIT_REQUEST, UserEvent, notifier};
use super::{App, autostart, menu};
use crate::companion::wire::{self, Notice};
use crate::core::Event;
use crate::output;
use crate::output::service_log::LIFECYCLE;
use crate::output::service_log::start_service_log;
use crate::report::Page;
use crate::settings::watch::SETTLE;
use crate::{report, settings};
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Instant;
use tray_icon::{MouseButton, MouseButtonState, TrayIconEvent};
use winit::application::ApplicationHandler;
use winit::event::{StartCause, WindowEvent};
use winit::event_loop::{ActiveEventLoop, ControlFlow};
use winit::window::WindowId;

impl App {
    /// Make the page a click asks for (fresh), and open it; a watched collector makes it
    /// itself. Without a history to read, the report falls back to the latest text summary.
    pub(super) fn open_click(&mut self, click: Click) {
        let made: Result<PathBuf, String> = match click {
            Click::CollectHere => return self.collect_here(),
            Click::Path(p) => Ok(p),
            Click::Page(page) => match (self.backend.collector(), &self.settings) {
                (Some(c), _) => c.page(&page),
                (None, Some(s)) => report::make(&report::PageSettings::of(s), &page, None),
                (None, None) => return,
            },
        };
        let target = match made {
            Ok(p) => p,
            Err(e) => {
                log::warn!("cannot make the report ({e}); opening the latest summary instead");
                let p = self.log_dir().join(output::LATEST_SUMMARY);
                if p.exists() { p } else { self.log_dir() }
            }
        };
        self.open(&target);
    }

    fn open(&mut self, target: &std::path::Path) {
        if let Err(e) = crate::os::open_path(target) {
            self.show_error(format!("cannot open {}: {e}", target.display()));
        }
    }

    /// The Reports submenu: the latest incidents, each opening its device report.
    pub(super) fn refresh_reports(&mut self) {
        let listed: Vec<(IpAddr, i64, String)> = match (self.backend.collector(), &self.settings) {
            (Some(c), _) => c.recent_incidents(),
            (None, Some(s)) => {
                report::recent_incidents(&report::PageSettings::of(s), REPORTS_LISTED)
            }
            (None, None) => return,
        };
        let Some(m) = self.menu.as_mut() else {
            return;
        };
        let items = listed
            .into_iter()
            .map(|(host, start, text)| (format!("{}{host}|{start}", menu::REPORT_PREFIX), text))
            .collect();
        m.set_reports(items);
    }

    /// The settings file of the collector shown, else this tray's.
    fn shown_ini(&self) -> PathBuf {
        match self.backend.collector() {
            Some(c) => c.ini(),
            None => self.ini_path.clone(),
        }
    }

    pub(super) fn on_menu(&mut self, id: &str, event_loop: &ActiveEventLoop) {
        if let Some(rest) = id.strip_prefix(menu::REPORT_PREFIX)
            && let Some((host, start)) = rest.split_once('|')
            && let (Ok(host), Ok(start)) = (host.parse(), start.parse())
        {
            self.open_click(Click::Page(Page::Incident { host, start }));
            return;
        }
        match id {
            menu::OPEN_REPORT => self.open_click(Click::Page(Page::Overview)),
            menu::COLLECT_HERE => self.collect_here(),
            menu::OPEN_SUMMARY => {
                let p = self.log_dir().join(output::LATEST_SUMMARY);
                let target = if p.exists() { p } else { self.log_dir() };
                self.open(&target);
            }
            menu::OPEN_LOGS => {
                let d = self.log_dir();
                let _ = std::fs::create_dir_all(&d);
                self.open(&d);
            }
            menu::EDIT_SETTINGS => self.edit_settings(),
            menu::TEST_NOTIFY => self.test_notify(),
            menu::PAUSE => self.toggle_pause(),
            menu::AUTOSTART => self.toggle_autostart(),
            menu::ABOUT => {
                let about = match self.backend.collector() {
                    Some(c) => c.about(),
                    None => format!(
                        "Settings: {}\nLogs: {}",
                        self.ini_path.display(),
                        self.log_dir().display()
                    ),
                };
                self.notifier
                    .show(format!("nf-svc {}", env!("CARGO_PKG_VERSION")), about, None);
            }
            menu::QUIT if self.backend.watched().is_some() => {
                log::info!(target: LIFECYCLE, "quit from the tray: the collector it showed keeps running");
                event_loop.exit();
            }
            menu::QUIT => {
                log::info!(target: LIFECYCLE, "quit from the tray: writing partial summaries");
                self.quit_core();
                event_loop.exit();
            }
            _ => {}
        }
    }

    /// "Send a test notification": with the shown collector's `[Notify]` settings, on a thread
    /// of its own (a server that never answers must not freeze the menu); the result comes
    /// back as [`UserEvent::Tested`] and is toasted and logged.
    fn test_notify(&mut self) {
        let ini = self.shown_ini();
        let proxy = self.proxy.clone();
        let spawned = std::thread::Builder::new()
            .name("nf-svc-test-notify".into())
            .spawn(move || {
                let (lines, all) = match settings::load(&ini) {
                    Ok((s, _)) => crate::notify::test(&s.notify),
                    Err(errors) => {
                        let first = errors.first().map(|e| e.to_string()).unwrap_or_default();
                        (vec![format!("settings not valid: {first}")], false)
                    }
                };
                let _ = proxy.send_event(UserEvent::Tested(lines, all));
            });
        if let Err(e) = spawned {
            self.show_error(format!("cannot send a test notification: {e}"));
        }
    }

    /// On Windows, passwords typed plainly into this tray's ini are stored encrypted for this
    /// PC (DPAPI), in place; said in the service log. (The rewrite reloads the settings once
    /// more, finding nothing left to do.)
    pub(super) fn protect_passwords(&self) {
        if !crate::os::secret::CAN_PROTECT {
            return;
        }
        match settings::protect::protect_file(&self.ini_path) {
            Ok(done) if done.is_empty() => {}
            Ok(done) => log::info!(target: LIFECYCLE,
                "{}: {} now stored encrypted for this PC (DPAPI)",
                self.ini_path.display(),
                done.join(", ")
            ),
            Err(e) => {
                log::warn!(target: LIFECYCLE, "cannot encrypt the passwords in the settings: {e}")
            }
        }
    }

    /// Open the shown collector's ini; a companion's (the service's) is the administrators'
    /// to change when this user may not write it: ask for elevation.
    fn edit_settings(&mut self) {
        let ini = self.shown_ini();
        let companion = self.backend.collector().is_some_and(|c| c.is_companion());
        let writable = std::fs::OpenOptions::new().append(true).open(&ini).is_ok();
        let opened = if writable || !companion {
            crate::os::edit_file(&ini)
        } else {
            crate::os::edit_file_as_admin(&ini)
        };
        if let Err(e) = opened {
            self.show_error(format!("cannot open {}: {e}", ini.display()));
        }
    }

    fn toggle_pause(&mut self) {
        let paused = self
            .backend
            .collector()
            .and_then(|c| c.snapshot())
            .is_some_and(|st| st.paused);
        if let Some(c) = self.backend.collector_mut()
            && let Err(e) = c.set_paused(!paused)
        {
            self.show_error(e);
        }
        self.refresh();
    }

    fn toggle_autostart(&mut self) {
        let want = !autostart::is_enabled();
        match autostart::set_enabled(want) {
            Ok(()) => log::info!("start at login {}", if want { "on" } else { "off" }),
            Err(e) => self.show_error(format!("cannot change start at login: {e}")),
        }
        if let Some(m) = &self.menu {
            m.autostart.set_checked(autostart::is_enabled());
        }
    }

    pub(super) fn on_core(&mut self, e: Event) {
        let n = match (&e, &self.settings) {
            (_, Some(s)) => wire::notice(&e, s),
            (Event::Problem(m), None) => Some(Notice::Problem(m.clone())),
            _ => None,
        };
        if let Some(n) = n {
            self.on_notice(n);
        }
        self.refresh();
    }

    pub(super) fn reload_settings(&mut self) {
        if self.backend.watched().is_some() {
            // Kept for when this tray collects itself; the watched collector has its own.
            match settings::load(&self.ini_path) {
                Ok((s, _)) => {
                    self.protect_passwords();
                    log::info!(target: LIFECYCLE,
                        "settings {} saved: used when this tray collects itself",
                        self.ini_path.display()
                    );
                    self.settings = Some(s);
                }
                Err(errs) => {
                    for e in &errs {
                        log::error!(target: LIFECYCLE, "{e}");
                    }
                }
            }
            return;
        }
        match settings::load(&self.ini_path) {
            Ok((s, warnings)) => {
                self.protect_passwords();
                // Started with broken settings: the service log starts now.
                if self.service_log.is_none() {
                    match start_service_log(&s.logs, &settings::exe_stem(), false) {
                        Ok(h) => {
                            self.service_log = Some(h);
                            crate::app::panic::install_hook();
                        }
                        Err(e) => self.show_error(e),
                    }
                }
                for w in &warnings {
                    log::warn!(target: LIFECYCLE, "{w}");
                }
                let result = match &mut self.backend {
                    Backend::Own(own) => own.core.apply(s.clone()).map(|()| {
                        own.settings = s.clone();
                    }),
                    _ => {
                        self.start_core(s.clone());
                        match &self.error {
                            Some(e) => Err(e.clone()),
                            None => Ok(()),
                        }
                    }
                };
                match result {
                    Ok(()) => {
                        self.settings = Some(s);
                        self.error = None;
                        log::info!(target: LIFECYCLE, "settings reloaded from {}", self.ini_path.display());
                        self.notifier.show(
                            "nf-svc settings applied",
                            self.ini_path.display().to_string(),
                            None,
                        );
                    }
                    Err(e) => {
                        log::error!(target: LIFECYCLE, "new settings not applied: {e}");
                        self.notifier.show("nf-svc settings not applied", e, None);
                    }
                }
            }
            Err(errs) => {
                for e in &errs {
                    log::error!(target: LIFECYCLE, "{e}");
                }
                let first = errs.first().map(|e| e.to_string()).unwrap_or_default();
                self.notifier
                    .show("nf-svc settings not applied", first, None);
            }
        }
        self.refresh();
    }
}

impl ApplicationHandler<UserEvent> for App {
    fn new_events(&mut self, event_loop: &ActiveEventLoop, cause: StartCause) {
        if cause == StartCause::Init {
            // tray-icon wants the icon created once the loop runs.
            self.create_tray();
        }
        let now = Instant::now();
        if self.reload_at.is_some_and(|t| t <= now) {
            self.reload_at = None;
            self.reload_settings();
        }
        if now >= self.next_refresh {
            self.refresh();
        }
        let wake = self
            .reload_at
            .map_or(self.next_refresh, |r| r.min(self.next_refresh));
        event_loop.set_control_flow(ControlFlow::WaitUntil(wake));
    }

    fn resumed(&mut self, _event_loop: &ActiveEventLoop) {
        self.create_tray();
    }

    fn window_event(&mut self, _: &ActiveEventLoop, _: WindowId, _: WindowEvent) {}

    fn user_event(&mut self, event_loop: &ActiveEventLoop, event: UserEvent) {
        match event {
            UserEvent::Menu(m) => self.on_menu(m.id.as_ref(), event_loop),
            UserEvent::Icon(TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            }) => self.open_click(notifier::Click::Page(Page::Overview)),
            UserEvent::Icon(_) => {}
            UserEvent::Open(click) => self.open_click(click),
            UserEvent::Core(e) => self.on_core(e),
            UserEvent::Watched(n, m) => self.on_watched(n, m),
            UserEvent::WatchEnded(n, why) => self.watch_ended(n, why),
            UserEvent::Tested(lines, all) => {
                let title = if all {
                    "Test notification sent"
                } else {
                    "Test notification: not all sent"
                };
                for l in &lines {
                    log::info!(target: LIFECYCLE, "test notification: {l}");
                }
                self.notifier.show(title, lines.join("\n"), None);
            }
            UserEvent::IniChanged => {
                self.reload_at = Some(Instant::now() + SETTLE);
                event_loop.set_control_flow(ControlFlow::WaitUntil(Instant::now() + SETTLE));
            }
            UserEvent::Instance(m) if m == ALREADY_RUNNING => {
                log::info!("a second launch was refused: nf-svc is already running");
                self.notifier.show(
                    "nf-svc is already running",
                    "Its icon is in the notification area.",
                    None,
                );
            }
            UserEvent::Instance(m) if m == QUIT_REQUEST => {
                log::info!(target: LIFECYCLE, "asked to quit (by setup): writing partial summaries");
                self.quit_core();
                event_loop.exit();
            }
            UserEvent::Instance(m) => log::warn!("ignored an unknown instance message {m:?}"),
            UserEvent::Stop => {
                log::info!(target: LIFECYCLE, "stopping: writing partial summaries");
                self.quit_core();
                event_loop.exit();
            }
        }
    }
}
