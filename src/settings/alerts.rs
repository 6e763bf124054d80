//! `[Alerts]`: thresholds, spike detection, silence and cooldown — and the rate values they
//! are written in (`10 Mbit/s`, `500 kbit/s`, `2000 pps`, `1.5 MB/s`).

use crate::words::units;
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
        f.write_str(&match *self {
            Rate::Bits(b) => units::bits_per_second(b),
            Rate::Packets(p) => units::packets_per_second(p),
        })
    }
}

/// Parse `10 Mbit/s`, `10Mbps`, `10 MBit/s`, `500 kbit/s`, `2000 pps`, `1.5 MB/s`.
///
/// A unit with "bit" in it, or a lowercase `b` (`Mbps`, `mb/s`), counts bits; an uppercase
/// `B` without "bit" (`MB/s`, `MBps`, `B/s`) counts bytes. Prefixes k, M, G in either case.
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
    let (mult, base) = match unit.chars().next().map(|c| c.to_ascii_lowercase()) {
        Some('k') if unit.len() > 1 => (1e3, &unit[1..]),
        Some('m') if unit.len() > 1 => (1e6, &unit[1..]),
        Some('g') if unit.len() > 1 => (1e9, &unit[1..]),
        _ => (1.0, unit),
    };
    match base.to_ascii_lowercase().as_str() {
        "pps" | "p/s" | "pkt/s" | "packets/s" => Ok(Rate::Packets(n * mult)),
        "bit" | "bits" | "bit/s" | "bits/s" => Ok(Rate::Bits(n * mult)),
        "b" | "b/s" | "bps" if base.starts_with('B') => Ok(Rate::Bits(n * mult * 8.0)),
        "b" | "b/s" | "bps" => Ok(Rate::Bits(n * mult)),
        _ => Err(expected()),
    }
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

/// `Host.<address> = RATE[, label]`; an IPv6 address as it is (`Host.fe80::1`) or in
/// brackets (`Host.[fe80::1]`).
pub fn parse_host_rule(key: &str, v: &str) -> Result<HostRule, String> {
    let addr_text = key["Host.".len()..].trim();
    let bare = addr_text
        .strip_prefix('[')
        .and_then(|a| a.strip_suffix(']'))
        .unwrap_or(addr_text);
    let addr: IpAddr = bare.parse().map_err(|_| {
        format!(
            "the key must name an address, like Host.192.168.0.82 or Host.fe80::1 (got {addr_text})"
        )
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
    let v = v.trim();
    if v == "0" || v.eq_ignore_ascii_case("off") || v.eq_ignore_ascii_case("never") {
        Ok(Duration::ZERO)
    } else {
        super::values::parse_interval(v)
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
        assert_eq!(Rate::Bits(24e6).to_string(), "24 Mbit/s");
        assert_eq!(Rate::Packets(2000.0).to_string(), "2000 pps");
    }

    #[test]
    fn capital_b_is_bytes_only_without_bit() {
        // The first five were read as bytes (8× the limit) before: any capital B meant bytes.
        assert_eq!(parse_rate("10 MBit/s").unwrap(), Rate::Bits(10e6));
        assert_eq!(parse_rate("10 MBits/s").unwrap(), Rate::Bits(10e6));
        assert_eq!(parse_rate("10 kBit/s").unwrap(), Rate::Bits(10e3));
        assert_eq!(parse_rate("1 GBit").unwrap(), Rate::Bits(1e9));
        assert_eq!(parse_rate("10 Mbit").unwrap(), Rate::Bits(10e6));
        assert_eq!(parse_rate("10 Mbit/s").unwrap(), Rate::Bits(10e6));
        assert_eq!(parse_rate("10 Mbps").unwrap(), Rate::Bits(10e6));
        assert_eq!(parse_rate("10 mbit").unwrap(), Rate::Bits(10e6));
        assert_eq!(parse_rate("10 MB/s").unwrap(), Rate::Bits(80e6));
        assert_eq!(parse_rate("10 MBps").unwrap(), Rate::Bits(80e6));
        assert_eq!(parse_rate("100 B/s").unwrap(), Rate::Bits(800.0));
        assert_eq!(parse_rate("3 kpps").unwrap(), Rate::Packets(3000.0));
        assert!(parse_rate("10 M").is_err());
        assert!(parse_rate("10 Mpackets").is_err());
    }

    #[test]
    fn host_rules() {
        let h = parse_host_rule("Host.192.168.0.82", "2 Mbit/s, Printer").unwrap();
        assert_eq!(h.label.as_deref(), Some("Printer"));
        assert_eq!(h.rate, Rate::Bits(2e6));
        assert!(parse_host_rule("Host.printer", "2 Mbit/s").is_err());
        let v6 = parse_host_rule("Host.fe80::1", "1 Mbit/s, Camera").unwrap();
        assert_eq!(v6.addr, "fe80::1".parse::<IpAddr>().unwrap());
        assert_eq!(v6.label.as_deref(), Some("Camera"));
        let v6 = parse_host_rule("Host.[2001:db8::5]", "1 Mbit/s").unwrap();
        assert_eq!(v6.addr, "2001:db8::5".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn off_and_never_in_any_case() {
        for v in ["0", "off", "Off", "OFF", "never", "Never", " NEVER "] {
            assert_eq!(parse_duration_or_off(v).unwrap(), Duration::ZERO, "{v}");
        }
        assert_eq!(
            parse_duration_or_off("10m").unwrap(),
            Duration::from_secs(600)
        );
    }
}
