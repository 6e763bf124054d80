//! Parsers for the value forms the ini accepts: numbers, switches, intervals with units,
//! address lists and networks. Each returns a sentence fragment naming what *is* accepted, so
//! the error the user sees says how to fix the line.

use std::net::IpAddr;
use std::time::Duration;

/// A parse failure: what is accepted, to be shown after the offending value.
pub type Expected = String;

pub fn parse_u64_range(v: &str, min: u64, max: u64, unit: &str) -> Result<u64, Expected> {
    let expected = || format!("a whole number of {unit} from {min} to {max}");
    let n: u64 = v.trim().parse().map_err(|_| expected())?;
    if n < min || n > max {
        return Err(expected());
    }
    Ok(n)
}

pub fn parse_switch(v: &str) -> Result<bool, Expected> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "yes" | "true" | "on" => Ok(true),
        "0" | "no" | "false" | "off" => Ok(false),
        _ => Err("1 or 0 (also yes/no, true/false, on/off)".into()),
    }
}

/// Split a comma-separated list, ignoring empty items.
pub fn list(v: &str) -> impl Iterator<Item = &str> {
    v.split(',').map(str::trim).filter(|s| !s.is_empty())
}

pub fn parse_ports(v: &str) -> Result<Vec<u16>, Expected> {
    let expected =
        || "UDP port numbers from 1 to 65535, separated by commas (e.g. 2055, 4739)".to_string();
    let mut ports = Vec::new();
    for item in list(v) {
        let p: u16 = item.parse().map_err(|_| expected())?;
        if p == 0 {
            return Err(expected());
        }
        if !ports.contains(&p) {
            ports.push(p);
        }
    }
    if ports.is_empty() {
        return Err(expected());
    }
    Ok(ports)
}

/// `host:port` targets, comma-separated (`[v6]:port` for IPv6); empty: none.
pub fn parse_targets(v: &str) -> Result<Vec<String>, Expected> {
    let expected = || {
        "host:port targets separated by commas (e.g. 10.0.0.5:2055, [2001:db8::5]:2055, collector.lan:6343)"
            .to_string()
    };
    let mut out: Vec<String> = Vec::new();
    for item in list(v) {
        let (host, port) = item.rsplit_once(':').ok_or_else(expected)?;
        let port: u16 = port.parse().map_err(|_| expected())?;
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let v6_ok = !bare.contains(':')
            || (host.starts_with('[') && bare.parse::<std::net::Ipv6Addr>().is_ok());
        let name_ok = !bare.is_empty()
            && bare
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'));
        if port == 0 || !v6_ok || !name_ok {
            return Err(expected());
        }
        if !out.iter().any(|t| t == item) {
            out.push(item.to_string());
        }
    }
    Ok(out)
}

/// A certificate's SHA-256 fingerprint as [`parse_fingerprint`] reads it and `openssl x509
/// -fingerprint -sha256` writes it: `AB:CD:…`.
pub fn show_fingerprint(fp: &[u8; 32]) -> String {
    fp.iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// A certificate's SHA-256 fingerprint: hex, with or without colons (`AB:CD:…`); empty: none.
pub fn parse_fingerprint(v: &str) -> Result<Option<[u8; 32]>, Expected> {
    let hex: String = v
        .chars()
        .filter(|c| !matches!(c, ':' | ' ' | '-'))
        .collect();
    if hex.is_empty() {
        return Ok(None);
    }
    let expected =
        || "a SHA-256 fingerprint: 32 hex pairs, as nf-svc printed it (AB:CD:…)".to_string();
    if hex.len() != 64 || !hex.is_ascii() {
        return Err(expected());
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| expected())?;
    }
    Ok(Some(out))
}

/// A DNS server: an address, optionally with a port (53 when none); empty: the system's.
pub fn parse_dns_server(v: &str) -> Result<Option<std::net::SocketAddr>, Expected> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    if let Ok(a) = v.parse::<std::net::SocketAddr>() {
        return Ok(Some(a));
    }
    v.trim_matches(['[', ']'])
        .parse::<IpAddr>()
        .map(|ip| Some(std::net::SocketAddr::new(ip, 53)))
        .map_err(|_| {
            "an address, optionally with a port (192.168.88.1, 127.0.0.1:5353, [fd00::1]:53); empty: the system's".to_string()
        })
}

