//! Reading whole ini texts: old files, defaults, messages with file, line and key.

use super::*;

/// An absolute ini path on this OS (`/etc/nf` is relative on Windows: no drive).
fn p() -> PathBuf {
    PathBuf::from(if cfg!(windows) {
        r"C:\nf\nf-svc.ini"
    } else {
        "/etc/nf/nf-svc.ini"
    })
}

#[test]
fn built_in_ini_gives_the_old_defaults() {
    let s = Settings::defaults(&p());
    assert_eq!(s.receive.ports, vec![2055]);
    assert_eq!(
        s.summary.intervals,
        [20, 60, 480, 1440]
            .map(|m| Duration::from_secs(m * 60))
            .to_vec()
    );
    assert_eq!(s.summary.top_count, 100);
    assert_eq!(s.logs.keep_days, 30);
    assert_eq!(s.logs.max_file_size_mb, 10);
    assert_eq!(s.logs.max_total_mb, 2048);
    assert_eq!(s.logs.dir, p().with_file_name("logs"));
    assert!(s.logs.summary_log && s.logs.netflow_log);
    assert!(s.receive.allowed_exporters.is_empty());
    assert_eq!(s.receive.buffer_bytes, 16 << 20);
}

#[test]
fn old_go_ini_files_load_unchanged() {
    let old = "[Settings]\nPort             = 2056\nSummaryIntervals = 20, 60, 480, 1440\nSummaryTopCount  = 50\nTrackingClients  = 192.168.255.1\n\n[Logs]\nKeepDays      = 7\nMaxFileSizeMB = 5\nDir           = ./logs\n";
    let (s, w) = parse(&p(), old).unwrap();
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(s.receive.ports, vec![2056]);
    assert_eq!(s.summary.top_count, 50);
    assert_eq!(
        s.summary.tracking_clients,
        vec!["192.168.255.1".parse::<IpAddr>().unwrap()]
    );
    assert_eq!(s.logs.keep_days, 7);
    let older =
        "[Settings]\nPort = 2055\nSummaryIntervals = 20, 60, 480\n[Logs]\nPath = C:\\nf\\logs\n";
    let (s, _) = parse(&p(), older).unwrap();
    assert_eq!(s.summary.intervals.len(), 3);
    assert!(s.logs.dir.to_string_lossy().contains("C:\\nf\\logs"));
}

#[test]
fn bad_values_name_file_line_key_value_and_what_is_accepted() {
    let text =
        "[Settings]\nPort = 2055\n\n[Summary]\nIntervals = 20, soon\n[Logs]\nKeepDays = -1\n";
    let errs = parse(&p(), text).unwrap_err();
    assert_eq!(errs.len(), 2);
    assert_eq!(
        errs[0].to_string(),
        format!(
            "{}, line 5: [Summary] Intervals = \"20, soon\" is not valid: expected minutes (20) or a number with a unit: s, m, h or d (30s, 5m, 8h, 1d), from 1s to 24h",
            p().display()
        )
    );
    assert_eq!(errs[1].place.line, Some(7));
    assert!(errs[1].message.contains("[Logs] KeepDays = \"-1\""));
    assert!(
        errs[1]
            .message
            .contains("whole number of days from 1 to 36500")
    );
}

#[test]
fn unknown_keys_warn_with_the_closest_key() {
    let text = "[Logs]\nKeepDay = 3\n[Settings]\nColour = blue\n";
    let (s, w) = parse(&p(), text).unwrap();
    assert_eq!(s.logs.keep_days, 30);
    assert_eq!(w.len(), 2);
    assert_eq!(
        w[0].to_string(),
        format!(
            "{}, line 2: unknown key [Logs] KeepDay is ignored; did you mean [Logs] KeepDays?",
            p().display()
        )
    );
    assert_eq!(w[1].place.line, Some(4));
}

#[test]
fn alert_settings_with_named_hosts() {
    let text = "[Alerts]\nSourceRate = 10 Mbit/s\nHost.192.168.0.82 = 2 Mbit/s, Printer\nHost.fe80::1 = 10 MBit/s, Camera\nWindow = 30s\nSpikeFactor = 0\nSilentAfter = Off\n";
    let (s, w) = parse(&p(), text).unwrap();
    assert!(w.is_empty(), "{w:?}");
    let a = &s.alerts;
    assert_eq!(a.source, Some(alerts::Rate::Bits(10e6)));
    let camera: IpAddr = "fe80::1".parse().unwrap();
    let label = |addr: IpAddr| {
        a.hosts
            .iter()
            .find(|h| h.addr == addr)
            .and_then(|h| h.label.as_deref())
    };
    assert_eq!(label(camera), Some("Camera"));
    assert_eq!(a.hosts[1].rate, alerts::Rate::Bits(10e6), "MBit/s is bits");
    assert_eq!(a.destination, None);
    assert_eq!(a.window, Duration::from_secs(30));
    assert_eq!(a.spike_factor, 0.0);
    assert_eq!(a.silent_after, Duration::ZERO);
    assert_eq!(label("192.168.0.82".parse().unwrap()), Some("Printer"));
    let d = Settings::defaults(&p()).alerts;
    assert_eq!(
        (d.spike_factor, d.window, d.cooldown),
        (5.0, Duration::from_secs(60), Duration::from_secs(900))
    );
    assert_eq!(d.silent_after, Duration::from_secs(600));
    let errs = parse(
        &p(),
        "[Alerts]\nHost.printer = 2 Mbit/s\nSensorRate = lots\n",
    )
    .unwrap_err();
    assert_eq!(errs.len(), 2);
    assert!(errs.iter().any(|e| {
        e.to_string()
            .contains("line 3: [Alerts] SensorRate = \"lots\"")
    }));
    assert!(
        errs.iter()
            .any(|e| e.to_string().contains("line 2: [Alerts] Host.printer"))
    );
}

