//! Where the outputs are assembled: the one place that names every consumer of what the
//! pipeline counts. Each output lives with its domain and plugs into the seam
//! ([`crate::sink::Output`]); a new output is a new file in its domain plus one line in
//! [`assemble`].
//!
//! | output | file | what it takes |
//! |---|---|---|
//! | [`output::dump::FlowDump`] | `<exe>-netflow.log` | every flow record |
//! | [`output::summary_log::SummaryLog`] | `<exe>-summary.log` | summaries, incidents, silent sensors |
//! | [`output::latest::LatestSummary`] | `latest-summary.txt` | the newest summary of each interval |
//! | [`output::service_log::ServiceLog`] | `<exe>.log` | incidents, exporter events, problems |
//! | [`crate::history::History`] | `nf-svc-history.sqlite` | every record (per minute), five-minute conversations, incidents, exporters |
//! | [`crate::report::output::Pages`] | `report.html`, `reports/` | summaries, incidents (pages read the history) |
//! | [`output::folder::LogFolder`] | the log folder | its size bound, pruning old files |
//! | [`crate::sink::Events`] | — (the handle's event stream) | summaries, incidents, exporters, problems |

use crate::output::{dump, folder, latest, service_log, summary_log};
use crate::settings::Settings;
use crate::sink::{Event, Events, Output, Outputs};
use tokio::sync::broadcast;

/// Build the outputs the settings ask for. Fails (changing nothing) when a log cannot be
/// opened.
pub fn assemble(s: &Settings, events: broadcast::Sender<Event>) -> Result<Outputs, String> {
    let mut list: Vec<Box<dyn Output>> = vec![Box::new(service_log::ServiceLog)];
    if s.netflow_log {
        list.push(Box::new(dump::FlowDump::open(s)?));
    }
    if s.summary_log {
        list.push(Box::new(summary_log::SummaryLog::open(s)?));
    }
    list.push(Box::new(latest::LatestSummary::new(&s.log_dir)));
    list.push(Box::new(folder::LogFolder::new(s)));
    if s.history.enabled {
        list.push(Box::new(crate::history::History::open(s)));
        list.push(Box::new(crate::report::output::Pages::start(s)));
    }
    list.push(Box::new(Events(events)));
    Ok(list.into())
}
