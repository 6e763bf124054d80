//! Helpers shared by the integration tests: captures, datagram builders, and a headless
//! nf-svc process on a free port with its logs in a temporary folder.
#![allow(dead_code)]

pub mod netflow;
pub mod pcap;
pub mod rng;

use std::io::Read;
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Unix seconds now, as NetFlow headers carry them.
pub fn now_secs() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as u32
}

/// Wait until a server started on UDP `port` of 127.0.0.1 holds it (servers bind after
/// reading their arguments: until then the port is free).
pub fn wait_until_bound(port: u16, what: &str) {
    let end = Instant::now() + Duration::from_secs(10);
    while UdpSocket::bind(("127.0.0.1", port)).is_ok() {
        assert!(Instant::now() < end, "{what} did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A server a test started (dnsmasq, a Python stand-in), ended when the test ends.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A self-signed certificate and its key (`cert.pem`, `key.pem` in `dir`) for `cn`, made by
/// openssl with `extra` arguments; `None` when openssl cannot make one.
pub fn self_signed(dir: &Path, cn: &str, extra: &[&str]) -> Option<(PathBuf, PathBuf)> {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .arg("-subj")
        .arg(format!("/CN={cn}"))
        .args(extra)
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output();
    made.is_ok_and(|o| o.status.success())
        .then_some((cert, key))
}

/// A script of tests/pylib.
pub fn pylib(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/pylib")
        .join(name)
}

/// sFlow's default port is one for the whole machine: off unless a test sets it.
fn sflow_off(extra: &str) -> &'static str {
    if extra.contains("SFlowPort") {
        ""
    } else {
        "SFlowPort = 0\n"
    }
}

/// Reverse DNS asks the machine's resolver by default: off unless a test sets it (a test
/// names devices through its own DNS server on loopback).
fn dns_off(extra: &str) -> &'static str {
    if extra.contains("ReverseDNS") {
        ""
    } else {
        "[Names]\nReverseDNS = 0\n"
    }
}

/// Settings from an ini in `dir`: a free port on 127.0.0.1, sFlow and reverse DNS off unless
/// `extra` sets them, then `extra` (logs in `dir/logs`).
pub fn settings_in(dir: &Path, extra: &str) -> nf_svc::settings::Settings {
    let port = free_udp_port();
    let text = format!(
        "[Settings]\nPort = {port}\nListen = 127.0.0.1\n{}{extra}\n{}",
        sflow_off(extra),
        dns_off(extra)
    );
    let ini = dir.join("nf-svc.ini");
    std::fs::write(&ini, &text).unwrap();
    nf_svc::settings::load(&ini).unwrap().0
}

/// A test that cannot run here (no root, no browser): under CI (`CI` set) that is a failure,
/// since CI installs and runs everything; elsewhere the test says why it skipped. The caller
/// returns after this.
pub fn cannot_run(reason: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must run this test: {reason}"
    );
    eprintln!("skipped: {reason}");
}

/// Run `cmd` (a start that must fail at once) for at most `timeout`: its exit code (`None`
/// when it had to be stopped) and what it printed on stderr.
pub fn run_briefly(cmd: &mut Command, timeout: Duration) -> (Option<i32>, String) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let end = Instant::now() + timeout;
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if Instant::now() > end {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (code, err)
}

/// A UDP port that was free a moment ago (bound to port 0, then released).
pub fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_nf-svc")
}

/// A headless nf-svc child process.
pub struct Collector {
    child: Option<Child>,
    pub dir: tempfile::TempDir,
    pub port: u16,
    stderr: Arc<Mutex<String>>,
}

impl Collector {
    /// Start with `Port` = a free port on 127.0.0.1, sFlow and reverse DNS off, and `extra`
    /// appended to the ini (in `[Settings]` until it names a section). Waits until it listens.
    pub fn start(extra: &str) -> Collector {
        Collector::start_in(tempfile::tempdir().unwrap(), extra, &[])
    }

