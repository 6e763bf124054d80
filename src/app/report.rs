//! `nf-svc report`: write `report.html`, or with `--host` a device report (and its CSV), from
//! the history, and print the path. Exit status 0, 2 for bad arguments or settings, 1 when the
//! history cannot be read or the page cannot be written.

use super::cli::{Cli, EXIT_NO_HISTORY, ReportArgs};
use super::export::settings_for;
use crate::report;
use chrono::{Duration, Local};

pub fn run(cli: &Cli, a: &ReportArgs) -> i32 {
    let s = match settings_for(cli) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let now = Local::now();
    let written = match a.host {
        None => report::write_overview(&report::PageSettings::of(&s), now, None),
        Some(host) => {
            let to = a.to.unwrap_or(now);
            let from = a.from.unwrap_or(to - Duration::hours(24));
            if from >= to {
                eprintln!("nf-svc: error: --from must be before --to");
                return super::cli::EXIT_SETTINGS;
            }
            let path = a.out.clone().unwrap_or_else(|| {
                s.logs.dir.join(report::REPORTS_DIR).join(format!(
                    "{}-{}-{}.html",
                    report::host_file_part(host),
                    from.format("%Y%m%d-%H%M"),
                    to.format("%Y%m%d-%H%M")
                ))
            });
            report::write_device(&report::PageSettings::of(&s), host, from, to, now, &path)
        }
    };
    match written {
        Ok(p) => {
            println!("{}", p.display());
            0
        }
        Err(e) => {
            eprintln!("nf-svc: {e}");
            EXIT_NO_HISTORY
        }
    }
}
