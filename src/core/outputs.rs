//! Where the outputs are assembled: the one place that names every consumer of what the
//! pipeline counts. Each output lives with its domain and plugs into the seam
//! ([`crate::sink::Output`]); a new output is a new file in its domain plus one line in
//! [`build`]. Each is handed only its part of the settings, and a settings change rebuilds
//! only the groups whose part changed ([`changed`]).
//!
//! | group | output | file | what it takes | settings |
//! |---|---|---|---|---|
//! | service log | [`service_log::ServiceLog`] | `<exe>.log` | incidents, exporter events, problems | — (opened at start) |
//! | logs | [`dump::FlowDump`] | `<exe>-netflow.log` | every flow record | `[Logs]` |
//! | logs | [`summary_log::SummaryLog`] | `<exe>-summary.log` | summaries, incidents, silent sensors | `[Logs]` |
//! | logs | [`latest::LatestSummary`] | `latest-summary.txt` | the newest summary of each interval | `[Logs]` |
//! | logs | [`folder::LogFolder`] | the log folder | its size bound, pruning old logs and reports | `[Logs]` |
//! | history | [`crate::history::History`] | `nf-svc-history.sqlite` | every record (per minute), five-minute conversations, incidents, exporters | `[History]` |
//! | pages | [`crate::report::output::Pages`] | `report.html`, `reports/` | summaries, incidents (pages read the history) | [`PageSettings`] |
//! | notify | [`Notifier`] | e-mail, webhooks, Telegram (the outbox in the history store) | incidents, silent sensors, names | `[Notify]`, [`PageSettings`] |
//! | events | [`Events`] | — (the handle's event stream) | summaries, incidents, exporters, problems | — |

use crate::history::History;
use crate::notify::Notifier;
use crate::output::{dump, folder, latest, service_log, summary_log};
use crate::report::PageSettings;
use crate::report::output::Pages;
use crate::settings::Settings;
use crate::sink::{Event, Events, Output, Outputs};
use tokio::sync::broadcast;

/// Groups built anew for new settings, ready to take the running ones' places.
pub type Rebuilt = Vec<(Group, Vec<Box<dyn Output>>)>;

/// A group of outputs built from one part of the settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    ServiceLog,
    Logs,
    History,
    Pages,
    Notify,
    Events,
}

impl Group {
    /// Every group, in the order they are called.
    pub const ALL: [Group; 6] = [
        Group::ServiceLog,
        Group::Logs,
        Group::History,
        Group::Pages,
        Group::Notify,
        Group::Events,
    ];

    fn name(self) -> &'static str {
        match self {
            Group::ServiceLog => "service log",
            Group::Logs => "logs",
            Group::History => "history",
            Group::Pages => "pages",
            Group::Notify => "notify",
            Group::Events => "events",
        }
    }
}

/// The outputs of `group` for settings `s`. Fails (building nothing) when a log cannot be
/// opened.
fn build(
    group: Group,
    s: &Settings,
    events: &broadcast::Sender<Event>,
) -> Result<Vec<Box<dyn Output>>, String> {
    let mut list: Vec<Box<dyn Output>> = Vec::new();
    match group {
        Group::ServiceLog => list.push(Box::new(service_log::ServiceLog)),
        Group::Logs => {
            if s.logs.netflow_log {
                list.push(Box::new(dump::FlowDump::open(&s.logs)?));
            }
            if s.logs.summary_log {
                list.push(Box::new(summary_log::SummaryLog::open(&s.logs)?));
            }
            list.push(Box::new(latest::LatestSummary::new(&s.logs.dir)));
            let reports = s.logs.dir.join(crate::report::REPORTS_DIR);
            list.push(Box::new(folder::LogFolder::new(&s.logs, vec![reports])));
        }
        Group::History if s.history.enabled => list.push(Box::new(History::open(&s.history))),
        Group::Pages if s.history.enabled => list.push(Box::new(Pages::start(PageSettings::of(s)))),
        Group::History | Group::Pages => {}
        Group::Notify if Notifier::wanted(&s.notify) => {
            let store = s.history.enabled.then(|| s.history.path.clone());
            list.push(Box::new(Notifier::start(
                &s.notify,
                PageSettings::of(s),
                store,
            )));
        }
        Group::Notify => {}
        Group::Events => list.push(Box::new(Events(events.clone()))),
    }
    Ok(list)
}