    /// [`Collector::start`] with the ini in `dir`, run by `command` (the program and the
    /// arguments before nf-svc's own, e.g. `setpriv … /path/nf-svc` to run it as another
    /// user); empty for the built nf-svc.
    pub fn start_in(mut dir: tempfile::TempDir, extra: &str, command: &[&str]) -> Collector {
        for _ in 0..5 {
            let port = free_udp_port();
            let ini = format!(
                "[Settings]\nPort = {port}\nListen = 127.0.0.1\n{}{extra}\n{}",
                sflow_off(extra),
                dns_off(extra)
            );
            std::fs::write(dir.path().join("nf-svc.ini"), ini).unwrap();
            let c = Collector::spawn_with(dir, port, command);
            if c.wait_stderr("listening on UDP", Duration::from_secs(20)) {
                return c;
            }
            // The port was taken in between: try another.
            let mut c = c;
            let out = c.stop_now();
            dir = std::mem::replace(&mut c.dir, tempfile::tempdir().unwrap());
            assert!(
                out.contains("already in use"),
                "nf-svc did not start:\n{out}"
            );
        }
        panic!("no free UDP port");
    }

    /// Start with this exact ini text; does not wait.
    pub fn spawn(ini: &str, port: u16) -> Collector {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("nf-svc.ini"), ini).unwrap();
        Collector::spawn_in(dir, port)
    }

    /// Kill it hard (SIGKILL: no partial summaries, nothing flushed), then start it again on
    /// the same settings and folder; waits until it listens.
    pub fn kill_and_restart(mut self) -> Collector {
        let _ = self.stop_now();
        self.restart()
    }

    /// Stop it as a user would (SIGINT: everything written), then start it again on the
    /// same settings and folder; waits until it listens.
    #[cfg(unix)]
    pub fn interrupt_and_restart(mut self) -> Collector {
        assert!(self.interrupt().success(), "{}", self.stderr());
        self.restart()
    }

    /// Start it again (it has stopped) on the same settings and folder.
    fn restart(mut self) -> Collector {
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap());
        let c = Collector::spawn_in(dir, self.port);
        assert!(
            c.wait_stderr("listening on UDP", Duration::from_secs(20)),
            "{}",
            c.stderr()
        );
        c
    }

    /// Start nf-svc on the ini already in `dir`.
    fn spawn_in(dir: tempfile::TempDir, port: u16) -> Collector {
        Collector::spawn_with(dir, port, &[])
    }

    fn spawn_with(dir: tempfile::TempDir, port: u16, command: &[&str]) -> Collector {
        let mut cmd = match command.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest);
                c
            }
            None => Command::new(exe()),
        };
        // Its status endpoint in its own folder: test collectors never meet each other's.
        let mut child = cmd
            .env("XDG_RUNTIME_DIR", dir.path())
            .env_remove("RUNTIME_DIRECTORY")
            .arg("--headless")
            .arg("--config")
            .arg(dir.path().join("nf-svc.ini"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Collector {
            child: Some(child),
            dir,
            port,
            stderr,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Wait until stderr contains `needle`.
    pub fn wait_stderr(&self, needle: &str, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            if self.stderr().contains(needle) {
                return true;
            }
            if let Some(c) = self.child.as_ref() {
                let _ = c;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// Wait until the process exits by itself.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            if let Some(s) = self.child.as_mut().unwrap().try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(50)); // let stderr drain
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Ctrl-C it (SIGINT), wait for a clean exit, return the status.
    #[cfg(unix)]
    pub fn interrupt(&mut self) -> ExitStatus {
        let pid = self.child.as_ref().unwrap().id() as libc::pid_t;
        assert!(pid > 1);
        // SAFETY: plain syscall on our own, not yet reaped, child.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
        self.wait_exit(Duration::from_secs(30))
            .expect("nf-svc did not stop after Ctrl-C")
    }

    fn stop_now(&mut self) -> String {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        std::thread::sleep(Duration::from_millis(50));
        self.stderr()
    }

    pub fn log_dir(&self) -> PathBuf {
        self.dir.path().join("logs")
    }

    /// One of the log files (`nf-svc.log`, `nf-svc-netflow.log`, `nf-svc-summary.log`, …).
    pub fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.log_dir().join(name)).unwrap_or_default()
    }

    /// `nf-svc <command> ARGS --config <this collector's ini>`: (status, stdout, stderr).
    pub fn subcommand(&self, command: &str, args: &[&str]) -> (i32, String, String) {
        let out = Command::new(exe())
            .arg(command)
            .args(args)
            .arg("--config")
            .arg(self.dir.path().join("nf-svc.ini"))
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Send datagrams from `from` (e.g. 127.0.0.2:0 for a second exporter).
    pub fn send_from(&self, from: &str, datagrams: &[Vec<u8>]) -> SocketAddr {
        let s = UdpSocket::bind(from).unwrap();
        for d in datagrams {
            s.send_to(d, self.addr()).unwrap();
        }
        s.local_addr().unwrap()
    }

    pub fn send(&self, datagrams: &[Vec<u8>]) -> SocketAddr {
        self.send_from("127.0.0.1:0", datagrams)
    }

    /// Wait until the service log records `n` datagrams' worth of activity: polls the flow
    /// dump until it has at least `lines` lines.
    pub fn wait_dump_lines(&self, lines: usize, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            if self.log("nf-svc-netflow.log").lines().count() >= lines {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        self.stop_now();
    }
}

/// The summary log's entries: (header line, rows grouped by exporter header).
#[derive(Debug, Clone)]
pub struct SummaryEntry {
    pub header: String,
    pub blocks: Vec<(String, Vec<String>)>,
}

pub fn parse_summaries(text: &str) -> Vec<SummaryEntry> {
    let mut out: Vec<SummaryEntry> = Vec::new();
    for line in text.lines() {
        if line.contains("*** Summary for every") {
            out.push(SummaryEntry {
                header: line.to_string(),
                blocks: Vec::new(),
            });
        } else if let Some(rest) = line.strip_prefix("  ") {
            if let Some(e) = out.last_mut()
                && let Some(b) = e.blocks.last_mut()
            {
                b.1.push(rest.to_string());
            }
        } else if !line.is_empty()
            && let Some(e) = out.last_mut()
        {
            e.blocks.push((line.to_string(), Vec::new()));
        }
    }
    out
}

/// A summary row as numbers: `L3=IPv4, L4=UDP, Src=a, Dst=b, DstPort=p, {Bytes:x Packets:y}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ParsedRow {
    pub l4: String,
    pub src: String,
    pub dst: String,
    pub port_kind: String,
    pub port: u16,
    pub bytes: u64,
    pub packets: u64,
}

pub fn parse_row(row: &str) -> ParsedRow {
    let (head, counters) = row.split_once(", {").unwrap();
    let mut kv = head.split(", ").map(|p| p.split_once('=').unwrap());
    let _l3 = kv.next().unwrap();
    let l4 = kv.next().unwrap().1.to_string();
    let src = kv.next().unwrap().1.to_string();
    let dst = kv.next().unwrap().1.to_string();
    let (port_kind, port) = kv.next().unwrap();
    let counters = counters.trim_end_matches('}');
    let (b, p) = counters.split_once(' ').unwrap();
    ParsedRow {
        l4,
        src,
        dst,
        port_kind: port_kind.to_string(),
        port: port.parse().unwrap(),
        bytes: b.trim_start_matches("Bytes:").parse().unwrap(),
        packets: p.trim_start_matches("Packets:").parse().unwrap(),
    }
}

pub fn path_str(p: &Path) -> String {
    p.display().to_string()
}
