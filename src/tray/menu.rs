//! The tray menu: actions a non-expert needs, and the exporters nf-svc hears from.

use tray_icon::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem, Submenu};

pub const OPEN_REPORT: &str = "open-report";
pub const OPEN_SUMMARY: &str = "open-summary";
/// Reports-submenu items: `report:<host>:<start>` (an incident's device report).
pub const REPORT_PREFIX: &str = "report:";
pub const OPEN_LOGS: &str = "open-logs";
pub const EDIT_SETTINGS: &str = "edit-settings";
pub const TEST_NOTIFY: &str = "test-notify";
pub const PAUSE: &str = "pause";
pub const AUTOSTART: &str = "autostart";
pub const ABOUT: &str = "about";
pub const QUIT: &str = "quit";
/// Offered at the top when the collector this tray watched stopped.
pub const COLLECT_HERE: &str = "collect-here";

/// The menu and the items whose state changes.
pub struct TrayMenu {
    pub menu: Menu,
    pub pause: CheckMenuItem,
    pub autostart: CheckMenuItem,
    pub exporters: Submenu,
    exporter_lines: Vec<String>,
    pub reports: Submenu,
    report_items: Vec<(String, String)>,
    collect_here: MenuItem,
    collect_here_shown: bool,
}

impl TrayMenu {
    pub fn new(autostart_on: bool, default_port: u16) -> Result<TrayMenu, String> {
        let menu = Menu::new();
        let pause = CheckMenuItem::with_id(PAUSE, "Pause capture", true, false, None);
        let autostart =
            CheckMenuItem::with_id(AUTOSTART, "Start at login", true, autostart_on, None);
        let exporters = Submenu::new("Exporters", true);
        let reports = Submenu::new("Reports", true);
        let e = |r: Result<(), tray_icon::menu::Error>| r.map_err(|e| e.to_string());
        e(menu.append_items(&[
            &MenuItem::with_id(OPEN_REPORT, "Open report", true, None),
            &reports,
            &MenuItem::with_id(OPEN_SUMMARY, "Open latest summary (text)", true, None),
            &MenuItem::with_id(OPEN_LOGS, "Open log folder", true, None),
            &MenuItem::with_id(EDIT_SETTINGS, "Edit settings", true, None),
            &MenuItem::with_id(TEST_NOTIFY, "Send a test notification", true, None),
            &PredefinedMenuItem::separator(),
            &pause,
            &autostart,
            &exporters,
            &MenuItem::with_id(ABOUT, "About nf-svc", true, None),
            &PredefinedMenuItem::separator(),
            &MenuItem::with_id(QUIT, "Quit", true, None),
        ]))?;
        let mut m = TrayMenu {
            menu,
            pause,
            autostart,
            exporters,
            exporter_lines: vec!["stale".into()],
            reports,
            report_items: vec![("stale".into(), String::new())],
            collect_here: MenuItem::with_id(
                COLLECT_HERE,
                "Collect here (the collector stopped)",
                true,
                None,
            ),
            collect_here_shown: false,
        };
        m.set_exporters(Vec::new(), default_port);
        m.set_reports(Vec::new());
        Ok(m)
    }

    /// Show or hide "Collect here" at the top of the menu.
    pub fn offer_collect_here(&mut self, offer: bool) {
        if offer == self.collect_here_shown {
            return;
        }
        let done = if offer {
            self.menu.insert(&self.collect_here, 0)
        } else {
            self.menu.remove(&self.collect_here)
        };
        match done {
            Ok(()) => self.collect_here_shown = offer,
            Err(e) => log::warn!("cannot change the tray menu: {e}"),
        }
    }

    /// Replace the Reports submenu: (menu id, text) of the latest incidents (only when they
    /// changed).
    pub fn set_reports(&mut self, items: Vec<(String, String)>) {
        if items == self.report_items {
            return;
        }
        while self.reports.remove_at(0).is_some() {}
        if items.is_empty() {
            let _ = self
                .reports
                .append(&MenuItem::new("no incidents yet", false, None));
        }
        for (id, text) in &items {
            let _ = self
                .reports
                .append(&MenuItem::with_id(id.as_str(), text, true, None));
        }
        self.report_items = items;
    }

    /// Replace the Exporters submenu's lines (only when they changed).
    pub fn set_exporters(&mut self, mut lines: Vec<String>, port: u16) {
        if lines.is_empty() {
            lines.push(format!("none yet — point your sensor at UDP {port}"));
        }
        if lines == self.exporter_lines {
            return;
        }
        while self.exporters.remove_at(0).is_some() {}
        for l in &lines {
            let _ = self.exporters.append(&MenuItem::new(l, false, None));
        }
        self.exporter_lines = lines;
    }
}
