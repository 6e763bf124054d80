//! nf-svc: thin binary. `nf-svc` puts the collector in the notification area; `nf-svc
//! --headless` runs it in the console.
#![cfg_attr(all(windows, not(debug_assertions)), windows_subsystem = "windows")]

use nf_svc::app::cli::{Cli, Command};
use nf_svc::app::{export, headless, report};

fn main() {
    // A GUI-subsystem exe on Windows prints nothing unless it attaches to cmd's console.
    nf_svc::os::attach_parent_console();
    let cli = Cli::parse_args();
    let code = match &cli.command {
        Some(Command::Export(a)) => export::run(&cli, a),
        Some(Command::Report(a)) => report::run(&cli, a),
        None if cli.headless => headless::run(&cli),
        None => nf_svc::tray::run(&cli),
    };
    std::process::exit(code);
}
