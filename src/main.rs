//! nf-svc: thin binary. `nf-svc` puts the collector in the notification area; `nf-svc
//! --headless` runs it in the console. On Windows this is the GUI-subsystem `nf-svc.exe`;
//! `console.rs` builds its console twin `nf-svc.com`.
#![cfg_attr(all(windows, not(debug_assertions)), windows_subsystem = "windows")]

fn main() {
    // A GUI-subsystem exe on Windows prints nothing unless it attaches to cmd's console.
    nf_svc::os::attach_parent_console();
    std::process::exit(nf_svc::entry::main(nf_svc::entry::Exe::Tray));
}
