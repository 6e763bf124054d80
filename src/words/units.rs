//! Units as a person reads them: bytes, bit/s, packets/s, counts, durations, intervals and
//! local times. Logs, toasts, the tooltip, the settings in effect and the report pages all
//! print through these, so "12 MB" or "24 Mbit/s" reads the same everywhere.

use std::time::{Duration, SystemTime};

/// A MAC held in the low 48 bits as `aa:bb:cc:dd:ee:ff`.
pub fn mac(m: u64) -> String {
    let mut s = String::with_capacity(17);
    super::append::push_mac(&mut s, m);
    s
}

/// `00:80:77:11:22:33` (or with dashes) as a number in the low 48 bits.
pub fn parse_mac(s: &str) -> Option<u64> {
    let parts: Vec<&str> = s.trim().split([':', '-']).collect();
    if parts.len() != 6 {
        return None;
    }
    parts.iter().try_fold(0u64, |m, p| {
        Some((m << 8) | u8::from_str_radix(p, 16).ok()? as u64)
    })
}

/// `12 MB`, `980 B`, `3.6 GB` (decimal units, as file managers show).
pub fn bytes(b: u64) -> String {
    scaled(b as f64, &["B", "kB", "MB", "GB", "TB", "PB"])
}

/// `24 Mbit/s`, `980 bit/s`, `1.5 Gbit/s`.
pub fn bits_per_second(b: f64) -> String {
    scaled(b, &["bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"])
}

/// `2000 pps`.
pub fn packets_per_second(p: f64) -> String {
    format!("{} pps", p.round() as u64)
}

/// Divide by 1000 until the value fits the unit; one decimal below 10, none above.
fn scaled(v: f64, units: &[&str]) -> String {
    let mut v = v;
    let mut i = 0;
    while v >= 1000.0 && i < units.len() - 1 {
        v /= 1000.0;
        i += 1;
    }
    if i == 0 || v >= 10.0 {
        format!("{v:.0} {}", units[i])
    } else {
        format!("{v:.1} {}", units[i])
    }
}

/// `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// How long something lasted: `45 s`, `3 min 20 s`, `2 h 5 min`.
pub fn duration(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{} h {} min", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{} min {} s", s / 60, s % 60)
    } else {
        format!("{s} s")
    }
}

/// A moment in local time, to the second: `2026-11-27 14:03:00`.
pub fn local_time(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Local>::from(t)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// How an interval is named in the summary header: `20 minutes` as before, `30 seconds`.
pub fn interval_words(d: Duration) -> String {
    let s = d.as_secs();
    if s.is_multiple_of(60) {
        let m = s / 60;
        if m == 1 {
            "1 minute".into()
        } else {
            format!("{m} minutes")
        }
    } else if s == 1 {
        "1 second".into()
    } else {
        format!("{s} seconds")
    }
}

/// Short form for menus and toasts: `20 min`, `8 h`, `30 s`.
pub fn interval_short(d: Duration) -> String {
    let s = d.as_secs();
    if s.is_multiple_of(3600) && s >= 3600 {
        format!("{} h", s / 3600)
    } else if s.is_multiple_of(60) {
        format!("{} min", s / 60)
    } else {
        format!("{s} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit_reads_as_a_person_expects() {
        assert_eq!(bytes(980), "980 B");
        assert_eq!(bytes(12_400_000), "12 MB");
        assert_eq!(bytes(3_600_000), "3.6 MB");
        assert_eq!(bytes(u64::MAX), "18447 PB");
        assert_eq!(bits_per_second(980.0), "980 bit/s");
        assert_eq!(bits_per_second(24e6), "24 Mbit/s");
        assert_eq!(bits_per_second(1.5e9), "1.5 Gbit/s");
        assert_eq!(packets_per_second(1999.6), "2000 pps");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
        assert_eq!(duration(Duration::from_secs(45)), "45 s");
        assert_eq!(duration(Duration::from_secs(200)), "3 min 20 s");
        assert_eq!(duration(Duration::from_secs(7500)), "2 h 5 min");
        assert_eq!(interval_words(Duration::from_secs(1200)), "20 minutes");
        assert_eq!(interval_words(Duration::from_secs(60)), "1 minute");
        assert_eq!(interval_words(Duration::from_secs(30)), "30 seconds");
        assert_eq!(interval_short(Duration::from_secs(8 * 3600)), "8 h");
        assert_eq!(interval_short(Duration::from_secs(1200)), "20 min");
        assert_eq!(interval_short(Duration::from_secs(30)), "30 s");
    }
}
