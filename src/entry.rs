//! Both executables' entry: the command line picks the way of running — a command
//! ([`crate::app`]), the headless runner or the Windows service ([`crate::app`]), or the
//! notification area ([`crate::tray`]). It sits above both, so neither names the other.

use crate::app::cli::{self, Cli, Command};
use crate::app::{export, headless, report, service, status};

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
        Some(Command::Notify(_)) => notify_test(&cli),
        Some(Command::Protect) => protect(&cli),
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

/// `nf-svc notify --test`: a test message on every channel, a line each.
fn notify_test(cli: &Cli) -> i32 {
    let s = match export::settings_for(cli) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let (lines, all) = crate::notify::test(&s.notify);
    for l in lines {
        println!("{l}");
    }
    if all { 0 } else { 1 }
}

/// `nf-svc protect`: encrypt the plain passwords in the settings file; a line each.
fn protect(cli: &Cli) -> i32 {
    let path = crate::settings::locate_ini(cli.config.as_deref())
        .path()
        .to_path_buf();
    match crate::settings::protect::protect_file(&path) {
        Ok(done) if done.is_empty() => {
            println!("no password is typed plainly in {}", path.display());
            0
        }
        Ok(done) => {
            for d in done {
                println!("{}, {d}: now stored encrypted for this PC", path.display());
            }
            0
        }
        Err(e) => {
            eprintln!("nf-svc: {e}");
            1
        }
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
