//! The service log (`<exe>.log`): the process-wide `log` logger, started here, and the output
//! that writes incidents, exporter events and problems into it.
//!
//! Lines look as the old service's did: `2023-04-29 01:38:54.503 [INFO] message`.
//!
//! Whatever a flood or a bug makes nf-svc say, the log stays readable: a line is cut at
//! [`MAX_LINE`] characters, and past [`LINES_PER_MINUTE`] lines in a minute the rest of that
//! minute is counted, not written, and the count is the next minute's first line (and the
//! last line before `stopped`: [`tell_left_out`]). Two kinds of line have budgets of their
//! own, so a flood of other lines never hides them: the [`LIFECYCLE`] lines (start and stop,
//! the settings, the sockets, each exporter's stop line), which are never left out — there
//! are few of them whatever arrives — and the [`SENSORS`] lines (a sensor first seen, silent,
//! back), at most [`SENSOR_LINES_PER_MINUTE`].

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
/// The log target of lines never left out: start and stop, settings, sockets, stop lines.
pub const LIFECYCLE: &str = "nf-svc::lifecycle";
/// The log target of sensor events (first seen, silent, back).
pub const SENSORS: &str = "nf-svc::sensors";
/// Sensor event lines written per minute; the rest are counted.
pub const SENSOR_LINES_PER_MINUTE: u32 = 300;

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

/// Which budget a line counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Lifecycle,
    Sensors,
    Other,
}

impl Class {
    fn of(target: &str) -> Class {
        match target {
            LIFECYCLE => Class::Lifecycle,
            SENSORS => Class::Sensors,
            _ => Class::Other,
        }
    }
}

/// One budget's lines in the current minute: written, and left out once it was spent.
#[derive(Debug)]
struct Budget {
    per_minute: u32,
    written: u32,
    left_out: u64,
}

impl Budget {
    const fn new(per_minute: u32) -> Budget {
        Budget {
            per_minute,
            written: 0,
            left_out: 0,
        }
    }

    /// Whether one more line is written; a line past the budget is counted instead.
    fn admit(&mut self) -> bool {
        if self.written < self.per_minute {
            self.written += 1;
            true
        } else {
            self.left_out += 1;
            false
        }
    }

    /// The count left out, taken (said once).
    fn take_left_out(&mut self) -> u64 {
        std::mem::take(&mut self.left_out)
    }
}

/// The budgets of the current minute.
#[derive(Debug)]
struct Minute {
    minute: i64,
    other: Budget,
    sensors: Budget,
}

impl Minute {
    /// The counts left out (other lines, sensor events), taken.
    fn take_left_out(&mut self) -> (u64, u64) {
        (self.other.take_left_out(), self.sensors.take_left_out())
    }
}

/// The per-minute budgets (by the clock's minutes): [`LINES_PER_MINUTE`] for most lines,
/// [`SENSOR_LINES_PER_MINUTE`] for sensor events, none for lifecycle lines.
struct RateLimit {
    state: Mutex<Minute>,
}

/// The service log's budgets: one logger per process.
static LIMIT: RateLimit = RateLimit::new();

impl RateLimit {
    const fn new() -> RateLimit {
        RateLimit {
            state: Mutex::new(Minute {
                minute: 0,
                other: Budget::new(LINES_PER_MINUTE),
                sensors: Budget::new(SENSOR_LINES_PER_MINUTE),
            }),
        }
    }

    /// Whether a line of `class` in `minute` is written, and the counts of lines left out
    /// before it (other, sensor events), said once at the first line of a later minute.
    fn admit(&self, minute: i64, class: Class) -> (bool, (u64, u64)) {
        let Ok(mut s) = self.state.lock() else {
            return (true, (0, 0));
        };
        let mut told = (0, 0);
        if s.minute != minute {
            s.minute = minute;
            s.other.written = 0;
            s.sensors.written = 0;
            told = s.take_left_out();
        }
        let admitted = match class {
            Class::Lifecycle => true,
            Class::Sensors => s.sensors.admit(),
            Class::Other => s.other.admit(),
        };
        (admitted, told)
    }

    /// The counts not said yet (at exit).
    fn take_left_out(&self) -> (u64, u64) {
        self.state.lock().map_or((0, 0), |mut s| s.take_left_out())
    }
}

/// `N log line(s) left out …` for the counts, if any.
fn left_out_text((other, sensors): (u64, u64), when: &str) -> Option<String> {
    let mut parts = Vec::new();
    if other > 0 {
        parts.push(format!(
            "{other} log line(s) (more than {LINES_PER_MINUTE} a minute)"
        ));
    }
    if sensors > 0 {
        parts.push(format!(
            "{sensors} sensor event line(s) (more than {SENSOR_LINES_PER_MINUTE} a minute)"
        ));
    }
    (!parts.is_empty()).then(|| format!("{} left out {when}", parts.join(" and ")))
}

