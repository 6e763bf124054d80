//! The three rotating log files, named as the old service named them:
//! `<exe>.log` (service log), `<exe>-netflow.log` (flow dump), `<exe>-summary.log`.
//!
//! All three rotate at `MaxFileSizeMB` (the current file keeps its plain name; rotated ones get
//! a timestamp) and files older than `KeepDays` are deleted. Lines end in CRLF on Windows.
//!
//! The dump and summary logs are written directly as bytes through flexi_logger's file writer:
//! an output formats many lines into one buffer and hands it over in one call, which keeps the
//! per-record cost to formatting alone.

use super::trouble::{RotationWatch, WriteTrouble};
use crate::settings::{self, LogSettings};
use flexi_logger::writers::{ArcFileLogWriter, FileLogWriter, FileLogWriterHandle};
use flexi_logger::{Cleanup, Criterion, FileSpec, Naming, WriteMode};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Rotated files get `_rYYYY-MM-DD_HH-MM-SS` before `.log`; the current file has no infix.
const NAMING: Naming = Naming::TimestampsCustomFormat {
    current_infix: Some(""),
    format: "r%Y-%m-%d_%H-%M-%S",
};

/// Which of the three logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogKind {
    Service,
    FlowDump,
    Summary,
}

impl LogKind {
    /// The three logs.
    pub const ALL: [LogKind; 3] = [LogKind::Service, LogKind::FlowDump, LogKind::Summary];

    /// The file's base name (without `.log`) for the exe stem `stem`.
    pub fn basename(self, stem: &str) -> String {
        match self {
            LogKind::Service => stem.to_string(),
            LogKind::FlowDump => format!("{stem}-netflow"),
            LogKind::Summary => format!("{stem}-summary"),
        }
    }
}

/// The log file names for the exe stem `stem`: service, flow dump, summary.
pub fn log_names(stem: &str) -> [String; 3] {
    LogKind::ALL.map(|k| format!("{}.log", k.basename(stem)))
}

pub(super) fn file_spec(dir: &Path, basename: &str) -> FileSpec {
    FileSpec::default()
        .directory(dir)
        .basename(basename)
        .suppress_timestamp()
        .suffix("log")
}

/// Rotation by size only, as before, and cleanup by age.
pub(super) fn rotation(s: &LogSettings) -> (Criterion, Naming, Cleanup) {
    (
        Criterion::Size(s.max_file_size_mb.saturating_mul(1024 * 1024)),
        NAMING,
        Cleanup::KeepForDays(s.keep_days as usize),
    )
}

