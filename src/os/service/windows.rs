//! The Windows service `nf-svc`: installing and removing it with the service control manager
//! (the old `/i` and `/u`), and running under it. The collector itself is the same as
//! headless; this file only speaks to the SCM.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};
use windows_service::service::{
    ServiceAccess, ServiceAction, ServiceActionType, ServiceControl, ServiceControlAccept,
    ServiceErrorControl, ServiceExitCode, ServiceFailureActions, ServiceFailureResetPeriod,
    ServiceInfo, ServiceStartType, ServiceState, ServiceStatus, ServiceType,
};
use windows_service::service_control_handler::{self, ServiceControlHandlerResult};
use windows_service::service_manager::{ServiceManager, ServiceManagerAccess};
use windows_service::{Error, define_windows_service, service_dispatcher};

pub const SERVICE_NAME: &str = "nf-svc";
pub const SERVICE_DISPLAY_NAME: &str = "nf-svc NetFlow/IPFIX collector";
const ACCOUNT: &str = r"NT AUTHORITY\LocalService";
/// LocalService's SID, which icacls understands in every language of Windows.
const ACCOUNT_SID: &str = "*S-1-5-19";

const ERROR_ACCESS_DENIED: i32 = 5;
const ERROR_SERVICE_DOES_NOT_EXIST: i32 = 1060;

/// Why installing or removing did not work.
#[derive(Debug)]
pub enum ServiceError {
    /// Not run as administrator.
    NotAdmin,
    Failed(String),
}

fn failed(what: &str) -> impl Fn(Error) -> ServiceError + '_ {
    move |e| match &e {
        Error::Winapi(io) if io.raw_os_error() == Some(ERROR_ACCESS_DENIED) => {
            ServiceError::NotAdmin
        }
        _ => ServiceError::Failed(format!("{what}: {e}")),
    }
}

fn is_missing(e: &Error) -> bool {
    matches!(e, Error::Winapi(io) if io.raw_os_error() == Some(ERROR_SERVICE_DOES_NOT_EXIST))
}

/// The service's folder: `%ProgramData%\nf-svc` (settings `nf-svc.ini`, logs in `logs\`).
/// Asked of the shell, not the environment: a service's environment is not the user's (under
/// Wine its `%ProgramData%` is another folder).
pub fn service_dir() -> PathBuf {
    program_data()
        .or_else(|| std::env::var_os("ProgramData").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(r"C:\ProgramData"))
        .join("nf-svc")
}

fn program_data() -> Option<PathBuf> {
    use std::os::windows::ffi::OsStringExt;
    use windows_sys::Win32::System::Com::CoTaskMemFree;
    use windows_sys::Win32::UI::Shell::{FOLDERID_ProgramData, SHGetKnownFolderPath};
    let mut p: *mut u16 = std::ptr::null_mut();
    // SAFETY: a known folder id and an out pointer; the returned string is NUL-terminated and
    // freed with CoTaskMemFree whether or not the call succeeded.
    unsafe {
        let hr = SHGetKnownFolderPath(&FOLDERID_ProgramData, 0, std::ptr::null_mut(), &mut p);
        let out = (hr >= 0 && !p.is_null()).then(|| {
            let len = (0..).take_while(|&i| *p.add(i) != 0).count();
            PathBuf::from(OsString::from_wide(std::slice::from_raw_parts(p, len)))
        });
        CoTaskMemFree(p as *const _);
        out
    }
}

/// Whether the service is installed; `Err` when the SCM cannot be asked.
pub fn service_installed() -> Result<bool, String> {
    let m = ServiceManager::local_computer(None::<&str>, ServiceManagerAccess::CONNECT)
        .map_err(|e| e.to_string())?;
    match m.open_service(SERVICE_NAME, ServiceAccess::QUERY_STATUS) {
        Ok(_) => Ok(true),
        Err(e) if is_missing(&e) => Ok(false),
        Err(e) => Err(e.to_string()),
    }
}

/// Let the service account write the service's folder (settings saved by the tray, logs).
pub fn grant_service_account(dir: &Path) -> Result<(), String> {
    let out = std::process::Command::new("icacls")
        .arg(dir)
        .args(["/grant", &format!("{ACCOUNT_SID}:(OI)(CI)M"), "/T", "/Q"])
        .output()
        .map_err(|e| format!("cannot run icacls: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "icacls could not give LocalService write access to {}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stdout).trim()
        ))
    }
}

/// What `install_service` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Installed {
    New,
    /// It was installed before; `started` when it was stopped and is now started.
    Already {
        started: bool,
    },
}

