//! The ways nf-svc runs: headless in a console now, the tray later. Both start the core the
//! same way and drive it through its handle.

pub mod cli;
pub mod headless;
pub mod panic;
