//! What every way of running nf-svc shares: the command line ([`cli`]; [`export`] and
//! [`report`] for `nf-svc export` and `nf-svc report`), the first-run message ([`first_run`]),
//! the panic hook ([`panic`]), the headless runner ([`headless`]), which the
//! notification-area shell also falls back to without a desktop, the Windows service
//! ([`service`]) and `nf-svc status` ([`status`]). Each starts the core the same way and drives it through its handle;
//! [`main`] picks one for both executables.

pub mod cli;
pub mod export;
pub mod first_run;
pub mod headless;
pub mod panic;
pub mod report;
pub mod service;
pub mod status;

use cli::{Cli, Command};

/// Which executable is running: `nf-svc.exe` (the tray; a GUI program on Windows) or its
/// console twin `nf-svc.com`, which cmd and PowerShell pick when the user types `nf-svc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exe {
    Tray,
    Console,
}

/// The program, for both executables. Returns the exit status.
pub fn main(exe: Exe) -> i32 {
    crate::os::tune_heap();
    let cli = Cli::parse_args();
    match &cli.command {
        Some(Command::Export(a)) => export::run(&cli, a),
        Some(Command::Report(a)) => report::run(&cli, a),
        Some(Command::Status(a)) => status::run(a),
        None if cli.install_service => service::install(&cli),
        None if cli.uninstall_service => service::uninstall(&cli),
        None if cli.service => service::run(&cli),
        None if cli.headless => headless::run(&cli),
        None if exe == Exe::Console => match headless::prepare(&cli) {
            // Settings the tray could not start with are said here, with the exit status.
            Ok(_) => start_tray(),
            Err(code) => code,
        },
        None => crate::tray::run(&cli),
    }
}

/// `nf-svc` typed in a console without a command: start the tray's exe beside this one with
/// the same arguments and return, as the GUI exe alone did.
fn start_tray() -> i32 {
    let exe = std::env::current_exe()
        .unwrap_or_default()
        .with_extension("exe");
    match std::process::Command::new(&exe)
        .args(std::env::args_os().skip(1))
        .spawn()
    {
        Ok(_) => {
            println!("nf-svc: started {} in the notification area", exe.display());
            0
        }
        Err(e) => {
            eprintln!("nf-svc: cannot start {}: {e}", exe.display());
            cli::EXIT_START
        }
    }
}
