//! Windows: shell execution (open, edit, edit as administrator), the parent console, the
//! AppUserModelID that gives toasts nf-svc's own name and icon, and the session's end.

use super::wide;
use std::ffi::OsStr;
use std::io;
use std::path::Path;

fn shell_execute(verb: &str, path: &Path) -> io::Result<()> {
    shell_execute_with(verb, path.as_os_str(), None)
}

fn shell_execute_with(verb: &str, file: &OsStr, params: Option<&OsStr>) -> io::Result<()> {
    use windows_sys::Win32::UI::Shell::ShellExecuteW;
    let verb = wide(OsStr::new(verb));
    let file = wide(file);
    let params = params.map(wide);
    // SAFETY: all pointers are valid NUL-terminated UTF-16 strings or null.
    let r = unsafe {
        ShellExecuteW(
            std::ptr::null_mut(),
            verb.as_ptr(),
            file.as_ptr(),
            params.as_ref().map_or(std::ptr::null(), |p| p.as_ptr()),
            std::ptr::null(),
            1, // SW_SHOWNORMAL
        )
    };
    if r as usize > 32 {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "ShellExecute failed ({})",
            r as usize
        )))
    }
}

/// Open a file with its default application, or a folder in Explorer.
pub fn open_path(path: &Path) -> io::Result<()> {
    shell_execute("open", path)
}

/// Open a text file in its editor; Notepad when nothing is associated.
pub fn edit_file(path: &Path) -> io::Result<()> {
    shell_execute("edit", path).or_else(|_| {
        std::process::Command::new("notepad.exe")
            .arg(path)
            .spawn()
            .map(|_| ())
    })
}

/// Open a file only administrators may change (the service's ini) in Notepad, elevated:
/// Windows asks for consent (or an administrator's password) first.
pub fn edit_file_as_admin(path: &Path) -> io::Result<()> {
    let mut quoted = std::ffi::OsString::from("\"");
    quoted.push(path.as_os_str());
    quoted.push("\"");
    shell_execute_with("runas", OsStr::new("notepad.exe"), Some(&quoted))
}

/// A GUI-subsystem exe has no console: attach to the one it was started from (cmd,
/// PowerShell) so `--help`, `--version` and `--headless` print there.
pub fn attach_parent_console() {
    use windows_sys::Win32::System::Console::{ATTACH_PARENT_PROCESS, AttachConsole};
    // SAFETY: plain Win32 call; failure (no parent console) is fine.
    unsafe {
        AttachConsole(ATTACH_PARENT_PROCESS);
    }
}

/// The AppUserModelID toasts are shown under.
pub const APP_ID: &str = "nf-svc.NetFlowCollector";

/// Register nf-svc's AppUserModelID for this user (HKCU\Software\Classes\AppUserModelId), so
/// toasts show "nf-svc" and its icon rather than PowerShell. Returns the id on success.
pub fn register_app_id(icon: Option<&Path>) -> Option<String> {
    let key = windows_registry::CURRENT_USER
        .create(format!(r"Software\Classes\AppUserModelId\{APP_ID}"))
        .ok()?;
    key.set_string("DisplayName", "nf-svc").ok()?;
    if let Some(icon) = icon {
        key.set_string("IconUri", icon.to_string_lossy().as_ref())
            .ok()?;
    }
    Some(APP_ID.to_string())
}

static SESSION_END: std::sync::OnceLock<Box<dyn Fn() + Send + Sync>> = std::sync::OnceLock::new();

unsafe extern "system" fn session_wndproc(
    hwnd: windows_sys::Win32::Foundation::HWND,
    msg: u32,
    wparam: windows_sys::Win32::Foundation::WPARAM,
    lparam: windows_sys::Win32::Foundation::LPARAM,
) -> windows_sys::Win32::Foundation::LRESULT {
    use windows_sys::Win32::UI::WindowsAndMessaging::{
        DefWindowProcW, WM_ENDSESSION, WM_QUERYENDSESSION,
    };
    match msg {
        WM_QUERYENDSESSION => 1,
        WM_ENDSESSION => {
            if wparam != 0
                && let Some(f) = SESSION_END.get()
            {
                f();
            }
            0
        }
        // SAFETY: default handling for every other message.
        _ => unsafe { DefWindowProcW(hwnd, msg, wparam, lparam) },
    }
}

/// Call `f` (on the thread that called this, from its message loop) when Windows ends the
/// session: logoff, restart or shutdown. GUI programs learn of it only through a top-level
/// window, so an invisible one is created here. Call once, from the tray's thread.
pub fn on_session_end(f: impl Fn() + Send + Sync + 'static) -> io::Result<()> {
    use windows_sys::Win32::System::LibraryLoader::GetModuleHandleW;
    use windows_sys::Win32::UI::WindowsAndMessaging::{CreateWindowExW, RegisterClassW, WNDCLASSW};
    SESSION_END
        .set(Box::new(f))
        .map_err(|_| io::Error::other("session-end handler already set"))?;
    let class = wide(OsStr::new("nf-svc-session"));
    // SAFETY: the class struct and the name outlive the calls; the window is never shown.
    unsafe {
        let instance = GetModuleHandleW(std::ptr::null());
        let wc = WNDCLASSW {
            style: 0,
            lpfnWndProc: Some(session_wndproc),
            cbClsExtra: 0,
            cbWndExtra: 0,
            hInstance: instance,
            hIcon: std::ptr::null_mut(),
            hCursor: std::ptr::null_mut(),
            hbrBackground: std::ptr::null_mut(),
            lpszMenuName: std::ptr::null(),
            lpszClassName: class.as_ptr(),
        };
        if RegisterClassW(&wc) == 0 {
            return Err(io::Error::last_os_error());
        }
        let hwnd = CreateWindowExW(
            0,
            class.as_ptr(),
            class.as_ptr(),
            0,
            0,
            0,
            0,
            0,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            instance,
            std::ptr::null(),
        );
        if hwnd.is_null() {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}
