//! `nf-svc export`: find the settings (never creating them), then print from the history.
//! Exit status 0 (also for a host with no traffic: the header alone), 2 for bad arguments or
//! settings, 1 when there is no readable history.

use super::cli::{Cli, EXIT_NO_HISTORY, EXIT_SETTINGS, ExportArgs};
use crate::history::export::{self, ExportError, Query};
use crate::settings::{self, Settings};
use chrono::{Duration, Local};

/// The settings in effect for `cli` without touching anything: the defaults when the ini
/// does not exist yet.
pub fn settings_for(cli: &Cli) -> Result<Settings, i32> {
    let path = settings::locate_ini(cli.config.as_deref())
        .path()
        .to_path_buf();
    if !path.exists() {
        return Ok(Settings::defaults(&path));
    }
    settings::load(&path).map(|(s, _)| s).map_err(|errors| {
        for e in &errors {
            eprintln!("nf-svc: error: {e}");
        }
        EXIT_SETTINGS
    })
}

pub fn run(cli: &Cli, a: &ExportArgs) -> i32 {
    let s = match settings_for(cli) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let to = a.to.unwrap_or_else(Local::now);
    let q = Query {
        host: if a.sensors { None } else { a.host },
        from: a.from.unwrap_or(to - Duration::hours(24)),
        to,
        step: a.step,
        format: a.format,
        names: crate::names::Names::from_settings(&s.alerts),
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match export::run(&s.history.path, &q, &mut out) {
        Ok(()) => 0,
        Err(ExportError::Usage(m)) => {
            eprintln!("nf-svc: error: {m}");
            EXIT_SETTINGS
        }
        Err(ExportError::Store(m)) => {
            eprintln!("nf-svc: {m}");
            EXIT_NO_HISTORY
        }
    }
}
