//! The pages kept fresh by the collector: `report.html` after every summary, a device report
//! when an incident starts, when it ends, and an hour after it ended (its "hour after" is then
//! complete). The work is done on a thread of its own — a page reads the history store and
//! takes milliseconds to tens of them — so the counting path only queues a request; requests
//! that pile up are merged (only the newest overview is written).

use super::PageSettings;
use crate::alerts::{Incident, Phase};
use crate::history::unix;
use crate::sink::{Output, Written};
use crate::summary::Summary;
use chrono::Local;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

enum Job {
    Overview(Vec<Arc<Summary>>),
    Incident {
        host: std::net::IpAddr,
        start: i64,
        end: Option<i64>,
    },
}

pub struct Pages {
    tx: Option<Sender<Job>>,
    /// The overview a summary asked for, sent at the next flush: by then the collector has
    /// written its summaries and handed their memory back, so the two do not add up.
    overview: Option<Vec<Arc<Summary>>>,
    thread: Option<JoinHandle<()>>,
    problems: Receiver<String>,
}

impl Pages {
    pub fn start(settings: PageSettings) -> Pages {
        let (tx, rx) = mpsc::channel();
        let (ptx, problems) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("nf-svc-pages".into())
            .spawn(move || run(settings, rx, ptx))
            .ok();
        Pages {
            tx: thread.as_ref().map(|_| tx),
            overview: None,
            thread,
            problems,
        }
    }

    fn send(&self, job: Job) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(job);
        }
    }
}

fn run(s: PageSettings, rx: Receiver<Job>, problems: Sender<String>) {
    // Device reports to write again later: (when, host, start, end).
    let mut later: Vec<(Instant, std::net::IpAddr, i64, Option<i64>)> = Vec::new();
    let mut last_problem = String::new();
    let mut report = |r: Result<std::path::PathBuf, String>| {
        if let Err(e) = r {
            // A page that cannot be written is said once until it changes.
            if e != last_problem {
                let _ = problems.send(format!("report: {e}"));
                last_problem = e;
            }
        }
    };
    loop {
        let wait = later
            .iter()
            .map(|l| l.0.saturating_duration_since(Instant::now()))
            .min()
            .unwrap_or(Duration::from_secs(3600));
        let first = match rx.recv_timeout(wait) {
            Ok(j) => Some(j),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let mut overview = None;
        let mut incidents = Vec::new();
        for job in first.into_iter().chain(rx.try_iter()) {
            match job {
                Job::Overview(latest) => overview = Some(latest),
                Job::Incident { host, start, end } => incidents.push((host, start, end)),
            }
        }
        let now = Instant::now();
        for (_, host, start, end) in later.iter().filter(|l| l.0 <= now) {
            incidents.push((*host, *start, *end));
        }
        later.retain(|l| l.0 > now);
        for (host, start, end) in incidents {
            report(super::write_incident(&s, host, start, end, Local::now()));
            if let Some(e) = end
                && unix(SystemTime::now()) < e + 3600
            {
                later.push((Instant::now() + Duration::from_secs(3605), host, start, end));
                later.truncate(256);
            }
        }
        if let Some(latest) = overview {
            report(super::write_overview(&s, Local::now(), Some(&latest)));
        }
        // A page with many sensors takes megabytes while it is made: give them back.
        crate::os::release_free_memory();
    }
}

impl Output for Pages {
    fn summaries(&mut self, new: &[Written], latest: &[Written]) -> Result<(), String> {
        if !new.is_empty() {
            self.overview = Some(latest.iter().map(|w| w.summary.clone()).collect());
        }
        Ok(())
    }

    fn incident(&mut self, i: &Arc<Incident>) -> Result<(), String> {
        let end = match i.phase {
            Phase::Ended { end } => Some(unix(end)),
            Phase::Started => None,
        };
        self.send(Job::Incident {
            host: i.host,
            start: unix(i.start),
            end,
        });
        Ok(())
    }

    fn flush(&mut self, _to_disk: bool) -> Result<(), String> {
        if let Some(latest) = self.overview.take() {
            self.send(Job::Overview(latest));
        }
        let p: Vec<String> = self.problems.try_iter().collect();
        if p.is_empty() {
            Ok(())
        } else {
            Err(p.join("; "))
        }
    }
}

impl Drop for Pages {
    fn drop(&mut self) {
        if let Some(latest) = self.overview.take() {
            self.send(Job::Overview(latest));
        }
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
