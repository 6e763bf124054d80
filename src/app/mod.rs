//! What every way of running nf-svc shares: the command line ([`cli`]; [`export`] and
//! [`report`] for `nf-svc export` and `nf-svc report`), the first-run message ([`first_run`]),
//! the panic hook ([`panic`]), the headless runner ([`headless`]), which the
//! notification-area shell also falls back to without a desktop, the Windows service
//! ([`service`]) and `nf-svc status` ([`status`]). The runners (headless, service, and the
//! tray in [`crate::tray`]) start the core the same way and drive it through its handle; the
//! commands (export, report, status) read the store or ask the running collector.
//! [`crate::entry`] picks one for both executables.

pub mod cli;
pub mod export;
pub mod first_run;
pub mod headless;
pub mod panic;
pub mod report;
pub mod service;
pub mod status;
