//! `nf-svc status`: ask the collector running on this machine (the Windows service, a console
//! or systemd collector) for its snapshot through its status endpoint, and print it.
//! Exit status 0, or 1 when no collector answers.

use super::cli::{EXIT_NOT_RUNNING, StatusArgs};
use crate::companion::attach;
use crate::companion::wire::{self, Snapshot};
use crate::words::units::thousands;
use chrono::{Local, TimeZone};

pub fn run(a: &StatusArgs) -> i32 {
    match attach::find() {
        Some((_, snap)) if a.json => {
            print!("{}", String::from_utf8_lossy(&wire::line(&snap)));
            0
        }
        Some((endpoint, snap)) => {
            println!("{}", describe(&snap).join("\n"));
            println!("(status endpoint {})", endpoint.display());
            0
        }
        None => {
            let looked: Vec<String> = crate::os::status_endpoints()
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            eprintln!(
                "nf-svc: no collector is running on this machine (looked at {})",
                looked.join(", ")
            );
            EXIT_NOT_RUNNING
        }
    }
}

/// The snapshot in lines a person reads.
pub fn describe(s: &Snapshot) -> Vec<String> {
    let mut v = vec![
        format!("nf-svc {} running as {} (pid {})", s.version, s.mode, s.pid),
        format!("settings: {}", s.ini.display()),
        format!("logs: {}", s.logs.display()),
    ];
    let listening: Vec<String> = s.listening.iter().map(|a| a.to_string()).collect();
    v.push(if listening.is_empty() {
        "listening: nowhere".to_string()
    } else {
        format!("listening on UDP {}", listening.join(", "))
    });
    v.push(format!(
        "capture: {}",
        if s.paused { "paused" } else { "collecting" }
    ));
    v.push(format!("flows/min: {}", thousands(s.flows_per_minute)));
    if s.sensors.is_empty() {
        v.push(format!(
            "sensors: none yet — point a sensor at UDP {}",
            s.port
        ));
    }
    for e in &s.sensors {
        v.push(format!("sensor: {}", e.line()));
    }
    if let Some(t) = s
        .last_summary
        .and_then(|t| Local.timestamp_opt(t, 0).single())
    {
        v.push(format!("latest summary: {}", t.format("%Y-%m-%d %H:%M:%S")));
    }
    if let Some(a) = &s.alert {
        v.push(format!("ALERT: {a}"));
    }
    if s.refused_datagrams > 0 {
        v.push(format!(
            "refused: {} datagram(s) from senders not in AllowedExporters",
            thousands(s.refused_datagrams)
        ));
    }
    v
}
