//! The ways nf-svc runs: headless in a console ([`headless`]) and in the tray
//! (`crate::tray`). Both start the core the same way and drive it through its handle; the
//! command line ([`cli`]), the first-run message ([`first_run`]) and the panic hook
//! ([`panic`]) are shared.

pub mod cli;
pub mod first_run;
pub mod headless;
pub mod panic;
