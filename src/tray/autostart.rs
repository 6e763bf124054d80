//! Start at login, per user (HKCU Run key on Windows, ~/.config/autostart on Linux), through
//! auto-launch. auto-launch 0.6 does not quote the program path, so it is quoted here.

use auto_launch::{AutoLaunch, AutoLaunchBuilder, WindowsEnableMode};

fn launcher() -> Result<AutoLaunch, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let quoted = format!("\"{}\"", exe.display());
    AutoLaunchBuilder::new()
        .set_app_name("nf-svc")
        .set_app_path(&quoted)
        .set_windows_enable_mode(WindowsEnableMode::CurrentUser)
        .build()
        .map_err(|e| e.to_string())
}

/// Whether nf-svc starts at login now (read from the system, not remembered).
pub fn is_enabled() -> bool {
    launcher()
        .and_then(|l| l.is_enabled().map_err(|e| e.to_string()))
        .unwrap_or(false)
}

/// Turn start-at-login on or off.
pub fn set_enabled(on: bool) -> Result<(), String> {
    let l = launcher()?;
    let r = if on { l.enable() } else { l.disable() };
    r.map_err(|e| e.to_string())
}