/// Make the log folder, and check that nf-svc may create files in it: a folder it cannot
/// write (read-only, another user's) would otherwise pass unnoticed while the logs that
/// already exist there are appended to, until the first rotation or the first page fails.
pub(super) fn create_dir(s: &LogSettings) -> Result<(), String> {
    std::fs::create_dir_all(&s.dir)
        .map_err(|e| format!("cannot create the log folder {}: {e}", s.dir.display()))?;
    let probe = s
        .dir
        .join(format!(".nf-svc-write-check-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .and_then(|_| std::fs::remove_file(&probe))
        .map_err(|e| {
            format!(
                "cannot create files in the log folder {}: {e}; make it writable for the user nf-svc runs as, or choose another [Logs] Dir",
                s.dir.display()
            )
        })
}

/// One of the two data logs (flow dump, summaries): raw lines appended as given.
pub struct DataLog {
    writer: ArcFileLogWriter,
    _handle: FileLogWriterHandle,
    path: PathBuf,
    /// Write errors, said once.
    pub trouble: WriteTrouble,
    rotation: RotationWatch,
    presence: crate::sink::gone::Presence,
    settings: LogSettings,
}

impl DataLog {
    /// Open the log of `kind` in the settings' folder with their rotation.
    pub fn open(s: &LogSettings, kind: LogKind) -> Result<DataLog, String> {
        create_dir(s)?;
        let basename = kind.basename(&settings::exe_stem());
        let (c, n, k) = rotation(s);
        // Each write goes to the file whole (the dump formats a batch of lines into one
        // buffer first), so a failed one can be cut back out: no torn line stays.
        let mode = WriteMode::Direct;
        let spec = file_spec(&s.dir, &basename);
        let path = spec.as_pathbuf(None);
        crate::sink::own_file(&path).map_err(|e| e.to_string())?;
        let (writer, handle) = FileLogWriter::builder(spec)
            .append()
            .rotate(c, n, k)
            .write_mode(mode)
            .try_build_with_handle()
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        let what = match kind {
            LogKind::FlowDump => "the flow dump log",
            LogKind::Summary => "the summary log",
            LogKind::Service => "the service log",
        };
        Ok(DataLog {
            writer,
            _handle: handle,
            trouble: WriteTrouble::new(format!("{what} {}", path.display())),
            rotation: RotationWatch::new(&path, s.max_file_size_mb),
            presence: crate::sink::gone::Presence::new(&path),
            settings: s.clone(),
            path,
        })
    }

    /// When the file is gone (its folder deleted or replaced), make the folder and open the
    /// file again, and say so; checked every [`crate::sink::gone::EVERY`].
    pub fn reopen_if_gone(&mut self) -> Result<(), String> {
        if !self.presence.gone() {
            return Ok(());
        }
        create_dir(&self.settings)?;
        crate::sink::own_file(&self.path).map_err(|e| e.to_string())?;
        // Whatever the buffer holds goes to the old file, not into the new one's first line.
        let _ = self.writer.flush();
        self.writer
            .reopen_outputfile()
            .map_err(|e| format!("cannot open {} again: {e}", self.path.display()))?;
        log::warn!(target: crate::output::service_log::LIFECYCLE, "{}", crate::sink::gone::line(self.trouble.what()));
        Ok(())
    }

    /// Append text (whole lines, with their line ends); a write that fails leaves nothing of
    /// itself in the file.
    pub fn write(&mut self, text: &str) -> std::io::Result<()> {
        if text.is_empty() {
            return Ok(());
        }
        let mark = self.mark();
        let r = self.writer.write_all(text.as_bytes());
        match r {
            Ok(()) => self.presence.written(),
            Err(_) => self.cut_back(mark),
        }
        r
    }

    /// The current file's length, to cut a failed write back to.
    pub fn mark(&self) -> Option<u64> {
        std::fs::symlink_metadata(&self.path)
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len())
    }

    /// After a failed write: cut off the part of it that reached the file (a full disk takes
    /// part of a write), so no torn line stays. Only a file that grew since `mark` is cut; a
    /// rotation in between leaves a new, shorter file alone.
    pub fn cut_back(&self, mark: Option<u64>) {
        if let (Some(to), Some(now)) = (mark, self.mark())
            && now > to
            && let Ok(f) = std::fs::OpenOptions::new().write(true).open(&self.path)
        {
            let _ = f.set_len(to);
        }
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }

    /// The current file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the file grew past its rotation size (said once; see [`RotationWatch`]).
    pub fn check_rotation(&mut self) -> Result<(), String> {
        self.rotation.check()
    }
}

impl Drop for DataLog {
    fn drop(&mut self) {
        let _ = self.writer.flush();
        self.trouble.tell_rest();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_is_cut_back_out_and_a_rotated_file_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let s = crate::settings::Settings::defaults(&dir.path().join("nf-svc.ini")).logs;
        let mut log = DataLog::open(&s, LogKind::Summary).unwrap();
        log.write("whole line\n").unwrap();
        let mark = log.mark();
        assert_eq!(mark, Some(11));
        // What a full disk leaves of a write that failed: part of a line.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(log.path())
            .unwrap();
        f.write_all(b"half a li").unwrap();
        log.cut_back(mark);
        assert_eq!(std::fs::read_to_string(log.path()).unwrap(), "whole line\n");
        // A mark from a longer, rotated file: the new one is not touched (nor grown).
        log.cut_back(Some(1000));
        assert_eq!(std::fs::read(log.path()).unwrap().len(), 11);
    }
}
