//! `[Alerts]`: thresholds, spike detection, silence and cooldown — and the rate values they
//! are written in (`10 Mbit/s`, `500 kbit/s`, `2000 pps`, `1.5 MB/s`).

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

/// A traffic rate: bits per second, or packets per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rate {
    Bits(f64),
    Packets(f64),
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Rate::Bits(b) => f.write_str(&human_bits(b)),
            Rate::Packets(p) => write!(f, "{} pps", p.round() as u64),
        }
    }
}

/// `24 Mbit/s`, `980 bit/s`, `1.5 Gbit/s`.
pub fn human_bits(b: f64) -> String {
    const UNITS: [&str; 4] = ["bit/s", "kbit/s", "Mbit/s", "Gbit/s"];
    let mut v = b;
    let mut i = 0;
    while v >= 1000.0 && i < UNITS.len() - 1 {
        v /= 1000.0;
        i += 1;
    }
    if i == 0 || v >= 10.0 {
        format!("{:.0} {}", v, UNITS[i])
    } else {
        format!("{:.1} {}", v, UNITS[i])
    }
}

/// Parse `10 Mbit/s`, `10Mbps`, `500 kbit/s`, `2000 pps`, `1.5 MB/s` (bytes).
pub fn parse_rate(v: &str) -> Result<Rate, String> {
    let expected = || "a rate such as 10 Mbit/s, 500 kbit/s, 1 MB/s or 2000 pps".to_string();
    let v = v.trim();
    let split = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let n: f64 = num.parse().map_err(|_| expected())?;
    if !(n > 0.0 && n.is_finite()) {
        return Err(expected());
    }
    let unit = unit.trim();
    let bytes = unit.contains('B');
    let u = unit
        .to_ascii_lowercase()
        .replace("ps", "/s")
        .replace("it/s", "/s");
    let (mult, packets) = match u.as_str() {
        "b/s" => (1.0, false),
        "kb/s" => (1e3, false),
        "mb/s" => (1e6, false),
        "gb/s" => (1e9, false),
        "p/s" | "packets/s" | "pkt/s" => (1.0, true),
        "kp/s" => (1e3, true),
        _ => return Err(expected()),
    };
    Ok(if packets {
        Rate::Packets(n * mult)
    } else if bytes {
        Rate::Bits(n * mult * 8.0)
    } else {
        Rate::Bits(n * mult)
    })
}

/// A limit for one named host.
#[derive(Debug, Clone, PartialEq)]
pub struct HostRule {
    pub addr: IpAddr,
    pub rate: Rate,
    pub label: Option<String>,
}

/// Everything `[Alerts]` says.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertSettings {
    pub window: Duration,
    pub source: Option<Rate>,
    pub destination: Option<Rate>,
    pub sensor: Option<Rate>,
    pub hosts: Vec<HostRule>,
    /// 0 = spike detection off.
    pub spike_factor: f64,
    pub spike_floor: Rate,
    pub baseline: Duration,
    /// Zero = never report silence.
    pub silent_after: Duration,
    pub cooldown: Duration,
}

impl AlertSettings {
    /// The name a host is shown with: `192.168.0.82 (Printer)`.
    pub fn host_name(&self, addr: IpAddr) -> String {
        match self
            .hosts
            .iter()
            .find(|h| h.addr == addr)
            .and_then(|h| h.label.as_ref())
        {
            Some(l) => format!("{addr} ({l})"),
            None => addr.to_string(),
        }
    }
}

/// `Host.<address> = RATE[, label]`.
pub fn parse_host_rule(key: &str, v: &str) -> Result<HostRule, String> {
    let addr_text = &key["Host.".len()..];
    let addr: IpAddr = addr_text.parse().map_err(|_| {
        format!("the key must name an address, like Host.192.168.0.82 (got {addr_text})")
    })?;
    let (rate, label) = match v.split_once(',') {
        Some((r, l)) => (r, Some(l.trim().to_string()).filter(|l| !l.is_empty())),
        None => (v, None),
    };
    Ok(HostRule {
        addr,
        rate: parse_rate(rate)?,
        label,
    })
}

/// A duration where `0` means off (`SilentAfter`), else like an interval.
pub fn parse_duration_or_off(v: &str) -> Result<Duration, String> {
    match v.trim() {
        "0" | "off" | "never" => Ok(Duration::ZERO),
        other => super::values::parse_interval(other),
    }
}

pub fn parse_factor(v: &str) -> Result<f64, String> {
    let expected = || "a number such as 5 (times the usual rate), or 0 for off".to_string();
    let f: f64 = v.trim().parse().map_err(|_| expected())?;
    if !(f == 0.0 || (1.0..=1000.0).contains(&f)) {
        return Err(expected());
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_in_every_spelling() {
        assert_eq!(parse_rate("10 Mbit/s").unwrap(), Rate::Bits(10e6));
        assert_eq!(parse_rate("10Mbps").unwrap(), Rate::Bits(10e6));
        assert_eq!(parse_rate("500 kbit/s").unwrap(), Rate::Bits(500e3));
        assert_eq!(parse_rate("2000 pps").unwrap(), Rate::Packets(2000.0));
        assert_eq!(parse_rate("1.5 MB/s").unwrap(), Rate::Bits(12e6));
        assert_eq!(parse_rate("1 Gbit/s").unwrap(), Rate::Bits(1e9));
        assert!(parse_rate("fast").is_err());
        assert!(parse_rate("10 furlongs").is_err());
        assert!(parse_rate("0 Mbit/s").is_err());
        assert_eq!(human_bits(24e6), "24 Mbit/s");
        assert_eq!(human_bits(1.5e9), "1.5 Gbit/s");
    }

    #[test]
    fn host_rules() {
        let h = parse_host_rule("Host.192.168.0.82", "2 Mbit/s, Printer").unwrap();
        assert_eq!(h.label.as_deref(), Some("Printer"));
        assert_eq!(h.rate, Rate::Bits(2e6));
        assert!(parse_host_rule("Host.printer", "2 Mbit/s").is_err());
    }
}