/// Say the lines left out in the minute in progress: called before `stopped`, so a count is
/// never lost at exit.
pub fn tell_left_out() {
    if let Some(text) = left_out_text(LIMIT.take_left_out(), "in the last minute") {
        log::warn!(target: LIFECYCLE, "{text}");
    }
}

/// The filter that applies [`LIMIT`].
struct Capped;

impl LogLineFilter for Capped {
    fn write(
        &self,
        now: &mut DeferredNow,
        record: &log::Record,
        out: &dyn LogLineWriter,
    ) -> std::io::Result<()> {
        let minute = now.now().timestamp().div_euclid(60);
        let (write, told) = LIMIT.admit(minute, Class::of(record.target()));
        if let Some(text) = left_out_text(told, "in the minute before") {
            out.write(
                now,
                &log::Record::builder()
                    .args(format_args!("{text}"))
                    .level(log::Level::Warn)
                    .target(LIFECYCLE)
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
    let spec = file_spec(&s.dir, &LogKind::Service.basename(stem));
    crate::sink::own_file(&spec.as_pathbuf(None)).map_err(|e| e.to_string())?;
    let (c, n, k) = rotation(s);
    let mut logger = flexi_logger::Logger::try_with_env_or_str("info")
        .map_err(|e| e.to_string())?
        .log_to_file(spec)
        .append()
        .rotate(c, n, k)
        .format(service_format)
        .filter(Box::new(Capped))
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
    let handle = logger
        .start()
        .map_err(|e| format!("cannot start the service log in {}: {e}", s.dir.display()))?;
    let path = file_spec(&s.dir, &LogKind::Service.basename(stem)).as_pathbuf(None);
    // The start lines are written at once: the file is expected from now on.
    let mut presence = crate::sink::gone::Presence::new(&path);
    presence.written();
    if let Ok(mut w) = WATCHED.lock() {
        *w = Some((presence, handle.clone(), s.clone(), path));
    }
    Ok(handle)
}

/// The running service log, watched for its folder going away.
#[allow(clippy::type_complexity)]
static WATCHED: std::sync::Mutex<
    Option<(
        crate::sink::gone::Presence,
        LoggerHandle,
        LogSettings,
        std::path::PathBuf,
    )>,
> = std::sync::Mutex::new(None);

/// When the service log's file is gone (its folder deleted or replaced), make the folder and
/// open the file again, and say so in it; checked every [`crate::sink::gone::EVERY`].
pub fn reopen_if_gone() {
    let Ok(mut w) = WATCHED.lock() else {
        return;
    };
    let Some((presence, handle, s, path)) = w.as_mut() else {
        return;
    };
    if !presence.gone() {
        return;
    }
    let path = path.clone();
    let reopened = create_dir(s)
        .and_then(|()| crate::sink::own_file(&path).map_err(|e| e.to_string()))
        .and_then(|()| handle.reopen_output().map_err(|e| e.to_string()));
    drop(w);
    match reopened {
        Ok(()) => {
            log::warn!(target: LIFECYCLE, "{}", crate::sink::gone::line(&format!("the service log {}", path.display())))
        }
        Err(e) => {
            log::error!(target: LIFECYCLE, "the service log {} is gone and cannot be made again: {e}", path.display())
        }
    }
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
            (true, line) => log::warn!(target: SENSORS, "{line}"),
            (false, line) => log::info!(target: SENSORS, "{line}"),
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
        let r = RateLimit::new();
        let written = (0..1000).filter(|_| r.admit(7, Class::Other).0).count();
        assert_eq!(written, LINES_PER_MINUTE as usize);
        assert_eq!(
            r.admit(8, Class::Other),
            (true, (1000 - LINES_PER_MINUTE as u64, 0))
        );
        assert_eq!(r.admit(8, Class::Other), (true, (0, 0)), "said once");
    }

    #[test]
    fn a_flood_never_hides_lifecycle_lines_and_sensor_events_have_their_own_budget() {
        let r = RateLimit::new();
        // 3,000 refused exporters in a minute, then a sensor first seen, then the stop.
        let other = (0..3000).filter(|_| r.admit(5, Class::Other).0).count();
        assert_eq!(other, LINES_PER_MINUTE as usize);
        assert!(
            r.admit(5, Class::Sensors).0,
            "a first-seen line in the same minute"
        );
        assert!(
            (0..10_000).all(|_| r.admit(5, Class::Lifecycle).0),
            "never left out"
        );
        let sensors = (0..500).filter(|_| r.admit(5, Class::Sensors).0).count();
        assert_eq!(sensors, SENSOR_LINES_PER_MINUTE as usize - 1);
        // At exit, within the same minute: the counts are there to be said.
        let left = r.take_left_out();
        assert_eq!(left, (3000 - LINES_PER_MINUTE as u64, 500 - 299));
        assert_eq!(
            left_out_text(left, "in the last minute").unwrap(),
            "2400 log line(s) (more than 600 a minute) and 201 sensor event line(s) (more than 300 a minute) left out in the last minute"
        );
        assert_eq!(r.take_left_out(), (0, 0), "said once");
    }
}