#[test]
fn syntax_errors_have_a_line() {
    let errs = parse(&p(), "[Settings\nPort = 1\n").unwrap_err();
    assert_eq!(errs[0].place.line, Some(1));
    assert!(errs[0].message.contains("must end with ]"));
    let errs = parse(&p(), "[Settings]\n; ok\nPort 2055\n").unwrap_err();
    assert_eq!(
        errs[0].to_string(),
        format!(
            "{}, line 3: \"Port 2055\": expected Key = value, a [Section] or a ; comment",
            p().display()
        )
    );
}

#[test]
fn inline_comments_and_new_keys() {
    let text = "[Settings]\nPort = 2055, 4739 ; two sensors\nListen = 127.0.0.1\nAllowedExporters = 192.168.88.0/24\n[Summary]\nIntervals = 30s\n";
    let (s, _) = parse(&p(), text).unwrap();
    assert_eq!(s.receive.ports, vec![2055, 4739]);
    assert_eq!(
        s.receive.listen,
        vec!["127.0.0.1".parse::<IpAddr>().unwrap()]
    );
    assert!(s.receive.exporter_allowed("192.168.88.1".parse().unwrap()));
    assert!(!s.receive.exporter_allowed("192.168.1.1".parse().unwrap()));
    assert_eq!(s.summary.intervals, vec![Duration::from_secs(30)]);
}

#[test]
fn a_byte_order_mark_keeps_the_first_section() {
    // Notepad's UTF-8 with BOM: [Settings] used to become the unknown key "\u{feff}[Settings] Port"
    // and nf-svc listened on every address instead of the one configured.
    let text = "\u{feff}[Settings]\r\nPort = 4739\r\nListen = 127.0.0.1\r\n";
    let (s, w) = parse(&p(), text).unwrap();
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(s.receive.ports, vec![4739]);
    assert_eq!(
        s.receive.listen,
        vec!["127.0.0.1".parse::<IpAddr>().unwrap()]
    );
}

#[test]
fn a_windows_ansi_file_loads_with_a_note_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let ini = dir.path().join("nf-svc.ini");
    std::fs::write(&ini, b"[Settings]\r\n; K\xfcche\r\nPort = 4739\r\n").unwrap();
    let (s, w) = load(&ini).unwrap();
    assert_eq!(s.receive.ports, vec![4739]);
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].place.line, Some(2));
    assert!(w[0].message.contains("not UTF-8"), "{}", w[0].message);
}

#[test]
fn a_huge_value_is_not_echoed_whole() {
    let huge = "9".repeat(10 << 20);
    let errs = parse(&p(), &format!("[Settings]\nPort = {huge}\n")).unwrap_err();
    let msg = errs[0].to_string();
    assert!(msg.len() < 400, "{} bytes", msg.len());
    assert!(msg.contains("(10485760 characters)"), "{msg}");
    let errs = parse(&p(), &format!("[Settings]\n{huge}\n")).unwrap_err();
    assert!(errs[0].to_string().len() < 400);
}

#[test]
fn a_key_with_a_wide_character_where_host_would_end_is_only_unknown() {
    // Found by fuzzing: "Wi~dìow" has 'ì' across bytes 4 and 5, where `Host.` is compared.
    for key in ["Wi~dìow", "Hosì.x", "Host€"] {
        let (_, warnings) = parse(&p(), &format!("[Settings]\n{key} = 1\n")).unwrap();
        assert!(
            warnings.iter().any(|w| w.message.contains("unknown key")),
            "{key}: {warnings:?}"
        );
    }
}

#[test]
fn an_ini_notepad_saved_as_unicode_is_obeyed() {
    let text =
        "[Settings]\r\nPort = 4739\r\n[Alerts]\r\nHost.192.168.0.82 = 2 Mbit/s, Drucker Küche\r\n";
    let bytes: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let (s, warnings) = parse_bytes(&p(), &bytes).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(s.receive.ports, vec![4739]);
    assert_eq!(s.alerts.hosts[0].label.as_deref(), Some("Drucker Küche"));
}

#[test]
fn the_routers_password_is_never_shown() {
    let ini = "[Names]\nRouterOS = https://192.168.88.1/\nRouterOSUser = nf-svc\nRouterOSPassword = s3cret-Pa55\nRouterOSCertificate = ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89\nDNSServer = 127.0.0.1:5353\n";
    let (s, w) = parse(Path::new("/nf/nf-svc.ini"), ini).unwrap();
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(s.names.routeros.as_deref(), Some("https://192.168.88.1"));
    assert_eq!(s.names.routeros_password.reveal(), "s3cret-Pa55");
    assert_eq!(s.names.dns_server, Some("127.0.0.1:5353".parse().unwrap()));
    assert_eq!(s.names.routeros_certificate.map(|c| c[0]), Some(0xab));
    let shown = format!("{:?}\n{}", s, s.describe().join("\n"));
    assert!(!shown.contains("s3cret"), "{shown}");
    assert!(shown.contains("RouterOSPassword = (set)"), "{shown}");
    for (key, bad) in [
        ("RouterOS", "ftp://router"),
        ("RouterOS", "https://user:pw@router"),
        ("DNSServer", "dns.example"),
        ("RouterOSCertificate", "ab:cd"),
    ] {
        let ini = format!("[Names]\n{key} = {bad}\n");
        let e = parse(Path::new("/nf/nf-svc.ini"), &ini).unwrap_err();
        assert!(
            e[0].message.starts_with(&format!("[Names] {key} = ")),
            "{e:?}"
        );
    }
}
