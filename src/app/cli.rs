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
        Cli::parse_from(std::env::args_os().map(|a| match a.to_str() {
            Some("/d") | Some("/D") => "--headless".into(),
            Some("/?") => "--help".into(),
            _ => a,
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