/// A router's address for its REST API: `http://host[:port]` or `https://host[:port]`; empty: none.
pub fn parse_router_url(v: &str) -> Result<Option<String>, Expected> {
    let v = v.trim().trim_end_matches('/');
    if v.is_empty() {
        return Ok(None);
    }
    let expected = || {
        "the router's address with http:// or https:// (https://192.168.88.1, http://192.168.88.1:8080)"
            .to_string()
    };
    let rest = v
        .strip_prefix("https://")
        .or_else(|| v.strip_prefix("http://"))
        .ok_or_else(expected)?;
    let ok = !rest.is_empty()
        && !rest.contains(['/', '@', '?', '#', ' '])
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if ok {
        Ok(Some(v.to_string()))
    } else {
        Err(expected())
    }
}

/// E-mail addresses, comma-separated; empty: none.
pub fn parse_mail_list(v: &str) -> Result<Vec<String>, Expected> {
    let mut out = Vec::new();
    for item in list(v) {
        let ok = item.split_once('@').is_some_and(|(user, host)| {
            !user.is_empty() && host.contains('.') || host == "localhost"
        }) && !item.contains([' ', '<', '>', ',', '"']);
        if !ok {
            return Err(format!(
                "e-mail addresses separated by commas (you@example.org); \"{item}\" is not one"
            ));
        }
        out.push(item.to_string());
    }
    Ok(out)
}

/// One e-mail address, or empty.
pub fn parse_mail(v: &str) -> Result<String, Expected> {
    match parse_mail_list(v)?.as_slice() {
        [] => Ok(String::new()),
        [one] => Ok(one.clone()),
        _ => Err("one e-mail address".into()),
    }
}

/// `http://` or `https://` addresses, comma-separated; empty: none.
pub fn parse_urls(v: &str) -> Result<Vec<String>, Expected> {
    list(v)
        .map(|u| {
            let rest = u
                .strip_prefix("https://")
                .or_else(|| u.strip_prefix("http://"))
                .filter(|r| !r.is_empty() && !r.starts_with('/') && !u.contains(' '));
            rest.map(|_| u.to_string()).ok_or_else(|| {
                format!("addresses starting with http:// or https://, comma-separated; \"{u}\" is not one")
            })
        })
        .collect()
}

/// `daily HH:MM`, `weekly Mon HH:MM` (seconds allowed: `HH:MM:SS`), or `off`.
pub fn parse_digest(v: &str) -> Result<super::Digest, Expected> {
    let expected = || "off, daily HH:MM or weekly Mon HH:MM (e.g. weekly Mon 08:00)".to_string();
    let words: Vec<String> = v.split_whitespace().map(str::to_ascii_lowercase).collect();
    let time = |t: &str| -> Option<u32> {
        let parts: Vec<u32> = t
            .split(':')
            .map(|p| p.parse().ok())
            .collect::<Option<_>>()?;
        let (h, m, s) = match parts[..] {
            [h, m] => (h, m, 0),
            [h, m, s] => (h, m, s),
            _ => return None,
        };
        (h < 24 && m < 60 && s < 60).then_some(h * 3600 + m * 60 + s)
    };
    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    match words.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] | ["off"] | ["0"] | ["none"] => Ok(super::Digest::Off),
        ["daily", t] => time(t).map(super::Digest::Daily).ok_or_else(expected),
        ["weekly", d, t] => {
            let day = DAYS
                .iter()
                .position(|x| d.starts_with(x))
                .ok_or_else(expected)?;
            time(t)
                .map(|t| super::Digest::Weekly(day as u32, t))
                .ok_or_else(expected)
        }
        _ => Err(expected()),
    }
}

pub fn parse_addrs(v: &str) -> Result<Vec<IpAddr>, Expected> {
    let expected =
        || "IP addresses separated by commas (0.0.0.0 = all IPv4, :: = all IPv6)".to_string();
    let mut out = Vec::new();
    for item in list(v) {
        let a: IpAddr = item
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .map_err(|_| expected())?;
        if !out.contains(&a) {
            out.push(a);
        }
    }
    if out.is_empty() {
        return Err(expected());
    }
    Ok(out)
}

/// An address or network (`192.168.88.1`, `192.168.88.0/24`, `fd00::/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Network {
    pub fn contains(&self, ip: IpAddr) -> bool {
        // Compare IPv4-mapped IPv6 senders (dual-stack sockets) as IPv4.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - self.prefix as u32).unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - self.prefix as u32).unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let full = if self.addr.is_ipv4() { 32 } else { 128 };
        if self.prefix == full {
            write!(f, "{}", self.addr)
        } else {
            write!(f, "{}/{}", self.addr, self.prefix)
        }
    }
}

