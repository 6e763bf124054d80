//! Command line: `nf-svc [--headless] [--config PATH]`, `nf-svc export …`, `nf-svc report …`,
//! and the old service's Windows switches: `/d` (headless), `/i` and `/u` (install and remove
//! the Windows service), `/?`.

use crate::history::export::{Format, Step, parse_time};
use chrono::{DateTime, Local};
use clap::{Args, Parser, Subcommand};
use std::net::IpAddr;
use std::path::PathBuf;

/// Exit status: settings are invalid (nothing was started).
pub const EXIT_SETTINGS: i32 = 2;
/// Exit status: could not listen or write logs.
pub const EXIT_START: i32 = 3;
/// Exit status of `export`: the history cannot be read.
pub const EXIT_NO_HISTORY: i32 = 1;
/// Exit status of `status`: no collector answers on this machine.
pub const EXIT_NOT_RUNNING: i32 = 1;
/// Exit status of `/i` and `/u`: not run as administrator.
pub const EXIT_NOT_ADMIN: i32 = 4;

#[derive(Debug, Parser)]
#[command(
    name = "nf-svc",
    version,
    about = "NetFlow/IPFIX collector: who sent how much to whom, in plain log files",
    long_about = "NetFlow/IPFIX collector: receives NetFlow v5/v9 and IPFIX from a sensor, writes a \
                  flow dump log and interval traffic summaries to rotating log files.\n\n\
                  Exit status: 0 stopped normally, 2 invalid settings or arguments, 3 cannot listen \
                  or write logs, 4 /i or /u not run as administrator; export: 1 no readable history; status: \
                  1 no collector running."
)]
pub struct Cli {
    /// Run the collector in this console (no tray icon); stop with Ctrl-C.
    #[arg(long)]
    pub headless: bool,

    /// Windows, as administrator: install and start the service `nf-svc`, which collects while
    /// nobody is logged in (settings and logs in %ProgramData%\nf-svc). The old `/i`.
    #[arg(long, conflicts_with_all = ["headless", "uninstall_service"])]
    pub install_service: bool,

    /// Windows, as administrator: stop and remove the service (settings and logs stay).
    /// The old `/u`.
    #[arg(long, conflicts_with = "headless")]
    pub uninstall_service: bool,

    /// Run as the Windows service (the service control manager starts it so).
    #[arg(long, hide = true)]
    pub service: bool,

    /// Settings file to use (created with defaults if missing).
    #[arg(long, value_name = "PATH", global = true)]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a host's traffic (or every sensor's) per step from the history, as CSV or JSON.
    Export(ExportArgs),
    /// Write report.html (or, with --host, a device report) from the history; prints its path.
    Report(ReportArgs),
    /// Show the collector running on this machine as a service or in a console: listening
    /// ports, sensors, flows per minute, alerts. Exit status 1 when none runs.
    Status(StatusArgs),
    /// Notifications: with --test, send a test message on every channel set up in [Notify]
    /// and say per channel what happened (exit status 1 when one was not sent).
    Notify(NotifyArgs),
    /// Encrypt the passwords typed plainly in the settings file, in place (Windows: for this
    /// PC, with DPAPI; run it as administrator for the service's settings). Elsewhere it says
    /// how to protect the file instead.
    Protect,
}

/// `nf-svc notify`.
#[derive(Debug, Args)]
pub struct NotifyArgs {
    /// Send a test message on every channel.
    #[arg(long, required = true)]
    pub test: bool,
}

/// `nf-svc status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print the collector's snapshot as one JSON line (as the status endpoint sends it).
    #[arg(long)]
    pub json: bool,
}

/// `nf-svc report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A device report for this host (default: report.html, the overview).
    #[arg(long, value_name = "ADDR")]
    pub host: Option<IpAddr>,
    /// Start of the device report: 2026-11-27T14:00, RFC 3339, -2h, -7d (default: -24h).
    #[arg(long, value_name = "TIME", value_parser = time_arg, allow_hyphen_values = true, requires = "host")]
    pub from: Option<DateTime<Local>>,
    /// End (default: now).
    #[arg(long, value_name = "TIME", value_parser = time_arg, allow_hyphen_values = true, requires = "host")]
    pub to: Option<DateTime<Local>>,
    /// Where to write the device report (default: reports/ in the log folder).
    #[arg(long, value_name = "FILE", requires = "host")]
    pub out: Option<PathBuf>,
}