/// Build every output the settings ask for. Fails (changing nothing) when a log cannot be
/// opened.
pub fn assemble(s: &Settings, events: broadcast::Sender<Event>) -> Result<Outputs, String> {
    let mut outputs = Outputs::default();
    for g in Group::ALL {
        outputs.add(g.name(), build(g, s, &events)?);
    }
    Ok(outputs)
}

/// The groups a change from `old` to `new` must rebuild: those whose part of the settings
/// changed (the history and the pages are also on or off with `[History] Enabled`).
pub fn changed(old: &Settings, new: &Settings) -> Vec<Group> {
    Group::ALL
        .into_iter()
        .filter(|g| match g {
            Group::ServiceLog | Group::Events => false,
            Group::Logs => old.logs != new.logs,
            Group::History => old.history != new.history,
            Group::Pages => {
                old.history.enabled != new.history.enabled
                    || PageSettings::of(old) != PageSettings::of(new)
            }
            // Its outbox lives in the history store; its reports in the log folder. New
            // labels reach it as names.
            Group::Notify => {
                old.notify != new.notify
                    || old.history.enabled != new.history.enabled
                    || old.history.path != new.history.path
                    || old.logs.dir != new.logs.dir
            }
        })
        .collect()
}

/// The outputs of `groups` for `new`, built before anything changes (a log that cannot be
/// opened fails the change and leaves the running outputs as they are).
pub fn rebuild(
    groups: &[Group],
    new: &Settings,
    events: &broadcast::Sender<Event>,
) -> Result<Rebuilt, String> {
    groups
        .iter()
        .map(|&g| build(g, new, events).map(|o| (g, o)))
        .collect()
}

/// Put rebuilt groups in place of the running ones.
pub fn swap_in(outputs: &mut Outputs, rebuilt: Rebuilt) {
    for (g, o) in rebuilt {
        outputs.replace(g.name(), o);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn settings(extra: &str, dir: &Path) -> Settings {
        let ini = format!("[Logs]\nDir = {}\n{extra}", dir.display());
        crate::settings::parse(&dir.join("nf-svc.ini"), &ini)
            .unwrap()
            .0
    }

    #[test]
    fn a_change_rebuilds_only_the_groups_whose_section_changed() {
        let dir = tempfile::tempdir().unwrap();
        let old = settings("", dir.path());
        let same = |extra: &str| changed(&old, &settings(extra, dir.path()));
        assert_eq!(same(""), []);
        assert_eq!(
            same("[Settings]\nPort = 4739\n"),
            [],
            "sockets, not outputs"
        );
        assert_eq!(same("[History]\nKeepDays = 7\n"), [Group::History]);
        assert_eq!(same("[Logs]\nKeepDays = 7\n"), [Group::Logs]);
        assert_eq!(
            same("[Alerts]\nHost.10.0.0.1 = 1 Mbit/s, Till\n"),
            [Group::Pages]
        );
        assert_eq!(
            same("[History]\nEnabled = 0\n"),
            [Group::History, Group::Pages, Group::Notify]
        );
        assert_eq!(
            same("[Notify]\nWebhook = http://127.0.0.1:9/hook\n"),
            [Group::Notify]
        );
        let moved = tempfile::tempdir().unwrap();
        let new = settings("", moved.path());
        assert_eq!(
            changed(&old, &new),
            [Group::Logs, Group::History, Group::Pages, Group::Notify],
            "a new log folder moves all four"
        );
    }

    #[test]
    fn a_rebuilt_group_takes_the_place_of_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let (tx, _) = broadcast::channel(4);
        let old = settings("[History]\nEnabled = 0\n", dir.path());
        let mut outputs = assemble(&old, tx.clone()).unwrap();
        let names = |o: &Outputs| o.groups();
        assert_eq!(
            names(&outputs),
            [
                ("service log", 1),
                ("logs", 4),
                ("history", 0),
                ("pages", 0),
                ("notify", 0),
                ("events", 1)
            ]
        );
        let new = settings("[Logs]\nEnableNetFlowLog = 0\n", dir.path());
        let groups = changed(&old, &new);
        assert_eq!(
            groups,
            [Group::Logs, Group::History, Group::Pages, Group::Notify]
        );
        swap_in(&mut outputs, rebuild(&groups, &new, &tx).unwrap());
        assert_eq!(
            names(&outputs),
            [
                ("service log", 1),
                ("logs", 3),
                ("history", 1),
                ("pages", 1),
                ("notify", 0),
                ("events", 1)
            ]
        );
    }
}
