//! What every way of running nf-svc shares: the command line ([`cli`]; [`export`] and
//! [`report`] for `nf-svc export` and `nf-svc report`), the first-run message ([`first_run`]),
//! the panic hook ([`panic`]), and the headless runner ([`headless`]), which the
//! notification-area shell also falls back to without a desktop. Each starts the core the
//! same way and drives it through its handle.

pub mod cli;
pub mod export;
pub mod first_run;
pub mod headless;
pub mod panic;
pub mod report;
