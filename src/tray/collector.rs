//! The collector the tray shows, behind one trait: its own ([`Own`], a core it runs) or one it
//! is the companion of ([`super::companion::Watched`], through that collector's status
//! endpoint). The menu, the tooltip and the clicks ask the trait and never which one it is.

use crate::companion::wire::Snapshot;
use crate::core::CoreHandle;
use crate::report::{self, Page, PageSettings};
use crate::settings::Settings;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::SystemTime;

/// Incidents listed in the Reports submenu.
pub(super) const REPORTS_LISTED: usize = 8;

/// What the tray asks of the collector it shows.
pub(super) trait Collector {
    /// Its state now; `None` while it starts or after it stopped.
    fn snapshot(&self) -> Option<Snapshot>;
    /// Pause or resume capture.
    fn set_paused(&mut self, paused: bool) -> Result<(), String>;
    /// Make `page` fresh and say where it is.
    fn page(&self, page: &Page) -> Result<PathBuf, String>;
    /// The latest incidents for the Reports menu: (host, start, text).
    fn recent_incidents(&self) -> Vec<(IpAddr, i64, String)>;
    /// Its settings file.
    fn ini(&self) -> PathBuf;
    /// Its log folder.
    fn log_dir(&self) -> PathBuf;
    /// What About says of it.
    fn about(&self) -> String;
    /// Another process: it runs on when the tray quits, and its ini may be the
    /// administrators'.
    fn is_companion(&self) -> bool;
}

/// The collector this tray runs itself.
pub(super) struct Own {
    pub core: CoreHandle,
    pub settings: Settings,
}

impl Collector for Own {
    fn snapshot(&self) -> Option<Snapshot> {
        self.core
            .status()
            .map(|st| Snapshot::of(&st, "tray", SystemTime::now()))
    }

    fn set_paused(&mut self, paused: bool) -> Result<(), String> {
        self.core.set_paused(paused);
        log::info!("capture {}", if paused { "paused" } else { "resumed" });
        Ok(())
    }

    fn page(&self, page: &Page) -> Result<PathBuf, String> {
        let latest = self.core.status().map(|st| st.latest);
        report::make(&PageSettings::of(&self.settings), page, latest.as_deref())
    }

    fn recent_incidents(&self) -> Vec<(IpAddr, i64, String)> {
        report::recent_incidents(&PageSettings::of(&self.settings), REPORTS_LISTED)
    }

    fn ini(&self) -> PathBuf {
        self.settings.ini_path.clone()
    }

    fn log_dir(&self) -> PathBuf {
        self.settings.logs.dir.clone()
    }

    fn about(&self) -> String {
        format!(
            "Settings: {}\nLogs: {}",
            self.settings.ini_path.display(),
            self.settings.logs.dir.display()
        )
    }

    fn is_companion(&self) -> bool {
        false
    }
}

/// Which collector the tray shows, if any.
#[derive(Default)]
pub(super) enum Backend {
    /// None: settings not valid, or the core could not start.
    #[default]
    Nothing,
    Own(Box<Own>),
    Watched(Box<super::companion::Watched>),
}

impl Backend {
    pub fn collector(&self) -> Option<&dyn Collector> {
        match self {
            Backend::Nothing => None,
            Backend::Own(o) => Some(o.as_ref()),
            Backend::Watched(w) => Some(w.as_ref()),
        }
    }

    pub fn collector_mut(&mut self) -> Option<&mut dyn Collector> {
        match self {
            Backend::Nothing => None,
            Backend::Own(o) => Some(o.as_mut()),
            Backend::Watched(w) => Some(w.as_mut()),
        }
    }

    /// The watched collector, when the tray is a companion.
    pub fn watched(&self) -> Option<&super::companion::Watched> {
        match self {
            Backend::Watched(w) => Some(w),
            _ => None,
        }
    }

    /// A watched collector that stopped: the tray offers to collect itself.
    pub fn watched_is_gone(&self) -> bool {
        self.watched().is_some_and(|w| w.gone)
    }
}
