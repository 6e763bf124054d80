//! The Windows service (the old `nf-svc /i` and `/u`): the same collector as headless, started
//! by Windows at boot, so a sensor is recorded while nobody is logged in. Its settings and
//! logs live in `%ProgramData%\nf-svc` (`nf-svc.ini`, `logs\`), written by the LocalService
//! account it runs as. Installing copies the installing user's settings there when the
//! service has none yet, so nothing is set up twice. On Linux the systemd unit
//! (`installer/linux/nf-svc.service`) is the equivalent.

use super::cli::Cli;
#[cfg(windows)]
use super::cli::{EXIT_NOT_ADMIN, EXIT_SETTINGS, EXIT_START};

/// `nf-svc /i`.
#[cfg(windows)]
pub fn install(cli: &Cli) -> i32 {
    use crate::os::{Installed, install_service, service_dir};
    let dir = service_dir();
    let ini = dir.join("nf-svc.ini");
    let copied = match prepare_dir(cli, &dir, &ini) {
        Ok(c) => c,
        Err(e) => return failure(e, "installing", "/i"),
    };
    // The program the service runs: the tray's exe (no console window), also when this is the
    // console twin nf-svc.com.
    let exe = std::env::current_exe().unwrap_or_default();
    let gui = exe.with_extension("exe");
    let exe = if gui.is_file() { gui } else { exe };
    match install_service(&exe) {
        Ok(Installed::New) => {
            println!(
                "installed and started the Windows service \"{}\": it collects while nobody is logged in",
                crate::os::SERVICE_DISPLAY_NAME
            );
            println!(
                "settings: {}{}",
                ini.display(),
                match &copied {
                    Some(from) => format!(" (copied from {})", from.display()),
                    None => String::new(),
                }
            );
            println!("logs and reports: {}", dir.join("logs").display());
            println!("remove it with: nf-svc /u (as administrator)");
            0
        }
        Ok(Installed::Already { started }) => {
            println!(
                "the Windows service nf-svc is already installed{} (remove it with nf-svc /u)",
                if started {
                    "; it was stopped and is started now"
                } else {
                    ""
                }
            );
            0
        }
        Err(e) => failure(e, "installing", "/i"),
    }
}

/// Say why `switch` (`/i`, `/u`; `doing`: "installing", "removing") did not work; the exit
/// status.
#[cfg(windows)]
fn failure(e: crate::os::ServiceError, doing: &str, switch: &str) -> i32 {
    match e {
        crate::os::ServiceError::NotAdmin => {
            eprintln!(
                "nf-svc: {doing} the Windows service needs an administrator: open cmd with \"Run as administrator\" and run nf-svc {switch} again"
            );
            EXIT_NOT_ADMIN
        }
        crate::os::ServiceError::Failed(e) => {
            eprintln!("nf-svc: error: {e}");
            EXIT_START
        }
    }
}

/// Create the service's folder, put the settings there (the user's, or the defaults) and let
/// the service account write it. Returns the file the settings were copied from.
#[cfg(windows)]
fn prepare_dir(
    cli: &Cli,
    dir: &std::path::Path,
    ini: &std::path::Path,
) -> Result<Option<std::path::PathBuf>, crate::os::ServiceError> {
    use crate::os::ServiceError;
    // A folder the user may not write is the administrator's business: said with the error.
    let failed = |what: String| {
        move |e: std::io::Error| {
            if e.kind() == std::io::ErrorKind::PermissionDenied {
                eprintln!("nf-svc: error: {what}: {e}");
                ServiceError::NotAdmin
            } else {
                ServiceError::Failed(format!("{what}: {e}"))
            }
        }
    };
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).map_err(failed(format!("cannot create {}", logs.display())))?;
    let mut copied = None;
    if !ini.exists() {
        let user = crate::settings::locate_ini(cli.config.as_deref());
        let from = user.path();
        if from.is_file() {
            std::fs::copy(from, ini).map_err(failed(format!(
                "cannot copy {} to {}",
                from.display(),
                ini.display()
            )))?;
            copied = Some(from.to_path_buf());
        } else {
            crate::settings::ensure_ini(ini)
                .map_err(failed(format!("cannot create {}", ini.display())))?;
        }
    }
    if let Err(e) = crate::os::grant_service_account(dir) {
        eprintln!("nf-svc: warning: {e}");
    }
    Ok(copied)
}

/// `nf-svc /u`.
#[cfg(windows)]
pub fn uninstall(_cli: &Cli) -> i32 {
    use crate::os::{service_dir, uninstall_service};
    match uninstall_service() {
        Ok(true) => {
            println!(
                "stopped and removed the Windows service nf-svc; its settings and logs stay in {}",
                service_dir().display()
            );
            0
        }
        Ok(false) => {
            println!("the Windows service nf-svc is not installed");
            0
        }
        Err(e) => failure(e, "removing", "/u"),
    }
}

/// `nf-svc --service`: what the service control manager runs.
#[cfg(windows)]
pub fn run(_cli: &Cli) -> i32 {
    fn main(stop: std::sync::mpsc::Receiver<()>, stopping: &dyn Fn()) -> i32 {
        let ini = crate::os::service_dir().join("nf-svc.ini");
        let cli = Cli {
            headless: true,
            install_service: false,
            uninstall_service: false,
            service: true,
            config: Some(ini),
            command: None,
        };
        match super::headless::prepare(&cli) {
            Ok(p) => super::headless::run_prepared(p, "Windows service", false, || {
                let _ = stop.recv();
                stopping();
            }),
            Err(code) => code,
        }
    }
    match crate::os::run_service(main) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!(
                "nf-svc: --service is for the Windows service control manager ({e}); use nf-svc /i to install the service"
            );
            EXIT_SETTINGS
        }
    }
}

#[cfg(not(windows))]
fn not_here() -> i32 {
    eprintln!(
        "nf-svc: the Windows service exists only on Windows; on Linux run nf-svc --headless under systemd (installer/linux/nf-svc.service)"
    );
    super::cli::EXIT_SETTINGS
}

#[cfg(not(windows))]
pub fn install(_cli: &Cli) -> i32 {
    not_here()
}

#[cfg(not(windows))]
pub fn uninstall(_cli: &Cli) -> i32 {
    not_here()
}

#[cfg(not(windows))]
pub fn run(_cli: &Cli) -> i32 {
    not_here()
}
