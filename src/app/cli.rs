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
    #[arg(long, visible_alias = "d")]
    pub headless: bool,

    /// Settings file to use (created with defaults if missing).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
}
