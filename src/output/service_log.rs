//! The service log (`<exe>.log`): the process-wide `log` logger, started here, and the output
//! that writes incidents, exporter events and problems into it.
//!
//! Lines look as the old service's did: `2023-04-29 01:38:54.503 [INFO] message`.
//!
//! Whatever a flood or a bug makes nf-svc say, the log stays readable: a line is cut at
//! [`MAX_LINE`] characters, and past [`LINES_PER_MINUTE`] lines in a minute the rest of that
//! minute is counted, not written, and the count is the next minute's first line.

use super::files::{LogKind, create_dir, file_spec, rotation};
use super::wording;
use crate::alerts::{Incident, Phase};
use crate::health::ExporterEvent;
use crate::settings::LogSettings;
use crate::sink::Output;
use crate::words::append::push_log_time;
use flexi_logger::filter::{LogLineFilter, LogLineWriter};
use flexi_logger::{DeferredNow, Duplicate, LoggerHandle, WriteMode};
use std::io::Write;
use std::sync::{Arc, Mutex};

/// The longest line written, in characters.
pub const MAX_LINE: usize = 2000;
/// Lines written per minute; the rest are counted.
pub const LINES_PER_MINUTE: u32 = 600;

fn service_format(
    w: &mut dyn Write,
    now: &mut DeferredNow,
    record: &log::Record,
) -> std::io::Result<()> {
    let mut ts = String::with_capacity(24);
    push_log_time(&mut ts, &now.now().with_timezone(&chrono::Local));
    let text = record.args().to_string();
    write!(w, "{ts} [{}] {}", record.level(), cut(&text, MAX_LINE))
}

/// `text` cut to `max` characters, saying how much was left out.
pub fn cut(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => text.into(),
        Some((at, _)) => format!(
            "{} … ({} more characters)",
            &text[..at],
            text[at..].chars().count()
        )
        .into(),
    }
}

/// At most [`LINES_PER_MINUTE`] lines a minute (by the clock's minutes).
#[derive(Default)]
struct RateLimit {
    state: Mutex<(i64, u32, u64)>,
}

impl RateLimit {
    /// Whether a line in `minute` is written, and how many were left out before it (said
    /// once, at the first line of a later minute).
    fn admit(&self, minute: i64) -> (bool, u64) {
        let Ok(mut s) = self.state.lock() else {
            return (true, 0);
        };
        let (m, written, left_out) = &mut *s;
        let mut told = 0;
        if *m != minute {
            *m = minute;
            *written = 0;
            told = std::mem::take(left_out);
        }
        if *written >= LINES_PER_MINUTE {
            *left_out += 1;
            return (false, told);
        }
        *written += 1;
        (true, told)
    }
}

impl LogLineFilter for RateLimit {
    fn write(
        &self,
        now: &mut DeferredNow,
        record: &log::Record,
        out: &dyn LogLineWriter,
    ) -> std::io::Result<()> {
        let (write, left_out) = self.admit(now.now().timestamp().div_euclid(60));
        if left_out > 0 {
            out.write(
                now,
                &log::Record::builder()
                    .args(format_args!(
                        "{left_out} log line(s) left out in the minute before (more than {LINES_PER_MINUTE} a minute)"
                    ))
                    .level(log::Level::Warn)
                    .target(record.target())
                    .build(),
            )?;
        }
        if write {
            out.write(now, record)
        } else {
            Ok(())
        }
    }
}

/// Start the service log in the settings' log folder. `echo` also prints it on stderr
/// (headless mode). Call once per process.
pub fn start_service_log(s: &LogSettings, stem: &str, echo: bool) -> Result<LoggerHandle, String> {
    create_dir(s)?;
    let (c, n, k) = rotation(s);
    let mut logger = flexi_logger::Logger::try_with_env_or_str("info")
        .map_err(|e| e.to_string())?
        .log_to_file(file_spec(&s.dir, &LogKind::Service.basename(stem)))
        .append()
        .rotate(c, n, k)
        .format(service_format)
        .filter(Box::new(RateLimit::default()))
        // Write and rotation errors of the logs are told once by the outputs themselves
        // (output::trouble); flexi_logger would print them on stderr at every write.
        .error_channel(flexi_logger::ErrorChannel::DevNull)
        .write_mode(WriteMode::Direct)
        .duplicate_to_stderr(if echo {
            Duplicate::Info
        } else {
            Duplicate::None
        });
    if cfg!(windows) {
        logger = logger.use_windows_line_ending();
    }
    logger
        .start()
        .map_err(|e| format!("cannot start the service log in {}: {e}", s.dir.display()))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_cut_on_a_character_boundary() {
        assert_eq!(cut("short", 10), "short");
        let long = "ä".repeat(2500);
        let c = cut(&long, MAX_LINE);
        assert!(c.starts_with(&"ä".repeat(MAX_LINE)));
        assert!(
            c.ends_with(" … (500 more characters)"),
            "{}",
            &c[c.len() - 40..]
        );
    }

    #[test]
    fn past_the_rate_lines_are_counted_and_the_count_said_next_minute() {
        let r = RateLimit::default();
        let written = (0..1000).filter(|_| r.admit(7).0).count();
        assert_eq!(written, LINES_PER_MINUTE as usize);
        assert_eq!(r.admit(8), (true, 1000 - LINES_PER_MINUTE as u64));
        assert_eq!(r.admit(8), (true, 0), "said once");
    }
}
