//! Notifications to real servers on loopback: Debian's aiosmtpd as the mail server (plain and
//! with STARTTLS), a webhook receiver that is also a Telegram Bot API stand-in, and one that
//! accepts and never answers (tests/pylib). Incidents and sensor events become e-mails and
//! webhook posts; a mail server that is down gets them when it comes back; the digest comes at
//! its time; `nf-svc notify --test` says per channel what happened.
#![cfg(target_os = "linux")]

mod common;

use common::netflow::v5;
use common::{Collector, Server, cannot_run, now_secs, pylib};
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PASSWORD: &str = "smtp-Pa55-not-in-logs";

fn free_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Start `cmd`, wait for its "listening on PORT"; its later stdout lines land in the vector.
fn spawn(mut cmd: Command) -> (Server, u16, Arc<Mutex<Vec<String>>>) {
    let mut child = cmd.stdout(Stdio::piped()).spawn().expect("python3");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let port = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{line}"))
        .parse()
        .unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let l = lines.clone();
    std::thread::spawn(move || {
        for line in out.lines().map_while(Result::ok) {
            l.lock().unwrap().push(line);
        }
    });
    (Server(child), port, lines)
}

/// Debian's aiosmtpd keeping mails in `dir`, on `port`; `None` when it is not installed.
fn smtp(dir: &Path, port: u16, tls: Option<(&Path, &Path)>) -> Option<Server> {
    let ok = Command::new("/usr/bin/python3")
        .args(["-c", "import aiosmtpd"])
        .status();
    if !ok.is_ok_and(|s| s.success()) {
        cannot_run("aiosmtpd is not installed (apt install python3-aiosmtpd)");
        return None;
    }
    let mut cmd = Command::new("/usr/bin/python3");
    cmd.arg(pylib("smtp_sink.py"))
        .arg(dir)
        .arg(port.to_string());
    if let Some((c, k)) = tls {
        cmd.arg("--starttls").arg(c).arg(k);
    }
    Some(spawn(cmd).0)
}

fn hooks(stall: bool) -> (Server, u16, Arc<Mutex<Vec<String>>>) {
    let mut cmd = Command::new("python3");
    cmd.arg(pylib("hook_server.py"));
    if stall {
        cmd.arg("--stall");
    }
    spawn(cmd)
}

fn wait_for<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let end = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < end, "{what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The webhook posts received, as JSON bodies.
fn posts(lines: &Mutex<Vec<String>>) -> Vec<serde_json::Value> {
    lines
        .lock()
        .unwrap()
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|p| serde_json::from_str(p["body"].as_str()?).ok())
        .collect()
}

fn mails(dir: &Path) -> Vec<String> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    v.sort();
    v.iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

/// Printer's burst: 4,000,000 bytes at once, 16 Mbit/s over the 2-second window.
fn burst(c: &Collector) {
    let flow = (
        [10, 0, 0, 50],
        [10, 0, 0, 255],
        3702,
        3702,
        17,
        4_000_000,
        3000,
    );
    c.send(&[v5(0, now_secs(), 0, &[flow])]);
}

fn notify_ini(smtp_port: u16, hook_port: u16) -> String {
    format!(
        "[Summary]\nIntervals = 1h\n[Alerts]\nWindow = 2s\nCooldown = 1m\nHost.10.0.0.50 = 1 Mbit/s, Printer\n\
         [Notify]\nSMTPServer = 127.0.0.1:{smtp_port}\nSMTPSecurity = none\nSMTPPassword = {PASSWORD}\n\
         MailFrom = nf-svc@localhost\nMailTo = admin@localhost\nWebhook = http://127.0.0.1:{hook_port}/hook\n"
    )
}

