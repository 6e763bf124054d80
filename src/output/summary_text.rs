//! A summary in the old summary log layout (the summary log and `latest-summary.txt`):
//!
//! ```text
//! 2023-04-29 02:37:14.222 *** Summary for every 20 minutes *** (2023-04-29 02:20:00 - 2023-04-29 02:40:00)
//! NETFLOW_V9(192.168.255.10)
//!   L3=IPv4, L4=UDP, Src=192.168.0.82, Dst=224.0.0.251, DstPort=5353, {Bytes:144461 Packets:2365}
//!   L3=IPv4, L4=TCP, Src=192.168.255.1, Dst=192.168.255.80, SrcPort=5007, {Bytes:14672 Packets:299}
//! ```
//!
//! The header line is the old one followed by the covered period (`, partial` when the period
//! was cut short by a start or a stop); exporter blocks say `top 100 of 146` when cut.

use crate::summary::{Row, Summary};
use crate::words::append::{LINE_END, push_addr, push_log_time, push_u64};
use crate::words::protocols::{ethertype_name, l4_proto_name};
use crate::words::units::interval_words;
use chrono::{DateTime, Local};

/// The whole entry for the summary log, written at `written_at`, ending with a blank line.
pub fn summary_text(report: &Summary, written_at: &DateTime<Local>) -> String {
    let mut out = String::new();
    let _ = summary_chunks(report, written_at, |chunk| {
        out.push_str(chunk);
        Ok::<(), std::convert::Infallible>(())
    });
    out
}

/// The same entry handed to `emit` a piece at a time — the header, then about [`CHUNK`]
/// bytes of exporter blocks at a time — so a summary of many exporters (megabytes) is
/// written without being held whole. The first error ends it.
pub fn summary_chunks<E>(
    report: &Summary,
    written_at: &DateTime<Local>,
    mut emit: impl FnMut(&str) -> Result<(), E>,
) -> Result<(), E> {
    let mut out = String::with_capacity(CHUNK + 4096);
    push_log_time(&mut out, written_at);
    out.push_str(" *** Summary for every ");
    out.push_str(&interval_words(report.interval));
    out.push_str(" *** (");
    out.push_str(&format!(
        "{} - {}{}",
        report.start.format("%Y-%m-%d %H:%M:%S"),
        report.end.format("%Y-%m-%d %H:%M:%S"),
        if report.partial { ", partial" } else { "" }
    ));
    out.push(')');
    out.push_str(LINE_END);
    if report.exporters.is_empty() {
        out.push_str("  (no flows received)");
        out.push_str(LINE_END);
    }
    for e in &report.exporters {
        out.push_str(&e.exporter.to_string());
        if e.total_rows > report.top_count {
            out.push_str(" top ");
            push_u64(&mut out, report.top_count as u64);
            out.push_str(" of ");
            push_u64(&mut out, e.total_rows as u64);
        }
        out.push_str(LINE_END);
        for r in &e.rows {
            push_row(&mut out, r);
            out.push_str(LINE_END);
            if out.len() >= CHUNK {
                emit(&out)?;
                out.clear();
            }
        }
        if let Some(o) = e.other {
            out.push_str("  Other conversations (the summary table was full), {Bytes:");
            push_u64(&mut out, o.bytes);
            out.push_str(" Packets:");
            push_u64(&mut out, o.packets);
            out.push('}');
            out.push_str(LINE_END);
        }
    }
    out.push_str(LINE_END);
    emit(&out)
}

/// Bytes of text handed on at a time by [`summary_chunks`].
pub const CHUNK: usize = 16 * 1024;

/// `  L3=IPv4, L4=UDP, Src=…, Dst=…, DstPort=5353, {Bytes:37321 Packets:611}`
fn push_row(out: &mut String, r: &Row) {
    out.push_str("  L3=");
    out.push_str(&ethertype_name(r.etype));
    out.push_str(", L4=");
    out.push_str(&l4_proto_name(r.proto));
    out.push_str(", Src=");
    push_addr(out, &r.src);
    out.push_str(", Dst=");
    push_addr(out, &r.dst);
    out.push_str(if r.reply { ", SrcPort=" } else { ", DstPort=" });
    push_u64(out, r.port as u64);
    out.push_str(", {Bytes:");
    push_u64(out, r.bytes);
    out.push_str(" Packets:");
    push_u64(out, r.packets);
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::{Addr, FlowRecord};
    use crate::summary::Table;

    fn twenty_minutes(t: &Table, top: usize, now: DateTime<Local>) -> Summary {
        Summary {
            interval: std::time::Duration::from_secs(1200),
            start: now,
            end: now,
            partial: false,
            top_count: top,
            exporters: t.rows(top),
        }
    }

    #[test]
    fn a_full_table_shows_its_other_conversations_line() {
        let mut t = Table::new().with_max_rows(1);
        let mut r = FlowRecord {
            src_addr: Addr::V4([10, 0, 0, 1]),
            dst_addr: Addr::V4([10, 0, 0, 2]),
            proto: 17,
            dst_port: 53,
            bytes: 100,
            packets: 2,
            ..FlowRecord::default()
        };
        t.add(&r);
        r.dst_addr = Addr::V4([10, 0, 0, 3]);
        r.bytes = 7;
        t.add(&r);
        let now = chrono::Local::now();
        let report = twenty_minutes(&t, 10, now);
        let text = summary_text(&report, &now);
        assert!(
            text.contains(&format!(
                "{LINE_END}  Other conversations (the summary table was full), {{Bytes:7 Packets:2}}{LINE_END}"
            )),
            "{text}"
        );
    }

    #[test]
    fn a_big_summary_comes_in_chunks_that_make_up_the_text() {
        let mut t = Table::new();
        for i in 0..3000u32 {
            t.add(&FlowRecord {
                exporter: Addr::V4([192, 168, 255, (i % 3) as u8]),
                src_addr: Addr::V4([10, 0, 0, 1]),
                dst_addr: Addr::V4((0x0a01_0000 + i).to_be_bytes()),
                proto: 17,
                dst_port: 53,
                bytes: 100 + i as u64,
                packets: 1,
                ..FlowRecord::default()
            });
        }
        let now = chrono::Local::now();
        let report = twenty_minutes(&t, 1000, now);
        let mut chunks = Vec::new();
        summary_chunks(&report, &now, |c| {
            chunks.push(c.to_string());
            Ok::<(), ()>(())
        })
        .unwrap();
        assert!(chunks.len() > 10, "{} chunks", chunks.len());
        assert!(chunks.iter().all(|c| c.len() < CHUNK + 200));
        let text = summary_text(&report, &now);
        assert_eq!(chunks.concat(), text);
        assert_eq!(text.matches("{Bytes:").count(), 3000);
        // The first error ends it.
        let mut calls = 0;
        let r = summary_chunks(&report, &now, |_| {
            calls += 1;
            Err("disk full")
        });
        assert_eq!((r, calls), (Err("disk full"), 1));
    }
}
