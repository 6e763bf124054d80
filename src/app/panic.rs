//! Panics are bugs: log them with a backtrace in the service log before the default report.

use std::backtrace::Backtrace;

/// Install the hook once the service log is running.
pub fn install_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let thread = std::thread::current();
        let name = thread.name().unwrap_or("unnamed");
        log::error!(
            "BUG: panic in thread '{name}': {info}\nbacktrace:\n{}",
            Backtrace::force_capture()
        );
        log::logger().flush();
        default(info);
    }));
}
