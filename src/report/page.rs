//! The page around the charts: one self-contained HTML file (inline CSS and SVG, no script, no
//! outside resource), light or dark as the reader's system prefers, printable on A4 with no
//! chart cut by a page break.

use std::fmt::Write;

const CSS: &str = r#"
:root { color-scheme: light dark; --fg: #1b1b1b; --bg: #ffffff; --muted: #5f6368; --grid: #d9dce0; --card: #f4f5f7; --accent: #0072B2; }
@media (prefers-color-scheme: dark) { :root { --fg: #e8eaed; --bg: #16181b; --muted: #9aa0a6; --grid: #3a3e44; --card: #202327; --accent: #56B4E9; } }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); margin: 24px auto; max-width: 1000px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; } h3 { font-size: 14px; margin: 16px 0 6px; }
p.meta { color: var(--muted); margin: 2px 0; }
a { color: var(--accent); }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { background: var(--card); border-radius: 8px; padding: 10px 14px; min-width: 150px; }
.card b { display: block; font-size: 20px; }
figure { margin: 0 0 12px; break-inside: avoid; page-break-inside: avoid; }
figcaption { color: var(--muted); font-size: 12px; }
svg.chart { display: block; width: 100%; height: auto; color: var(--fg); }
svg .axis { font-size: 11px; fill: currentColor; }
svg .grid { stroke: var(--grid); stroke-width: 1; }
svg .frame { stroke: currentColor; stroke-width: 1; }
svg .gap, svg .nodata { fill: var(--grid); opacity: 0.55; }
p.legend span { margin-right: 18px; white-space: nowrap; }
table { border-collapse: collapse; width: 100%; margin-bottom: 8px; break-inside: auto; }
tr { break-inside: avoid; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--grid); text-align: left; vertical-align: top; }
th { font-weight: 600; color: var(--muted); }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.share { display: inline-block; width: 90px; height: 8px; background: var(--grid); vertical-align: middle; margin-right: 6px; }
.share > span { display: block; height: 100%; background: var(--accent); }
.active { font-weight: 600; }
.none { color: var(--muted); font-style: italic; }
section { break-inside: auto; }
@page { size: A4 portrait; margin: 12mm; }
@media print { body { max-width: none; margin: 0; padding: 0; font-size: 11px; } a { color: inherit; text-decoration: none; } h2 { break-after: avoid; } }
"#;

/// `&`, `<`, `>`, `"` escaped for text and attributes.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A whole page: title, then the body's HTML.
pub fn page(title: &str, body: &str) -> String {
    let mut out = page_head(title);
    out.push_str(body);
    out.push_str(PAGE_END);
    out
}

/// The page before its body (see [`page`]): a long body can be written after it without
/// being copied into one string with it.
pub fn page_head(title: &str) -> String {
    let mut out = String::with_capacity(CSS.len() + 512);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta name=\"generator\" content=\"nf-svc {}\"><title>{}</title><style>{CSS}</style></head><body>\n",
        env!("CARGO_PKG_VERSION"),
        esc(title)
    );
    out
}

/// The page after its body.
pub const PAGE_END: &str = "\n</body></html>\n";

/// Where a page's HTML goes as it is made: a `String`, or a file ([`FileSink`]) — the page of
/// many sensors runs to megabytes, and need not be whole in memory first.
pub trait Sink: Write {
    fn push_str(&mut self, s: &str) {
        let _ = self.write_str(s);
    }
}

impl Sink for String {}

/// A [`Sink`] writing into a file; the first write error is kept for [`FileSink::finish`].
pub struct FileSink<'a> {
    file: &'a mut dyn std::io::Write,
    error: Option<std::io::Error>,
}

impl<'a> FileSink<'a> {
    pub fn new(file: &'a mut dyn std::io::Write) -> Self {
        FileSink { file, error: None }
    }

    /// The first write error, if any.
    pub fn finish(self) -> std::io::Result<()> {
        self.error.map_or(Ok(()), Err)
    }
}

impl Write for FileSink<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if self.error.is_none()
            && let Err(e) = self.file.write_all(s.as_bytes())
        {
            self.error = Some(e);
        }
        Ok(())
    }
}

impl Sink for FileSink<'_> {}

/// A figure, the chart `draw` makes and a caption, added to `out` (a chart of many sensors
/// runs to a megabyte: it goes straight where the page goes).
pub fn push_figure<W: Sink>(out: &mut W, draw: impl FnOnce(&mut W), caption: &str) {
    out.push_str("<figure>");
    draw(out);
    out.push_str("<figcaption>");
    out.push_str(&esc(caption));
    out.push_str("</figcaption></figure>");
}

/// A table with a header row; cells are HTML already (escape text before). Columns named
/// with a leading `#` are numbers, right-aligned.
pub fn table(columns: &[&str], rows: &[Vec<String>], empty: &str) -> String {
    if rows.is_empty() {
        return format!("<p class=\"none\">{}</p>", esc(empty));
    }
    let mut out = String::from("<table><thead><tr>");
    for c in columns {
        match c.strip_prefix('#') {
            Some(c) => {
                let _ = write!(out, "<th class=\"n\">{}</th>", esc(c));
            }
            None => {
                let _ = write!(out, "<th>{}</th>", esc(c));
            }
        }
    }
    out.push_str("</tr></thead><tbody>");
    for r in rows {
        out.push_str("<tr>");
        for (c, v) in columns.iter().zip(r) {
            if c.starts_with('#') {
                let _ = write!(out, "<td class=\"n\">{v}</td>");
            } else {
                let _ = write!(out, "<td>{v}</td>");
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// A share bar with its percentage.
pub fn share(part: u64, whole: u64) -> String {
    let pct = if whole == 0 {
        0.0
    } else {
        (part as f64 / whole as f64 * 100.0).min(100.0)
    };
    format!("<span class=\"share\"><span style=\"width:{pct:.1}%\"></span></span>{pct:.0} %")
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Full;
    impl std::io::Write for Full {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk full"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_file_sink_writes_through_and_keeps_the_first_error() {
        let mut bytes = Vec::new();
        let mut sink = FileSink::new(&mut bytes);
        push_figure(&mut sink, |s| s.push_str("<svg/>"), "a <b>");
        sink.finish().unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "<figure><svg/><figcaption>a &lt;b&gt;</figcaption></figure>"
        );
        let mut full = Full;
        let mut sink = FileSink::new(&mut full);
        sink.push_str("x");
        sink.push_str("y");
        assert_eq!(sink.finish().unwrap_err().to_string(), "disk full");
    }
}