/// `nf-svc export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The host: columns time,sent_bytes,received_bytes,sent_packets,received_packets,flows,
    /// host,name,vendor,minutes_collected (how many of the step's minutes were collected).
    #[arg(long, value_name = "ADDR", required_unless_present = "sensors")]
    pub host: Option<IpAddr>,
    /// Every sensor instead: columns time,sensor,bytes,packets,flows,name,minutes_collected.
    #[arg(long, conflicts_with = "host")]
    pub sensors: bool,
    /// Start: 2026-11-27T14:00, "2026-11-27 14:00:00", RFC 3339, or -2h, -7d (default: -24h).
    #[arg(long, value_name = "TIME", value_parser = time_arg, allow_hyphen_values = true)]
    pub from: Option<DateTime<Local>>,
    /// End, in the same forms (default: now).
    #[arg(long, value_name = "TIME", value_parser = time_arg, allow_hyphen_values = true)]
    pub to: Option<DateTime<Local>>,
    /// One row per 1m, 5m, 1h or 1d.
    #[arg(long, value_name = "STEP", default_value = "1m")]
    pub step: Step,
    /// csv or json.
    #[arg(long, value_name = "FORMAT", default_value = "csv")]
    pub format: Format,
}

fn time_arg(s: &str) -> Result<DateTime<Local>, String> {
    parse_time(s, Local::now())
}

impl Cli {
    /// Parse the process arguments, accepting the old service's Windows-style `/d` (headless)
    /// and `/?` (help) too.
    pub fn parse_args() -> Cli {
        Cli::try_parse_args_from(std::env::args_os()).unwrap_or_else(|e| e.exit())
    }

    /// What [`Cli::parse_args`] makes of these arguments (the first is the program name):
    /// also what a launcher entry (systemd unit, .desktop file) runs.
    pub fn try_parse_args_from<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString>,
    {
        Cli::try_parse_from(args.into_iter().map(|a| {
            let a = a.into();
            match a.to_str() {
                Some("/d") | Some("/D") => "--headless".into(),
                Some("/i") | Some("/I") => "--install-service".into(),
                Some("/u") | Some("/U") => "--uninstall-service".into(),
                Some("/?") => "--help".into(),
                _ => a,
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_old_service_switches() {
        let c = Cli::try_parse_args_from(["nf-svc", "/i"]).unwrap();
        assert!(c.install_service && !c.uninstall_service);
        let c = Cli::try_parse_args_from(["nf-svc", "/U"]).unwrap();
        assert!(c.uninstall_service);
        let c = Cli::try_parse_args_from(["nf-svc", "/d"]).unwrap();
        assert!(c.headless);
        assert!(Cli::try_parse_args_from(["nf-svc", "/i", "/u"]).is_err());
    }

    #[test]
    fn flags_parse() {
        let c = Cli::try_parse_from(["nf-svc", "--headless", "--config", "x.ini"]).unwrap();
        assert!(c.headless);
        assert_eq!(c.config, Some(PathBuf::from("x.ini")));
        assert!(Cli::try_parse_from(["nf-svc", "--bogus"]).is_err());
    }

    #[test]
    fn export_arguments() {
        let c = Cli::try_parse_args_from([
            "nf-svc", "export", "--host", "fe80::1", "--from", "-2h", "--step", "5m", "--format",
            "json", "--config", "x.ini",
        ])
        .unwrap();
        let Some(Command::Export(a)) = c.command else {
            panic!("{c:?}")
        };
        assert_eq!(a.host, Some("fe80::1".parse().unwrap()));
        assert_eq!((a.step, a.format), (Step::FiveMinutes, Format::Json));
        assert!(a.from.is_some() && a.to.is_none());
        assert_eq!(c.config, Some(PathBuf::from("x.ini")));
        for bad in [
            &["nf-svc", "export"][..],
            &["nf-svc", "export", "--host", "printer"],
            &["nf-svc", "export", "--sensors", "--host", "10.0.0.1"],
            &["nf-svc", "export", "--sensors", "--step", "2m"],
            &["nf-svc", "export", "--sensors", "--from", "yesterday"],
        ] {
            let e = Cli::try_parse_args_from(bad).unwrap_err();
            assert_eq!(e.exit_code(), EXIT_SETTINGS, "{bad:?}: {e}");
        }
    }
}
