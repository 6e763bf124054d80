//! The three rotating log files, named as the old service named them:
//! `<exe>.log` (service log), `<exe>-netflow.log` (flow dump), `<exe>-summary.log`.
//!
//! All three rotate at `MaxFileSizeMB` (the current file keeps its plain name; rotated ones get
//! a timestamp) and files older than `KeepDays` are deleted. Lines end in CRLF on Windows.
//!
//! The service log is the process-wide `log` logger. The dump and summary logs are written
//! directly as bytes through flexi_logger's file writer: the pipeline formats a whole
//! datagram's lines into one buffer and hands it over in one call, which keeps the per-record
//! cost to formatting alone.

use crate::flow::text::push_log_time;
use crate::settings::Settings;
use flexi_logger::writers::{ArcFileLogWriter, FileLogWriter, FileLogWriterHandle};
use flexi_logger::{
    Age, Cleanup, Criterion, DeferredNow, Duplicate, FileSpec, LoggerHandle, Naming, WriteMode,
};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Rotated files get `_rYYYY-MM-DD_HH-MM-SS` before `.log`; the current file has no infix.
const NAMING: Naming = Naming::TimestampsCustomFormat {
    current_infix: Some(""),
    format: "r%Y-%m-%d_%H-%M-%S",
};

/// The log file names for the exe stem `stem`.
pub fn log_names(stem: &str) -> [String; 3] {
    [
        format!("{stem}.log"),
        format!("{stem}-netflow.log"),
        format!("{stem}-summary.log"),
    ]
}

fn file_spec(dir: &Path, basename: &str) -> FileSpec {
    FileSpec::default()
        .directory(dir)
        .basename(basename)
        .suppress_timestamp()
        .suffix("log")
}

fn rotation(s: &Settings) -> (Criterion, Naming, Cleanup) {
    let _ = Age::Day; // rotation is by size only, as before
    (
        Criterion::Size(s.max_file_size_mb.saturating_mul(1024 * 1024)),
        NAMING,
        Cleanup::KeepForDays(s.keep_days as usize),
    )
}

/// `2023-04-29 01:38:54.503 [INFO] message`, as the old service log looked.
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
    std::fs::create_dir_all(&s.log_dir)
        .map_err(|e| format!("cannot create the log folder {}: {e}", s.log_dir.display()))?;
    let (c, n, k) = rotation(s);
    let mut logger = flexi_logger::Logger::try_with_env_or_str("info")
        .map_err(|e| e.to_string())?
        .log_to_file(file_spec(&s.log_dir, stem))
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

/// One of the two data logs (flow dump, summaries): raw lines appended as given.
pub struct DataLog {
    writer: ArcFileLogWriter,
    _handle: FileLogWriterHandle,
    path: PathBuf,
}

impl DataLog {
    /// Open `<dir>/<basename>.log` with the settings' rotation. `buffered` keeps up to 64 KiB
    /// in memory between flushes (the flow dump); otherwise every write reaches the file.
    pub fn open(s: &Settings, basename: &str, buffered: bool) -> Result<DataLog, String> {
        std::fs::create_dir_all(&s.log_dir)
            .map_err(|e| format!("cannot create the log folder {}: {e}", s.log_dir.display()))?;
        let (c, n, k) = rotation(s);
        let mode = if buffered {
            WriteMode::BufferDontFlushWith(64 * 1024)
        } else {
            WriteMode::Direct
        };
        let spec = file_spec(&s.log_dir, basename);
        let path = spec.as_pathbuf(None);
        let (writer, handle) = FileLogWriter::builder(spec)
            .append()
            .rotate(c, n, k)
            .write_mode(mode)
            .try_build_with_handle()
            .map_err(|e| format!("cannot open {}: {e}", s.log_dir.join(basename).display()))?;
        Ok(DataLog {
            writer,
            _handle: handle,
            path,
        })
    }

    /// Append text (whole lines, with their line ends).
    pub fn write(&mut self, text: &str) -> std::io::Result<()> {
        self.writer.write_all(text.as_bytes())
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }

    /// The current file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for DataLog {
    fn drop(&mut self) {
        let _ = self.writer.flush();
    }
}
