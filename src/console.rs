//! The console twin of `nf-svc.exe`, shipped as `nf-svc.com` beside it on Windows: cmd and
//! PowerShell run `.com` before `.exe`, so `nf-svc /d`, `/i`, `/u`, `export`, `report` and
//! `--help` typed there behave as a console program (output in order, the prompt waits, the
//! exit status is nf-svc's). Without arguments it starts the tray's `nf-svc.exe` and returns.
//! Elsewhere `nf-svc` is already a console program and this one only says so.

#[cfg(windows)]
fn main() {
    std::process::exit(nf_svc::entry::main(nf_svc::entry::Exe::Console));
}

#[cfg(not(windows))]
fn main() {
    eprintln!("nf-svc-console is the Windows console twin of nf-svc; here, run nf-svc");
    std::process::exit(2);
}
