//! nf-svc: thin binary. Parses the command line and runs the collector headless; the tray
//! shell will take plain `nf-svc` (until then it runs headless too).

use nf_svc::app::{cli::Cli, headless};

fn main() {
    let cli = Cli::parse_args();
    std::process::exit(headless::run(&cli));
}
