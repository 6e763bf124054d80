//! `latest-summary.txt` in the log folder: always the newest summary of each interval, for
//! the tray's "Open latest summary" and anyone who wants one file to look at. Each summary is
//! laid out as in the summary log, then the names of its hosts that have one.

use super::summary_text::summary_chunks;
use super::trouble::WriteTrouble;
use crate::names::{Known, Names};
use crate::sink::{Output, Written};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// The file's name in the log folder.
pub const LATEST_SUMMARY: &str = "latest-summary.txt";

pub struct LatestSummary {
    dir: PathBuf,
    trouble: WriteTrouble,
    /// The summaries still to write, when the last try failed.
    unwritten: Option<Vec<Written>>,
    names: Names,
}

impl LatestSummary {
    pub fn new(dir: &Path) -> Self {
        LatestSummary {
            dir: dir.to_path_buf(),
            trouble: WriteTrouble::new(dir.join(LATEST_SUMMARY).display().to_string()),
            unwritten: None,
            names: Names::default(),
        }
    }

    fn write(&mut self, latest: &[Written]) -> Result<(), String> {
        let r = write_latest(&self.dir, latest, &self.names).map(|_| ());
        self.unwritten = r.is_err().then(|| latest.to_vec());
        self.trouble.check(r, 0, None)
    }
}

/// Write the newest report of each interval to `<dir>/latest-summary.txt` (via a temporary
/// file and a rename, so a reader never sees half a file).
pub fn write_latest(dir: &Path, latest: &[Written], names: &Names) -> std::io::Result<PathBuf> {
    let path = dir.join(LATEST_SUMMARY);
    // A piece of text at a time: with many exporters the whole file runs to megabytes.
    crate::sink::write_atomically_with(&path, |f| {
        latest.iter().try_for_each(|w| {
            summary_chunks(&w.summary, &w.at, |c| f.write_all(c.as_bytes()))?;
            f.write_all(names_block(w, names).as_bytes())
        })
    })?;
    Ok(path)
}

/// `Names:` and one line per named host of the summary's rows (none: nothing).
fn names_block(w: &Written, names: &Names) -> String {
    let mut named: BTreeMap<IpAddr, String> = BTreeMap::new();
    let rows = w.summary.exporters.iter().flat_map(|e| &e.rows);
    for ip in rows.flat_map(|r| [r.src.ip(), r.dst.ip()]).flatten() {
        if !named.contains_key(&ip)
            && let Some(n) = names.describe(ip)
        {
            named.insert(ip, n);
        }
    }
    if named.is_empty() {
        return String::new();
    }
    let mut out = String::from("Names:\n");
    for (ip, n) in named {
        out.push_str(&format!("  {ip:<39} {n}\n"));
    }
    out.push('\n');
    out
}

impl Output for LatestSummary {
    fn summaries(&mut self, _new: &[Written], latest: &[Written]) -> Result<(), String> {
        self.write(latest)
    }

    fn names(&mut self, all: &Names, _changed: &[(IpAddr, Known)]) -> Result<(), String> {
        self.names = all.clone();
        Ok(())
    }

    /// Try again what could not be written (once a second).
    fn flush(&mut self, to_disk: bool) -> Result<(), String> {
        match self.unwritten.take() {
            Some(latest) if to_disk => self.write(&latest),
            kept => {
                self.unwritten = kept;
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::Addr;
    use crate::names::Source;
    use crate::summary::{ExporterKey, ExporterRows, Row, Summary};
    use std::collections::HashMap;
    use std::sync::Arc;

    #[test]
    fn named_hosts_are_listed_below_their_summary() {
        let a = |s: &str| s.parse::<IpAddr>().unwrap();
        let row = |src: &str, dst: &str| Row {
            etype: 0x0800,
            proto: 17,
            src: Addr::from(a(src)),
            dst: Addr::from(a(dst)),
            port: 3702,
            reply: false,
            bytes: 1000,
            packets: 1,
        };
        let summary = Summary {
            interval: std::time::Duration::from_secs(60),
            start: chrono::Local::now(),
            end: chrono::Local::now(),
            partial: false,
            top_count: 100,
            exporters: vec![ExporterRows {
                exporter: ExporterKey {
                    kind: crate::flow::FlowKind::NetflowV9,
                    addr: Addr::from(a("127.0.0.1")),
                },
                total_rows: 2,
                total_bytes: 2000,
                total_packets: 2,
                rows: vec![
                    row("192.168.88.50", "239.255.255.250"),
                    row("192.168.88.9", "8.8.8.8"),
                ],
                other: None,
            }],
        };
        let learned = HashMap::from([(
            a("192.168.88.50"),
            Known {
                name: Some(("printer.lan".into(), Source::Dns)),
                mac: Some(0x0080_7711_2233),
                vendor: Some("Brother".into()),
            },
        )]);
        let names = Names::default().with_learned(Arc::new(learned));
        let w = Written {
            summary: Arc::new(summary),
            at: chrono::Local::now(),
        };
        let block = names_block(&w, &names);
        assert_eq!(
            block,
            format!(
                "Names:\n  {:<39} printer.lan · Brother\n  {:<39} SSDP / WS-Discovery (multicast)\n\n",
                "192.168.88.50", "239.255.255.250"
            )
        );
        assert_eq!(
            names_block(&w, &Names::default()).lines().count(),
            3,
            "purposes alone"
        );
    }
}
