//! Exporters the decoder forgot under pressure — for the bound on all templates, or to make
//! room for a new exporter — said at most once a minute per kind, naming a few.

use crate::decode::{Decoder, limits};
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

/// Exporters named in a line; the rest are counted.
const NAMED: usize = 4;
const EVERY: Duration = Duration::from_secs(60);

#[derive(Default)]
struct Kind {
    exporters: usize,
    templates: usize,
    named: Vec<String>,
}

impl Kind {
    fn add(&mut self, ip: IpAddr, templates: Option<usize>) {
        self.exporters += 1;
        self.templates += templates.unwrap_or(0);
        if self.named.len() < NAMED {
            self.named.push(match templates {
                Some(n) => format!("{ip} ({n})"),
                None => ip.to_string(),
            });
        }
    }

    /// "a, b and 3 more"
    fn names(&self) -> String {
        let more = self.exporters - self.named.len();
        let tail = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        format!("{}{tail}", self.named.join(", "))
    }
}

#[derive(Default)]
pub(super) struct Forgotten {
    templates: Kind,
    crowded: Kind,
    said: Option<SystemTime>,
}

impl Forgotten {
    /// What the decoder forgot since the last call.
    pub(super) fn add(&mut self, decoder: &mut Decoder) {
        for (ip, n) in decoder.take_template_evictions() {
            self.templates.add(ip, Some(n));
        }
        for ip in decoder.take_crowded_out() {
            self.crowded.add(ip, None);
        }
    }

    /// The lines to log now, if any (`force` at the end).
    pub(super) fn take_lines(&mut self, now: SystemTime, force: bool) -> Vec<String> {
        let due = self
            .said
            .is_none_or(|t| now.duration_since(t).unwrap_or_default() >= EVERY);
        let t = &self.templates;
        let c = &self.crowded;
        if t.exporters + c.exporters == 0 || !(due || force) {
            return Vec::new();
        }
        let mut lines = Vec::new();
        if t.exporters > 0 {
            lines.push(format!(
                "all exporters together held more than {} templates: forgot the templates of {} exporter(s), {} templates in all: {}; their data waits until they send their templates again",
                limits::MAX_TEMPLATES_TOTAL,
                t.exporters,
                t.templates,
                t.names()
            ));
        }
        if c.exporters > 0 {
            lines.push(format!(
                "more than {} exporters (address, port and source id) at once: forgot {} to make room, those that never sent flows first: {}",
                limits::MAX_EXPORTERS,
                c.exporters,
                c.names()
            ));
        }
        *self = Forgotten {
            said: Some(now),
            ..Forgotten::default()
        };
        lines
    }
}