#[test]
fn an_incident_reaches_mail_and_webhook_with_its_total() {
    let dir = tempfile::tempdir().unwrap();
    let smtp_port = free_tcp_port();
    let Some(_smtp) = smtp(dir.path(), smtp_port, None) else {
        return;
    };
    let (_hooks, hook_port, lines) = hooks(false);
    let mut c = Collector::start(&notify_ini(smtp_port, hook_port));
    burst(&c);
    let ended = wait_for("the webhook's incident_ended", 30, || {
        posts(&lines)
            .into_iter()
            .find(|p| p["event"] == "incident_ended")
    });
    let started = posts(&lines)
        .into_iter()
        .find(|p| p["event"] == "incident_started")
        .unwrap();
    assert_eq!(started["name"], "Printer", "{started}");
    assert_eq!(started["host"], "10.0.0.50");
    assert_eq!(started["rule"], "Host limit");
    assert_eq!(started["limit_bps"], 1_000_000.0);
    assert!(
        started["started"].as_str().unwrap().contains('T'),
        "RFC 3339: {started}"
    );
    assert_eq!(ended["total_bytes"], 4_000_000, "{ended}");
    assert!(ended["ended"].is_string() && ended["text"].as_str().unwrap().contains("Printer"));
    let mails = wait_for("two e-mails", 30, || {
        let m = mails(dir.path());
        (m.len() >= 2).then_some(m)
    });
    let subject = mails[0]
        .lines()
        .find(|l| l.starts_with("Subject:"))
        .unwrap();
    assert!(
        subject.contains("Printer") && subject.contains("over its limit"),
        "{subject}"
    );
    assert!(mails[0].contains("To: admin@localhost"), "{}", mails[0]);
    assert!(c.interrupt().success());
    let logs = format!("{}{}", c.log("nf-svc.log"), c.stderr());
    assert!(!logs.contains(PASSWORD), "the SMTP password is in no log");
    assert!(!logs.contains("notify: "), "nothing went wrong: {logs}");
}

#[test]
fn a_mail_server_that_was_down_gets_the_messages_when_it_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let smtp_port = free_tcp_port();
    let (_hooks, hook_port, _) = hooks(false);
    let c = Collector::start(&notify_ini(smtp_port, hook_port));
    burst(&c);
    assert!(
        c.wait_stderr(
            "notify: e-mail to admin@localhost failed: ",
            Duration::from_secs(20)
        ),
        "{}",
        c.stderr()
    );
    let Some(_smtp) = smtp(dir.path(), smtp_port, None) else {
        return;
    };
    let mails = wait_for("the e-mails once the server is back", 60, || {
        let m = mails(dir.path());
        (m.len() >= 2).then_some(m)
    });
    assert!(
        mails
            .iter()
            .any(|m| m.contains("Subject: nf-svc: 10.0.0.50 (Printer) over its limit"))
    );
    assert!(c.wait_stderr(
        "notify: e-mail to admin@localhost works again",
        Duration::from_secs(5)
    ));
    assert_eq!(
        c.stderr()
            .matches("notify: e-mail to admin@localhost failed")
            .count(),
        1,
        "said once"
    );
}

#[test]
fn the_digest_comes_at_its_time() {
    let (_hooks, hook_port, lines) = hooks(false);
    let at = chrono::Local::now() + chrono::Duration::seconds(4);
    let mut c = Collector::start(&format!(
        "[Notify]\nWebhook = http://127.0.0.1:{hook_port}/hook\nDigest = daily {}\n",
        at.format("%H:%M:%S")
    ));
    let digest = wait_for("the digest", 20, || {
        posts(&lines).into_iter().find(|p| p["event"] == "digest")
    });
    assert!(
        digest["text"].as_str().unwrap().contains("nf-svc's day"),
        "{digest}"
    );
    assert!(
        digest["report"].as_str().unwrap().ends_with("report.html"),
        "{digest}"
    );
    assert!(c.interrupt().success());
}