pub fn parse_networks(v: &str) -> Result<Vec<Network>, Expected> {
    let expected = || {
        "addresses or networks separated by commas (e.g. 192.168.88.1, 10.0.0.0/8), or nothing"
            .to_string()
    };
    list(v)
        .map(|item| {
            let (a, p) = match item.split_once('/') {
                Some((a, p)) => (a, Some(p)),
                None => (item, None),
            };
            let addr: IpAddr = a.trim().parse().map_err(|_| expected())?;
            let full = if addr.is_ipv4() { 32 } else { 128 };
            let prefix = match p {
                Some(p) => p.trim().parse::<u8>().map_err(|_| expected())?,
                None => full,
            };
            if prefix > full {
                return Err(expected());
            }
            Ok(Network { addr, prefix })
        })
        .collect()
}

pub fn parse_hosts(v: &str) -> Result<Vec<IpAddr>, Expected> {
    list(v)
        .map(|item| {
            item.parse::<IpAddr>()
                .map_err(|_| "IP addresses separated by commas, or nothing".to_string())
        })
        .collect()
}

/// The longest summary interval: periods are aligned to the local day.
pub const MAX_INTERVAL: Duration = Duration::from_secs(24 * 3600);

/// One interval: plain minutes as before (`20`), or with a unit: `30s`, `5m`, `8h`, `1d`.
pub fn parse_interval(item: &str) -> Result<Duration, Expected> {
    let expected = || {
        "minutes (20) or a number with a unit: s, m, h or d (30s, 5m, 8h, 1d), from 1s to 24h"
            .to_string()
    };
    let item = item.trim();
    let split = item
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(item.len());
    let (num, unit) = item.split_at(split);
    let n: u64 = num.parse().map_err(|_| expected())?;
    let secs = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "m" | "min" | "mins" | "minute" | "minutes" => n.checked_mul(60),
        "s" | "sec" | "secs" | "second" | "seconds" => Some(n),
        "h" | "hour" | "hours" => n.checked_mul(3600),
        "d" | "day" | "days" => n.checked_mul(86400),
        _ => return Err(expected()),
    }
    .ok_or_else(expected)?;
    let d = Duration::from_secs(secs);
    if d.is_zero() || d > MAX_INTERVAL {
        return Err(expected());
    }
    Ok(d)
}

/// At most this many intervals (each costs a counter per summary row).
pub const MAX_INTERVALS: usize = 8;

pub fn parse_intervals(v: &str) -> Result<Vec<Duration>, Expected> {
    let mut out = Vec::new();
    for item in list(v) {
        let d = parse_interval(item)?;
        if !out.contains(&d) {
            out.push(d);
        }
    }
    if out.len() > MAX_INTERVALS {
        return Err(format!("at most {MAX_INTERVALS} intervals"));
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_accept_minutes_and_units() {
        assert_eq!(
            parse_intervals("20, 60, 480, 1440").unwrap(),
            [20 * 60, 3600, 8 * 3600, 86400].map(Duration::from_secs)
        );
        assert_eq!(
            parse_intervals("30s, 5m,8h").unwrap()[0],
            Duration::from_secs(30)
        );
        assert_eq!(parse_interval("2 h").unwrap(), Duration::from_secs(7200));
        assert!(parse_interval("0").is_err());
        assert!(parse_interval("25h").is_err());
        assert!(parse_interval("5x").is_err());
        assert!(parse_interval("-5").is_err());
        assert!(parse_intervals("1,2,3,4,5,6,7,8").is_ok());
        assert!(parse_intervals("1,2,3,4,5,6,7,8,9").is_err());
    }

    #[test]
    fn networks_match_addresses() {
        let n = parse_networks("192.168.88.0/24, 10.1.2.3, fd00::/8").unwrap();
        assert!(n[0].contains("192.168.88.7".parse().unwrap()));
        assert!(n[0].contains("::ffff:192.168.88.7".parse().unwrap()));
        assert!(!n[0].contains("192.168.89.7".parse().unwrap()));
        assert!(n[1].contains("10.1.2.3".parse().unwrap()));
        assert!(!n[1].contains("10.1.2.4".parse().unwrap()));
        assert!(n[2].contains("fd12::1".parse().unwrap()));
        assert!(parse_networks("10.0.0.0/33").is_err());
        assert!(parse_networks("").unwrap().is_empty());
        let all = parse_networks("0.0.0.0/0").unwrap();
        assert!(all[0].contains("8.8.8.8".parse().unwrap()));
    }

    #[test]
    fn ports_and_switches() {
        assert_eq!(parse_ports("2055, 4739, 2055").unwrap(), vec![2055, 4739]);
        assert!(parse_ports("0").is_err());
        assert!(parse_ports("70000").is_err());
        assert!(parse_ports("").is_err());
        assert!(parse_switch("yes").unwrap());
        assert!(!parse_switch("0").unwrap());
        assert!(parse_switch("2").is_err());
    }
}