/// Register the service to run `exe --service` at boot as LocalService, restarting after a
/// failure, and start it. An installed service is left as it is, only started if stopped.
pub fn install_service(exe: &Path) -> Result<Installed, ServiceError> {
    let manager = ServiceManager::local_computer(
        None::<&str>,
        ServiceManagerAccess::CONNECT | ServiceManagerAccess::CREATE_SERVICE,
    )
    .map_err(failed("cannot open the service control manager"))?;
    match manager.open_service(
        SERVICE_NAME,
        ServiceAccess::QUERY_STATUS | ServiceAccess::START,
    ) {
        Ok(s) => {
            let stopped = s
                .query_status()
                .is_ok_and(|st| st.current_state == ServiceState::Stopped);
            if stopped {
                s.start(&[] as &[&OsStr])
                    .map_err(failed("cannot start the service"))?;
            }
            return Ok(Installed::Already { started: stopped });
        }
        Err(e) if is_missing(&e) => {}
        Err(e) => return Err(failed("cannot look for the service")(e)),
    }
    let info = ServiceInfo {
        name: OsString::from(SERVICE_NAME),
        display_name: OsString::from(SERVICE_DISPLAY_NAME),
        service_type: ServiceType::OWN_PROCESS,
        start_type: ServiceStartType::AutoStart,
        error_control: ServiceErrorControl::Normal,
        executable_path: exe.to_path_buf(),
        launch_arguments: vec![OsString::from("--service")],
        dependencies: vec![],
        account_name: Some(OsString::from(ACCOUNT)),
        account_password: None,
    };
    let service = manager
        .create_service(
            &info,
            ServiceAccess::CHANGE_CONFIG | ServiceAccess::START | ServiceAccess::QUERY_STATUS,
        )
        .map_err(failed("cannot create the service"))?;
    let _ = service.set_description(
        "Receives NetFlow/IPFIX from a sensor and writes flow logs, summaries and the report, \
         also while nobody is logged in.",
    );
    let restart = |secs| ServiceAction {
        action_type: ServiceActionType::Restart,
        delay: Duration::from_secs(secs),
    };
    let _ = service.update_failure_actions(ServiceFailureActions {
        reset_period: ServiceFailureResetPeriod::After(Duration::from_secs(24 * 3600)),
        reboot_msg: None,
        command: None,
        actions: Some(vec![restart(10), restart(60), restart(300)]),
    });
    service
        .start(&[] as &[&OsStr])
        .map_err(failed("installed, but cannot start the service"))?;
    wait_for(&service, ServiceState::Running, Duration::from_secs(20)).map_err(|state| {
        ServiceError::Failed(format!(
            "installed, but the service is {state:?} instead of running: see its service log"
        ))
    })?;
    Ok(Installed::New)
}

fn wait_for(
    service: &windows_service::service::Service,
    want: ServiceState,
    timeout: Duration,
) -> Result<(), ServiceState> {
    let end = Instant::now() + timeout;
    let mut state = ServiceState::StartPending;
    while Instant::now() < end {
        if let Ok(s) = service.query_status() {
            state = s.current_state;
            if state == want {
                return Ok(());
            }
            if want == ServiceState::Running && state == ServiceState::Stopped {
                return Err(state);
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err(state)
}

/// Stop the service (it writes its partial summaries) and remove it. `Ok(false)`: it was not
/// installed.
pub fn uninstall_service() -> Result<bool, ServiceError> {
    let manager = ServiceManager::local_computer(None::<&str>, ServiceManagerAccess::CONNECT)
        .map_err(failed("cannot open the service control manager"))?;
    let service = match manager.open_service(
        SERVICE_NAME,
        ServiceAccess::QUERY_STATUS | ServiceAccess::STOP | ServiceAccess::DELETE,
    ) {
        Ok(s) => s,
        Err(e) if is_missing(&e) => return Ok(false),
        Err(e) => return Err(failed("cannot open the service")(e)),
    };
    let running = service
        .query_status()
        .map(|s| s.current_state != ServiceState::Stopped)
        .unwrap_or(false);
    if running {
        service.stop().map_err(failed("cannot stop the service"))?;
        if wait_for(&service, ServiceState::Stopped, Duration::from_secs(60)).is_err() {
            return Err(ServiceError::Failed(
                "the service did not stop within a minute; it is left installed".into(),
            ));
        }
    }
    service
        .delete()
        .map_err(failed("cannot remove the service"))?;
    Ok(true)
}

/// What runs under the SCM: the collector, told to stop through the receiver; it calls the
/// `stopping` function when it starts to stop (a stop writes partial summaries, which may take
/// a few seconds). Returns the exit status.
pub type ServiceMain = fn(Receiver<()>, &dyn Fn()) -> i32;

static MAIN: OnceLock<ServiceMain> = OnceLock::new();

define_windows_service!(ffi_service_main, service_main);

/// Hand this process to the SCM (blocks until the service stops). Fails when the process was
/// not started by the SCM.
pub fn run_service(main: ServiceMain) -> Result<(), String> {
    let _ = MAIN.set(main);
    service_dispatcher::start(SERVICE_NAME, ffi_service_main).map_err(|e| e.to_string())
}

fn status(state: ServiceState, code: i32, wait: Duration) -> ServiceStatus {
    ServiceStatus {
        service_type: ServiceType::OWN_PROCESS,
        current_state: state,
        controls_accepted: if state == ServiceState::Running {
            ServiceControlAccept::STOP | ServiceControlAccept::SHUTDOWN
        } else {
            ServiceControlAccept::empty()
        },
        exit_code: if code == 0 {
            ServiceExitCode::Win32(0)
        } else {
            ServiceExitCode::ServiceSpecific(code as u32)
        },
        checkpoint: 0,
        wait_hint: wait,
        process_id: None,
    }
}

fn service_main(_arguments: Vec<OsString>) {
    let Some(main) = MAIN.get() else { return };
    let (tx, rx) = mpsc::channel();
    let handler = move |control| match control {
        ServiceControl::Stop | ServiceControl::Shutdown => {
            let _ = tx.send(());
            ServiceControlHandlerResult::NoError
        }
        ServiceControl::Interrogate => ServiceControlHandlerResult::NoError,
        _ => ServiceControlHandlerResult::NotImplemented,
    };
    let Ok(handle) = service_control_handler::register(SERVICE_NAME, handler) else {
        return;
    };
    let _ = handle.set_service_status(status(ServiceState::Running, 0, Duration::ZERO));
    let stopping = || {
        let _ = handle.set_service_status(status(
            ServiceState::StopPending,
            0,
            Duration::from_secs(30),
        ));
    };
    let code = main(rx, &stopping);
    let _ = handle.set_service_status(status(ServiceState::Stopped, code, Duration::ZERO));
}
