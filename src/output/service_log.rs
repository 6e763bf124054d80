//! The service log (`<exe>.log`): the process-wide `log` logger, started here, and the output
//! that writes incidents, exporter events and problems into it.
//!
//! Lines look as the old service's did: `2023-04-29 01:38:54.503 [INFO] message`.

use super::files::{LogKind, create_dir, file_spec, rotation};
use super::{Output, wording};
use crate::alerts::{Incident, Phase};
use crate::health::ExporterEvent;
use crate::settings::Settings;
use crate::words::append::push_log_time;
use flexi_logger::{DeferredNow, Duplicate, LoggerHandle, WriteMode};
use std::io::Write;
use std::sync::Arc;

fn service_format(
    w: &mut dyn Write,
    now: &mut DeferredNow,
    record: &log::Record,
) -> std::io::Result<()> {
    let mut ts = String::with_capacity(24);
    push_log_time(&mut ts, &now.now().with_timezone(&chrono::Local));
    write!(w, "{ts} [{}] {}", record.level(), record.args())
}

/// Start the service log in the settings' log folder. `echo` also prints it on stderr
/// (headless mode). Call once per process.
pub fn start_service_log(s: &Settings, stem: &str, echo: bool) -> Result<LoggerHandle, String> {
    create_dir(s)?;
    let (c, n, k) = rotation(s);
    let mut logger = flexi_logger::Logger::try_with_env_or_str("info")
        .map_err(|e| e.to_string())?
        .log_to_file(file_spec(&s.log_dir, &LogKind::Service.basename(stem)))
        .append()
        .rotate(c, n, k)
        .format(service_format)
        .write_mode(WriteMode::Direct)
        .duplicate_to_stderr(if echo {
            Duplicate::Info
        } else {
            Duplicate::None
        });
    if cfg!(windows) {
        logger = logger.use_windows_line_ending();
    }
    logger.start().map_err(|e| {
        format!(
            "cannot start the service log in {}: {e}",
            s.log_dir.display()
        )
    })
}

/// Incidents, exporter events and problems as service log lines.
pub struct ServiceLog;

impl Output for ServiceLog {
    fn incident(&mut self, i: &Arc<Incident>) -> Result<(), String> {
        let line = wording::incident_line(i);
        match i.phase {
            Phase::Started => log::warn!("{line}"),
            Phase::Ended { .. } => log::info!("{line}"),
        }
        Ok(())
    }

    fn exporter(&mut self, e: &ExporterEvent) -> Result<(), String> {
        match wording::exporter_line(e) {
            (true, line) => log::warn!("{line}"),
            (false, line) => log::info!("{line}"),
        }
        Ok(())
    }

    fn problem(&mut self, message: &str) {
        log::error!("{message}");
    }
}
