//! Charts as inline SVG, drawn here rather than with a plotting crate: a time chart (lines
//! with gaps where nf-svc was not collecting, a dashed limit line, hatched incident bands), a
//! bar chart and an hour × day heat map. Text and axes use `currentColor`, so the page's light
//! or dark scheme carries over; series use the Okabe–Ito palette, told apart by dash pattern as
//! well as colour, so no reader depends on red versus green.

use super::page::{Sink, esc};
use std::fmt::Write;

/// Okabe–Ito colours: blue, orange, bluish green, reddish purple, sky blue, vermillion.
pub const PALETTE: [&str; 6] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
];
/// Dash patterns, one per series, so colour is never the only difference.
const DASHES: [&str; 6] = ["", "6 3", "2 2", "8 3 2 3", "1 3", "10 4"];

const W: f64 = 760.0;
const H: f64 = 240.0;
const LEFT: f64 = 78.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 34.0;

/// One line of a time chart: `(unix seconds, value)`, `None` where there is no data (a gap).
pub struct Series<'a> {
    pub name: &'a str,
    pub points: Vec<(i64, Option<f64>)>,
}

/// What a time chart shows besides its lines.
pub struct TimeChart<'a> {
    pub title: &'a str,
    pub from: i64,
    pub to: i64,
    pub series: Vec<Series<'a>>,
    /// Limits drawn as dashed lines, each with its label.
    pub limits: Vec<(f64, String)>,
    /// Spans to hatch (incidents), and spans to grey out (not collecting).
    pub incidents: Vec<(i64, i64)>,
    pub gaps: Vec<(i64, i64)>,
    /// Value → axis text (`12 Mbit/s`).
    pub unit: &'a dyn Fn(f64) -> String,
    /// Tick time → axis text (`14:00`, `Mon 27`).
    pub tick_text: &'a dyn Fn(i64) -> String,
    /// Seconds between time ticks.
    pub tick_every: i64,
    /// Offset of local time from UTC in seconds, so ticks fall on local hours and days.
    pub utc_offset: i64,
}

/// Horizontal grid lines with their values, from `base` (zero) up to `top` (`ymax`).
fn y_grid<W: Sink>(out: &mut W, ymax: f64, top: f64, base: f64, unit: &dyn Fn(f64) -> String) {
    for i in 0..=4 {
        let v = ymax * i as f64 / 4.0;
        let yy = top + (1.0 - v / ymax) * (base - top);
        let _ = write!(
            out,
            r#"<line class="grid" x1="{LEFT}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}"/><text class="axis" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            W - RIGHT,
            LEFT - 6.0,
            yy + 4.0,
            esc(&unit(v))
        );
    }
}

/// A "nice" ceiling for the y axis: 1, 2 or 5 × 10ⁿ above `v`.
fn nice_max(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return 1.0;
    }
    let p = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|c| *c >= v)
        .unwrap_or(10.0 * p)
}

/// The `<svg>` element opening, sized by CSS, scaled by its viewBox.
fn open<W: Sink>(out: &mut W, title: &str, h: f64) {
    let _ = write!(
        out,
        r#"<svg class="chart" viewBox="0 0 {W} {h}" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = esc(title)
    );
}

pub fn time_chart(c: &TimeChart) -> String {
    let mut out = String::with_capacity(16 * 1024);
    time_chart_into(&mut out, c);
    out
}

/// Where a time and a value land on a time chart.
struct Frame {
    from: i64,
    span: f64,
    ymax: f64,
}

impl Frame {
    fn x(&self, t: i64) -> f64 {
        LEFT + (t - self.from) as f64 / self.span * (W - LEFT - RIGHT)
    }

    fn y(&self, v: f64) -> f64 {
        TOP + (1.0 - v / self.ymax) * (H - TOP - BOTTOM)
    }
}

/// [`time_chart`], written into `out`: the bands (gaps, incidents), the grid, the series and
/// the limits.
pub fn time_chart_into<W: Sink>(out: &mut W, c: &TimeChart) {
    open(out, c.title, H);
    let top_value = c
        .series
        .iter()
        .flat_map(|s| s.points.iter().filter_map(|p| p.1))
        .chain(c.limits.iter().map(|l| l.0))
        .fold(0.0f64, f64::max);
    let f = Frame {
        from: c.from,
        span: (c.to - c.from).max(1) as f64,
        ymax: nice_max(top_value * 1.05),
    };
    bands(out, c, &f);
    y_grid(out, f.ymax, TOP, H - BOTTOM, c.unit);
    time_ticks(out, c, &f);
    for (i, s) in c.series.iter().enumerate() {
        series_path(out, s, i, &f);
    }
    for (v, label) in &c.limits {
        let yy = f.y(*v);
        let _ = write!(
            out,
            r##"<line class="limit" x1="{LEFT}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" stroke="#D55E00" stroke-width="1.4" stroke-dasharray="5 4"/><text class="axis" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            W - RIGHT,
            W - RIGHT - 4.0,
            yy - 4.0,
            esc(label)
        );
    }
    let _ = write!(
        out,
        r#"<line class="frame" x1="{LEFT}" y1="{:.1}" x2="{:.1}" y2="{:.1}"/></svg>"#,
        H - BOTTOM,
        W - RIGHT,
        H - BOTTOM
    );
}

