//! Every key nf-svc knows, in one table: its section, older spellings, default, the comment
//! the ini carries above it, what the README says of it, and how the value in effect is shown.
//!
//! The table drives reading ([`super::resolve`] matches entries to it; defaults come from
//! it), the built-in ini and `nf-svc.ini.example`, the README's settings table and the
//! settings-in-effect lines of the service log ([`super::render`]). A test holds the example
//! file and the README to what the table makes. A new key is a row here, a field in its
//! section's struct, and one line where [`super::sections`] reads it.

use super::Settings;
use super::alerts::Rate;
use crate::words::units::interval_short;
use std::time::Duration;

/// A key's (section, name).
pub(super) type KeyName = (&'static str, &'static str);

/// One key of the ini.
pub(super) struct KeySpec {
    pub section: &'static str,
    pub name: &'static str,
    /// Older spellings read as this key.
    pub old: &'static [KeyName],
    /// The default's text; `None` for `Host.<address>`, a key per host with no default.
    pub default: Option<&'static str>,
    /// The comment above the key in the ini (lines joined by `\n`); for a key with no
    /// default, its commented-out examples too.
    pub comment: &'static str,
    /// The README's settings table says this of it.
    pub meaning: &'static str,
    /// The value in effect, for the service log.
    pub show: fn(&Settings) -> String,
}

/// The file's opening comment.
pub(super) const INI_HEADER: &str =
    "nf-svc settings. Lines starting with ; are comments. The tray applies saved changes at once;
nf-svc --headless reads them at its next start.
Every key below shows its default. Old nf-svc.ini files work unchanged.";

