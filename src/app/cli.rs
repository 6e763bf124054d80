//! Command line: `nf-svc [--headless] [--config PATH]`.

use clap::Parser;
use std::path::PathBuf;

/// Exit status: settings are invalid (nothing was started).
pub const EXIT_SETTINGS: i32 = 2;
/// Exit status: could not listen or write logs.
pub const EXIT_START: i32 = 3;

#[derive(Debug, Parser)]
#[command(
    name = "nf-svc",
    version,
    about = "NetFlow/IPFIX collector: who sent how much to whom, in plain log files",
    long_about = "NetFlow/IPFIX collector: receives NetFlow v5/v9 and IPFIX from a sensor, writes a \
                  flow dump log and interval traffic summaries to rotating log files.\n\n\
                  Exit status: 0 stopped normally, 2 invalid settings, 3 cannot listen or write logs."
)]
pub struct Cli {
    /// Run the collector in this console (no tray icon); stop with Ctrl-C.
    #[arg(long)]
    pub headless: bool,

    /// Settings file to use (created with defaults if missing).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
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
    fn flags_parse() {
        let c = Cli::try_parse_from(["nf-svc", "--headless", "--config", "x.ini"]).unwrap();
        assert!(c.headless);
        assert_eq!(c.config, Some(PathBuf::from("x.ini")));
        assert!(Cli::try_parse_from(["nf-svc", "--bogus"]).is_err());
    }
}