/// Grey bands where nf-svc was not collecting, hatched ones for incidents (a pattern, not a
/// colour alone).
fn bands<W: Sink>(out: &mut W, c: &TimeChart, f: &Frame) {
    out.push_str(r##"<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#D55E00" stroke-width="2" opacity="0.45"/></pattern></defs>"##);
    for (a, b) in &c.gaps {
        let (a, b) = (f.x((*a).max(c.from)), f.x((*b).min(c.to)));
        let _ = write!(
            out,
            r#"<rect class="gap" x="{a:.1}" y="{TOP}" width="{:.1}" height="{:.1}"><title>nf-svc was not collecting</title></rect>"#,
            (b - a).max(0.5),
            H - TOP - BOTTOM
        );
    }
    for (a, b) in &c.incidents {
        let (a, b) = (f.x((*a).max(c.from)), f.x((*b).min(c.to)));
        let _ = write!(
            out,
            r#"<rect class="incident" x="{a:.1}" y="{TOP}" width="{:.1}" height="{:.1}" fill="url(#hatch)"/>"#,
            (b - a).max(1.5),
            H - TOP - BOTTOM
        );
    }
}

/// Time ticks on local boundaries.
fn time_ticks<W: Sink>(out: &mut W, c: &TimeChart, f: &Frame) {
    let step = c.tick_every.max(60);
    let mut t = c.from + (step - (c.from + c.utc_offset).rem_euclid(step)) % step;
    while t <= c.to {
        let xx = f.x(t);
        let _ = write!(
            out,
            r#"<line class="grid" x1="{xx:.1}" y1="{TOP}" x2="{xx:.1}" y2="{:.1}"/><text class="axis" x="{xx:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            H - BOTTOM,
            H - BOTTOM + 16.0,
            esc(&(c.tick_text)(t))
        );
        t += step;
    }
}

/// Series `i` as one path, lifted over the points without a value.
fn series_path<W: Sink>(out: &mut W, s: &Series, i: usize, f: &Frame) {
    let mut d = String::new();
    let mut pen_down = false;
    for (t, v) in &s.points {
        match v {
            Some(v) => {
                let pen = if pen_down { 'L' } else { 'M' };
                let _ = write!(d, "{pen}{:.1},{:.1} ", f.x(*t), f.y(*v));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    let _ = write!(
        out,
        r#"<path class="series" d="{d}" fill="none" stroke="{}" stroke-width="1.6" stroke-dasharray="{}"><title>{}</title></path>"#,
        PALETTE[i % PALETTE.len()],
        DASHES[i % DASHES.len()],
        esc(s.name)
    );
}

/// The legend for a time chart's series (HTML, so it wraps and prints).
pub fn legend(names: &[&str], extra: &[&str]) -> String {
    let mut out = String::from(r#"<p class="legend">"#);
    for (i, n) in names.iter().enumerate() {
        let _ = write!(
            out,
            r#"<span><svg width="28" height="10" aria-hidden="true"><line x1="0" y1="5" x2="28" y2="5" stroke="{}" stroke-width="2.5" stroke-dasharray="{}"/></svg> {}</span>"#,
            PALETTE[i % PALETTE.len()],
            DASHES[i % DASHES.len()],
            esc(n)
        );
    }
    for e in extra {
        let _ = write!(out, "<span>{e}</span>");
    }
    out.push_str("</p>");
    out
}

/// Vertical bars with a label under each; `None` values (no data that day) are drawn as a
/// dotted outline.
pub fn bar_chart(
    title: &str,
    bars: &[(String, Option<f64>)],
    unit: &dyn Fn(f64) -> String,
) -> String {
    let mut out = String::with_capacity(8 * 1024);
    let h = 200.0;
    open(&mut out, title, h);
    let ymax = nice_max(bars.iter().filter_map(|b| b.1).fold(0.0, f64::max) * 1.05);
    let n = bars.len().max(1) as f64;
    let slot = (W - LEFT - RIGHT) / n;
    let base = h - BOTTOM;
    y_grid(&mut out, ymax, TOP, base, unit);
    for (i, (label, v)) in bars.iter().enumerate() {
        let x0 = LEFT + i as f64 * slot + slot * 0.15;
        let bw = slot * 0.7;
        match v {
            Some(v) => {
                let bh = v / ymax * (base - TOP);
                let _ = write!(
                    out,
                    r#"<rect class="bar" x="{x0:.1}" y="{:.1}" width="{bw:.1}" height="{bh:.1}" fill="{}"><title>{}: {}</title></rect>"#,
                    base - bh,
                    PALETTE[0],
                    esc(label),
                    esc(&unit(*v))
                );
            }
            None => {
                let _ = write!(
                    out,
                    r#"<rect class="nodata" x="{x0:.1}" y="{TOP}" width="{bw:.1}" height="{:.1}"><title>{}: nf-svc was not collecting</title></rect>"#,
                    base - TOP,
                    esc(label)
                );
            }
        }
        if bars.len() <= 16 || i % (bars.len() / 10).max(1) == 0 {
            let _ = write!(
                out,
                r#"<text class="axis" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                x0 + bw / 2.0,
                base + 16.0,
                esc(label)
            );
        }
    }
    let _ = write!(
        out,
        r#"<line class="frame" x1="{LEFT}" y1="{base}" x2="{:.1}" y2="{base}"/></svg>"#,
        W - RIGHT
    );
    out
}

/// An hour × day grid: rows are days (label), columns hours 0–23; darker is more. `None`:
/// nothing recorded that hour (drawn grey).
pub fn heat_map(
    title: &str,
    rows: &[(String, [Option<f64>; 24])],
    unit: &dyn Fn(f64) -> String,
) -> String {
    let mut out = String::new();
    let cell_h = 16.0;
    let h = TOP + rows.len() as f64 * cell_h + BOTTOM;
    open(&mut out, title, h);
    let max = rows
        .iter()
        .flat_map(|r| r.1.iter().flatten())
        .fold(0.0f64, |a, b| a.max(*b))
        .max(1.0);
    let cw = (W - LEFT - RIGHT) / 24.0;
    for (r, (label, cells)) in rows.iter().enumerate() {
        let yy = TOP + r as f64 * cell_h;
        let _ = write!(
            out,
            r#"<text class="axis" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            LEFT - 6.0,
            yy + cell_h - 4.0,
            esc(label)
        );
        for (hour, v) in cells.iter().enumerate() {
            let xx = LEFT + hour as f64 * cw;
            match v {
                Some(v) => {
                    let a = (v / max).clamp(0.0, 1.0);
                    let _ = write!(
                        out,
                        r#"<rect x="{xx:.1}" y="{yy:.1}" width="{:.1}" height="{:.1}" fill="{}" fill-opacity="{:.2}"><title>{label} {hour:02}:00 {}</title></rect>"#,
                        cw - 1.0,
                        cell_h - 1.0,
                        PALETTE[0],
                        0.06 + 0.94 * a,
                        esc(&unit(*v))
                    );
                }
                None => {
                    let _ = write!(
                        out,
                        r#"<rect class="nodata" x="{xx:.1}" y="{yy:.1}" width="{:.1}" height="{:.1}"/>"#,
                        cw - 1.0,
                        cell_h - 1.0
                    );
                }
            }
        }
    }
    for hour in (0..24).step_by(3) {
        let _ = write!(
            out,
            r#"<text class="axis" x="{:.1}" y="{:.1}" text-anchor="middle">{hour:02}:00</text>"#,
            LEFT + hour as f64 * cw + cw / 2.0,
            h - BOTTOM + 16.0
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_round_up_to_nice_numbers() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(3.2e6), 5e6);
        assert_eq!(nice_max(1.0e6), 1e6);
        assert_eq!(nice_max(1.1e6), 2e6);
        assert_eq!(nice_max(7.0), 10.0);
    }

    #[test]
    fn a_gap_breaks_the_line_and_text_is_escaped() {
        let unit = |v: f64| format!("{v:.0} <b>");
        let tick = |t: i64| format!("{t}");
        let c = TimeChart {
            title: "A & B",
            from: 0,
            to: 600,
            series: vec![Series {
                name: "sent",
                points: vec![
                    (0, Some(1.0)),
                    (60, Some(2.0)),
                    (120, None),
                    (180, Some(3.0)),
                ],
            }],
            limits: vec![(2.5, "limit 2.5".into())],
            incidents: vec![(60, 120)],
            gaps: vec![(120, 180)],
            unit: &unit,
            tick_text: &tick,
            tick_every: 300,
            utc_offset: 0,
        };
        let svg = time_chart(&c);
        assert!(svg.contains("<title>A &amp; B</title>"));
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
        let path = svg.split(r#"class="series" d=""#).nth(1).unwrap();
        assert_eq!(
            path.split('"').next().unwrap().matches('M').count(),
            2,
            "two pieces"
        );
        assert!(svg.contains(r#"class="gap""#) && svg.contains(r#"class="incident""#));
        assert!(!svg.contains("http"), "inline SVG needs no namespace URL");
    }
}