fn join<T: ToString>(items: &[T], empty: &str) -> String {
    if items.is_empty() {
        return empty.to_string();
    }
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn intervals(v: &[Duration]) -> String {
    join(
        &v.iter().map(|d| interval_short(*d)).collect::<Vec<_>>(),
        "none",
    )
}

fn rate(r: Option<Rate>) -> String {
    r.map_or_else(|| "off".to_string(), |r| r.to_string())
}

fn off_or(d: Duration) -> String {
    if d.is_zero() {
        "off".into()
    } else {
        interval_short(d)
    }
}

fn switch(on: bool) -> String {
    if on { "1" } else { "0" }.into()
}

/// Every key, in the order of the ini.
pub(super) const KEYS: &[KeySpec] = &[
    KeySpec {
        section: "Settings",
        name: "Port",
        old: &[],
        default: Some("2055"),
        comment: "UDP port(s) your sensor sends NetFlow v5/v9 or IPFIX to, comma-separated (e.g. 2055, 4739).",
        meaning: "UDP port(s) the sensor sends to, comma-separated (`2055, 4739`)",
        show: |s| join(&s.receive.ports, ""),
    },
    KeySpec {
        section: "Settings",
        name: "SFlowPort",
        old: &[],
        default: Some("6343"),
        comment: "UDP port for sFlow v5 from switches (MikroTik CRS3xx/CRS5xx, CCR2116/2216 and others); 0 = off.\nIf another program holds it, nf-svc says so and goes on without sFlow.",
        meaning: "UDP port for sFlow v5 from switches; `0`: off. Taken by another program: said, and nf-svc runs without it",
        show: |s| s.receive.sflow_port.to_string(),
    },
    KeySpec {
        section: "Settings",
        name: "Listen",
        old: &[],
        default: Some("0.0.0.0, ::"),
        comment: "Local addresses to listen on: 0.0.0.0 = every IPv4 address, :: = every IPv6 address.",
        meaning: "local addresses to listen on (every IPv4, every IPv6 address)",
        show: |s| join(&s.receive.listen, ""),
    },
    KeySpec {
        section: "Settings",
        name: "ReceiveBufferMB",
        old: &[],
        default: Some("16"),
        comment: "Socket receive buffer in MB; large so bursts of flows are not dropped by the OS.",
        meaning: "socket receive buffer; the OS default (~208 KiB) drops datagrams in bursts",
        show: |s| (s.receive.buffer_bytes >> 20).to_string(),
    },
    KeySpec {
        section: "Settings",
        name: "AllowedExporters",
        old: &[],
        default: Some(""),
        comment: "Accept flows only from these sensors (addresses or networks like 192.168.88.0/24); empty = any.",
        meaning: "accept only these sensors: addresses or networks (`192.168.88.0/24`); empty: any",
        show: |s| join(&s.receive.allowed_exporters, "any"),
    },
    KeySpec {
        section: "Summary",
        name: "Intervals",
        old: &[("Settings", "SummaryIntervals")],
        default: Some("20, 60, 480, 1440"),
        comment: "How often to write a traffic summary: minutes, or with a unit (30s, 5m, 8h); at most 24h.",
        meaning: "summary intervals: minutes as before, or with a unit (`30s`, `5m`, `8h`, `1d`); at most 24 h",
        show: |s| intervals(&s.summary.intervals),
    },
    KeySpec {
        section: "Summary",
        name: "TopCount",
        old: &[("Settings", "SummaryTopCount")],
        default: Some("100"),
        comment: "How many rows each exporter's block lists, biggest first.",
        meaning: "rows per sensor block, biggest first",
        show: |s| s.summary.top_count.to_string(),
    },
    KeySpec {
        section: "Summary",
        name: "TrackingClients",
        old: &[("Settings", "TrackingClients")],
        default: Some(""),
        comment: "Hosts whose flows always count as replies (listed by source port), comma-separated.",
        meaning: "hosts whose flows always count as replies (listed by source port)",
        show: |s| join(&s.summary.tracking_clients, "none"),
    },
    KeySpec {
        section: "Logs",
        name: "Dir",
        old: &[("Logs", "Path")],
        default: Some("./logs"),
        comment: "Folder for the three log files, relative to this file's folder unless absolute.",
        meaning: "log folder, relative to the ini's folder unless absolute",
        show: |s| s.logs.dir.display().to_string(),
    },
    KeySpec {
        section: "Logs",
        name: "KeepDays",
        old: &[],
        default: Some("30"),
        comment: "Delete rotated log files older than this many days.",
        meaning: "rotated log files older than this are deleted",
        show: |s| s.logs.keep_days.to_string(),
    },
    KeySpec {
        section: "Logs",
        name: "MaxFileSizeMB",
        old: &[],
        default: Some("10"),
        comment: "Start a new log file when the current one reaches this size in MB.",
        meaning: "a log file is rotated at this size",
        show: |s| s.logs.max_file_size_mb.to_string(),
    },
    KeySpec {
        section: "Logs",
        name: "MaxTotalMB",
        old: &[],
        default: Some("2048"),
        comment: "Keep the three logs, rotated files included, and the device reports under this many MB in
all: the oldest rotated files and reports are deleted first (alongside KeepDays). The flow
dump takes ~330 bytes a flow.",
        meaning: "the three logs, their rotated files and the device reports together; the oldest rotated files and reports are deleted first",
        show: |s| s.logs.max_total_mb.to_string(),
    },
    KeySpec {
        section: "Logs",
        name: "EnableSummaryLog",
        old: &[],
        default: Some("1"),
        comment: "Write the interval summaries to nf-svc-summary.log (1 = yes, 0 = no).",
        meaning: "write `nf-svc-summary.log`",
        show: |s| switch(s.logs.summary_log),
    },
    KeySpec {
        section: "Logs",
        name: "EnableNetFlowLog",
        old: &[],
        default: Some("1"),
        comment: "Write one line per flow to nf-svc-netflow.log (1 = yes, 0 = no).",
        meaning: "write `nf-svc-netflow.log`",
        show: |s| switch(s.logs.netflow_log),
    },
    KeySpec {
        section: "Tray",
        name: "SummaryToasts",
        old: &[],
        default: Some(""),
        comment: "Which summaries also pop up as a notification: intervals from [Summary] Intervals, or none.
Empty = the shortest interval.",
        meaning: "which intervals' summaries pop up as notifications (`20, 1440`, or `none`); empty: the shortest",
        show: |s| intervals(&s.tray.summary_toasts),
    },
    KeySpec {
        section: "Alerts",
        name: "SourceRate",
        old: &[],
        default: Some(""),
        comment: "Alert when any one host sends more than this (10 Mbit/s, 500 kbit/s, 2000 pps); empty = off.",
        meaning: "a limit on what any one host sends (`10 Mbit/s`, `500 kbit/s`, `1 MB/s`, `2000 pps`: \"bit\" or a small `b` is bits, a capital `B` alone bytes); empty: off",
        show: |s| rate(s.alerts.source),
    },
    KeySpec {
        section: "Alerts",
        name: "DestinationRate",
        old: &[],
        default: Some(""),
        comment: "Alert when any one host receives more than this; empty = off.",
        meaning: "a limit on what any one host receives; empty: off",
        show: |s| rate(s.alerts.destination),
    },
    KeySpec {
        section: "Alerts",
        name: "SensorRate",
        old: &[],
        default: Some(""),
        comment: "Alert when one sensor's total traffic exceeds this; empty = off.",
        meaning: "a limit on each sensor's total; empty: off",
        show: |s| rate(s.alerts.sensor),
    },
    KeySpec {
        section: "Alerts",
        name: "Host.<address>",
        old: &[],
        default: None,
        comment: "A limit, and a name for the toasts, for one host (remove the ; to use it):
Host.192.168.0.82 = 2 Mbit/s, Printer
Host.fe80::1 = 1 Mbit/s, Camera",
        meaning: "a limit and a name for one host, on what it sends and what it receives: `Host.192.168.0.82 = 2 Mbit/s, Printer`; IPv6 as it is or in brackets (`Host.[2001:db8::5]`)",
        show: |s| {
            let rules: Vec<String> = s
                .alerts
                .hosts
                .iter()
                .map(|h| match &h.label {
                    Some(l) => format!("{} {}, {l}", h.addr, h.rate),
                    None => format!("{} {}", h.addr, h.rate),
                })
                .collect();
            join(&rules, "none")
        },
    },
    KeySpec {
        section: "Alerts",
        name: "Window",
        old: &[],
        default: Some("1m"),
        comment: "Rates are averaged over this window (10s, 1m, 5m).",
        meaning: "rates are averaged over this",
        show: |s| interval_short(s.alerts.window),
    },
    KeySpec {
        section: "Alerts",
        name: "SpikeFactor",
        old: &[],
        default: Some("5"),
        comment: "Spike: a host sending more than this many times its usual rate (0 = off) ...",
        meaning: "spike: this many times the host's usual rate (`0`: off) …",
        show: |s| s.alerts.spike_factor.to_string(),
    },
    KeySpec {
        section: "Alerts",
        name: "SpikeFloor",
        old: &[],
        default: Some("1 Mbit/s"),
        comment: "... and more than this. A quiet printer that suddenly sends 50 MB is caught.",
        meaning: "… and above this",
        show: |s| s.alerts.spike_floor.to_string(),
    },
    KeySpec {
        section: "Alerts",
        name: "Baseline",
        old: &[],
        default: Some("1h"),
        comment: "A host's usual rate is its average over this span; it is learned for this long first.",
        meaning: "the usual rate is the average over this span, learned for this long first",
        show: |s| interval_short(s.alerts.baseline),
    },
    KeySpec {
        section: "Alerts",
        name: "SilentAfter",
        old: &[],
        default: Some("10m"),
        comment: "Tell when a sensor has sent nothing for this long, and when it is back (0 = never).",
        meaning: "report a sensor silent after this (`0`, `off` or `never` = never)",
        show: |s| off_or(s.alerts.silent_after),
    },
    KeySpec {
        section: "Alerts",
        name: "Cooldown",
        old: &[],
        default: Some("15m"),
        comment: "After an alert, the same rule and host stay quiet for this long.",
        meaning: "quiet time per rule and host after an alert (`0`/`off` = none)",
        show: |s| off_or(s.alerts.cooldown),
    },
    KeySpec {
        section: "History",
        name: "Enabled",
        old: &[],
        default: Some("1"),
        comment: "Keep every minute of traffic in nf-svc-history.sqlite in the log folder (1 = on, 0 = off):
totals per sensor and host, top conversations, incidents. Read it with nf-svc export.",
        meaning: "keep every minute in `nf-svc-history.sqlite` in the log folder",
        show: |s| switch(s.history.enabled),
    },
    KeySpec {
        section: "History",
        name: "KeepDays",
        old: &[],
        default: Some("400"),
        comment: "Minutes older than this many days are deleted.",
        meaning: "minutes older than this are deleted",
        show: |s| s.history.keep_days.to_string(),
    },
    KeySpec {
        section: "History",
        name: "MaxSizeMB",
        old: &[],
        default: Some("1024"),
        comment: "The oldest days are deleted while the file would grow beyond this size.",
        meaning: "the oldest days are deleted while the file would be larger",
        show: |s| s.history.max_size_mb.to_string(),
    },
    KeySpec {
        section: "Names",
        name: "ReverseDNS",
        old: &[],
        default: Some("1"),
        comment: "Name the devices nf-svc shows (busiest hosts, incidents) by reverse DNS (PTR); 0 = off.",
        meaning: "name the devices shown (busiest hosts, incidents) by reverse DNS; never every address counted",
        show: |s| switch(s.names.reverse_dns),
    },
    KeySpec {
        section: "Names",
        name: "DNSServer",
        old: &[],
        default: Some(""),
        comment: "The DNS server asked (address, optionally :port, e.g. 192.168.88.1); empty = the system's.",
        meaning: "the DNS server asked (`192.168.88.1`, `127.0.0.1:5353`); empty: the system's",
        show: |s| s.names.dns_server.map_or("the system's".into(), |a| a.to_string()),
    },
    KeySpec {
        section: "Names",
        name: "NetBIOS",
        old: &[],
        default: Some("0"),
        comment: "1 = ask local devices without another name for their NetBIOS name (UDP 137; Windows PCs, printers).",
        meaning: "`1`: ask local devices without another name for their NetBIOS name (UDP 137)",
        show: |s| switch(s.names.netbios),
    },
    KeySpec {
        section: "Names",
        name: "RouterOS",
        old: &[],
        default: Some(""),
        comment: "A MikroTik router whose DHCP leases name the devices (RouterOS v7 REST API), e.g.\nhttps://192.168.88.1 or http://192.168.88.1; read at start and every 5 minutes. Empty = off.",
        meaning: "a MikroTik (`https://192.168.88.1`) whose DHCP leases name devices, read every 5 minutes; empty: off",
        show: |s| s.names.routeros.clone().unwrap_or_else(|| "off".into()),
    },
    KeySpec {
        section: "Names",
        name: "RouterOSUser",
        old: &[],
        default: Some(""),
        comment: "A read-only RouterOS user for nf-svc (see the README), and its password. Keep this file private.",
        meaning: "a read-only RouterOS user for nf-svc",
        show: |s| s.names.routeros_user.clone(),
    },
    KeySpec {
        section: "Names",
        name: "RouterOSPassword",
        old: &[],
        default: Some(""),
        comment: "Never written to any log.",
        meaning: "its password (never logged)",
        show: |s| format!("{:?}", s.names.routeros_password),
    },
    KeySpec {
        section: "Names",
        name: "RouterOSCertificate",
        old: &[],
        default: Some(""),
        comment: "The router's HTTPS certificate, by its SHA-256 fingerprint (nf-svc prints it when it cannot trust\nthe router's self-signed certificate: copy it here).",
        meaning: "the router's self-signed HTTPS certificate, pinned by the SHA-256 fingerprint nf-svc prints",
        show: |s| s
            .names
            .routeros_certificate
            .map_or("none".into(), |fp| fp.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")),
    },
    KeySpec {
        section: "Forward",
        name: "To",
        old: &[],
        default: Some(""),
        comment: "Send every datagram received from an accepted sensor on, unchanged, to these collectors\n(host:port, comma-separated; e.g. 10.0.0.5:2055 for nfcapd, goflow2 or Akvorado). Empty = off.",
        meaning: "collectors (`host:port`, comma-separated) every accepted datagram is also sent to, unchanged; empty: off",
        show: |s| join(&s.forward.to, "off"),
    },
    KeySpec {
        section: "Forward",
        name: "KeepSource",
        old: &[],
        default: Some("0"),
        comment: "1 = forwarded datagrams keep their sensor's address as their source, so the collector sees each\nsensor as itself (Linux, run as root or with CAP_NET_RAW; elsewhere they go from this computer).",
        meaning: "`1`: forwarded datagrams keep the sensor's address as their source (Linux, root or CAP_NET_RAW)",
        show: |s| switch(s.forward.keep_source),
    },
];

/// The sections, in the order of the ini.
pub(super) fn sections() -> impl Iterator<Item = &'static str> {
    KEYS.iter()
        .enumerate()
        .filter(|(i, k)| KEYS[..*i].iter().all(|e| e.section != k.section))
        .map(|(_, k)| k.section)
}

/// The default text of every key that has one.
pub(super) fn default_of(section: &str, key: &str) -> Option<&'static str> {
    KEYS.iter()
        .find(|k| k.section == section && k.name == key)
        .and_then(|k| k.default)
}