#[test]
fn notify_test_says_per_channel_what_happened() {
    let dir = tempfile::tempdir().unwrap();
    let Some((cert, key)) = common::self_signed(
        dir.path(),
        "127.0.0.1",
        &[
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
        ],
    ) else {
        cannot_run("openssl is not installed");
        return;
    };
    let smtp_port = free_tcp_port();
    let mail_dir = dir.path().join("mail");
    std::fs::create_dir_all(&mail_dir).unwrap();
    let Some(_smtp) = smtp(&mail_dir, smtp_port, Some((&cert, &key))) else {
        return;
    };
    let (_tg, tg_port, tg_lines) = hooks(false);
    let (_stall, stall_port, _) = hooks(true);
    let c = Collector::start(&format!(
        "[Notify]\nSMTPServer = 127.0.0.1:{smtp_port}\nSMTPSecurity = starttls\nSMTPCertificate = {}\n\
         MailFrom = nf-svc@localhost\nMailTo = admin@localhost\n\
         Webhook = http://127.0.0.1:{stall_port}/secret-path-123\n\
         TelegramToken = 123:secret-token\nTelegramChat = 42\nTelegramAPI = http://127.0.0.1:{tg_port}\n",
        cert.display()
    ));
    let started = Instant::now();
    let (code, out, err) = c.subcommand("notify", &["--test"]);
    assert_eq!(code, 1, "one channel was not sent: {out}{err}");
    assert!(
        out.contains("e-mail to admin@localhost: sent"),
        "STARTTLS, the certificate trusted: {out}"
    );
    assert!(out.contains("Telegram chat 42: sent"), "{out}");
    assert!(
        out.contains(&format!(
            "webhook http://127.0.0.1:{stall_port}: not sent: "
        )),
        "{out}"
    );
    assert!(started.elapsed() < Duration::from_secs(40), "bounded time");
    assert!(
        !out.contains("secret-path-123") && !out.contains("secret-token"),
        "{out}"
    );
    let sent = tg_lines.lock().unwrap().clone();
    let post: serde_json::Value = serde_json::from_str(&sent[0]).unwrap();
    assert_eq!(post["path"], "/bot123:secret-token/sendMessage");
    let body: serde_json::Value = serde_json::from_str(post["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["chat_id"], "42");
    assert_eq!(mails(&mail_dir).len(), 1);

    // Telegram's own refusal, in its words.
    let mut s = c.dir.path().join("nf-svc.ini");
    let ini = std::fs::read_to_string(&s)
        .unwrap()
        .replace("123:secret-token", "bad");
    s.set_file_name("bad.ini");
    std::fs::write(&s, ini).unwrap();
    let out = Command::new(common::exe())
        .args(["notify", "--test", "--config"])
        .arg(&s)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.contains("Telegram chat 42: not sent: HTTP 401: Unauthorized"),
        "{out}"
    );
}

#[test]
fn a_silent_sensor_and_its_return_are_posted() {
    let (_hooks, hook_port, lines) = hooks(false);
    let c = Collector::start(&format!(
        "[Alerts]\nSilentAfter = 2s\n[Notify]\nWebhook = http://127.0.0.1:{hook_port}/hook\n"
    ));
    let flow = ([10, 0, 0, 1], [10, 0, 0, 2], 1000, 53, 17, 60, 1);
    c.send(&[v5(0, now_secs(), 0, &[flow])]);
    let silent = wait_for("sensor_silent", 20, || {
        posts(&lines)
            .into_iter()
            .find(|p| p["event"] == "sensor_silent")
    });
    assert_eq!(silent["sensor"], "127.0.0.1", "{silent}");
    c.send(&[v5(1, now_secs(), 0, &[flow])]);
    let back = wait_for("sensor_back", 20, || {
        posts(&lines)
            .into_iter()
            .find(|p| p["event"] == "sensor_back")
    });
    assert!(
        back["text"].as_str().unwrap().contains("127.0.0.1"),
        "{back}"
    );
}

/// `nf-svc protect` away from Windows: a plain password stays as it is, and the message says
/// how to protect the file instead (DPAPI exists only on Windows; the Windows side is a unit
/// test run under Wine: `settings::protect`).
#[test]
fn protect_elsewhere_leaves_the_file_and_says_what_to_do() {
    let c = Collector::start(&format!(
        "[Notify]\nSMTPServer = 127.0.0.1:{}\nMailFrom = a@localhost\nMailTo = b@localhost\n\
         SMTPPassword = {PASSWORD}\n",
        free_tcp_port()
    ));
    let ini = c.dir.path().join("nf-svc.ini");
    let before = std::fs::read_to_string(&ini).unwrap();
    let (code, out, err) = c.subcommand("protect", &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("[Notify] SMTPPassword: passwords are encrypted only on Windows")
            && err.contains("chmod 600"),
        "{err}"
    );
    assert!(!err.contains(PASSWORD) && !out.contains(PASSWORD));
    assert_eq!(std::fs::read_to_string(&ini).unwrap(), before);
    // An encrypted value from a Windows PC: a settings error naming the key, value hidden.
    std::fs::write(&ini, before.replace(PASSWORD, "dpapi:AQIDBA==")).unwrap();
    let (code, _, err) = c.subcommand("notify", &["--test"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("[Notify] SMTPPassword = \"(hidden)\" is not valid: expected a password this PC can read"),
        "{err}"
    );
}
