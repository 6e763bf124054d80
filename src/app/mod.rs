//! What every way of running nf-svc shares: the command line ([`cli`], and [`export`] for
//! `nf-svc export`), the first-run
//! message ([`first_run`]), the panic hook ([`panic`]), and the headless runner
//! ([`headless`]), which the notification-area shell also falls back to without a desktop.
//! Each starts the core the same way and drives it through its handle.

pub mod cli;
pub mod export;
pub mod first_run;
pub mod headless;
pub mod panic;
