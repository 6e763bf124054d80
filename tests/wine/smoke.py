#!/usr/bin/python3
"""The Windows downloads under Wine, as a user would meet them.

Run by tests/wine/run inside a throwaway Wine prefix (WINEPREFIX set, ProcessPrng shim in
place). Starts Xvfb, then: silent install; the installed exe headless receives a NetFlow datagram
sent from Linux and writes all three logs with CRLF line ends; tray mode starts, its icon is
registered (Wine's systray window appears), a second launch exits 0 and the first shrugs off
the toast failure Wine returns (0x80040154); a silent upgrade asks the running nf-svc to quit
(partial summaries written) and starts it again; a silent uninstall stops it, removes program,
shortcut and registry entries and keeps the user's settings and logs; the portable zip runs; an
setup /S /SERVICE installs the Windows service, which collects with the user's settings copied
to %ProgramData%, writes partial summaries on `sc stop`, and is removed by the uninstaller; the
console twin nf-svc.com answers in cmd with nf-svc's exit status; an interactive uninstall
answered Yes (xdotool) deletes settings and logs.
Prints one line per check; exits 1 on the first failure.
Usage: smoke.py SETUP_EXE PORTABLE_ZIP
"""

import atexit
import os
import pwd
import subprocess
import sys
import tempfile
import time
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from netflow_send import free_port, send, v5  # noqa: E402

WINE = "/usr/lib/wine/wine64"
SETUP, PORTABLE = sys.argv[1], sys.argv[2]
PREFIX = os.environ["WINEPREFIX"]
# Temporary folders beside the prefix: tests/wine/run removes both.
tempfile.tempdir = os.path.join(os.path.dirname(PREFIX), "tmp")
os.makedirs(tempfile.tempdir, exist_ok=True)
C = os.path.join(PREFIX, "drive_c")
PROGRAM = os.path.join(C, "Program Files", "nf-svc")
USER = pwd.getpwuid(os.getuid()).pw_name  # Wine names the profile after the Unix user
APPDATA = os.path.join(C, "users", USER, "AppData", "Roaming", "nf-svc")
SHORTCUT = os.path.join(C, "ProgramData", "Microsoft", "Windows", "Start Menu", "Programs", "nf-svc.lnk")
UNINST_KEY = r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\nf-svc"
RUN_KEY = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run"
procs = []
atexit.register(lambda: cleanup())


def cleanup():
    for p in reversed(procs):
        if p.poll() is None:
            p.kill()
            p.wait()


def fail(msg):
    print("FAIL:", msg, flush=True)
    for name in ("nf-svc.log", "nf-svc-summary.log"):
        print("----", name, "----")
        print(read(os.path.join(APPDATA, "logs", name))[-3000:])
    service_log = read(os.path.join(C, "ProgramData", "nf-svc", "logs", "nf-svc.log"))
    if service_log:
        print("---- the Windows service's nf-svc.log ----")
        print(service_log[-3000:])
    cleanup()
    sys.exit(1)


def ok(msg):
    print("ok:", msg, flush=True)


def read(path, mode="r"):
    try:
        with open(path, mode) as f:
            return f.read()
    except OSError:
        return b"" if "b" in mode else ""


def wait(pred, what, timeout=30.0):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.2)
    fail("timed out waiting for " + what)


def wine(*args, timeout=120, trace=None):
    """Run a Windows program to its end. Its output is not captured: setup may start nf-svc,
    which would hold a captured pipe open. With trace, Wine's process trace (every command line
    started) goes to that file."""
    env = dict(os.environ, WINEDEBUG="+process") if trace else None
    with open(trace or os.devnull, "w") as err:
        return subprocess.run([WINE, *args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=err, timeout=timeout, env=env)


def started_commands(trace):
    """The command lines a traced run started (Wine escapes quotes and backslashes)."""
    out = []
    for line in read(trace).splitlines():
        if "CreateProcessInternalW" in line and 'cmdline L"' in line:
            out.append(line.split('cmdline L"', 1)[1].rsplit('"', 1)[0].replace('\\"', '"').replace("\\\\", "\\"))
    return out


def reg_query(key):
    r = subprocess.run([WINE, "reg", "query", key], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=60)
    return r.stdout if r.returncode == 0 else ""


def crlf_only(data):
    return data.count(b"\r\n") > 0 and data.count(b"\n") == data.count(b"\r\n")


def summary_log():
    return read(os.path.join(APPDATA, "logs", "nf-svc-summary.log"))


def partial_hours():
    """The partial 60-minute summaries: written only when nf-svc stops."""
    blocks = summary_log().replace("\r\n", "\n").split("\n\n")
    return [b for b in blocks if "*** Summary for every 60 minutes ***" in b and "partial)" in b]


def partial_then_started(row, starts, when):
    """nf-svc stopped with row in a partial 60-minute summary, then started again (the
    starts-th tray start in the log) and listens."""
    if not any(row in b for b in partial_hours()):
        fail("a partial 60-minute summary with %s:\n%s" % (row, summary_log()[-1500:]))
    wait(lambda: read(logf).count("starting (tray)") == starts, "nf-svc started again " + when)
    wait(lambda: "listening on UDP 127.0.0.1:%d" % port in read(logf).rsplit("starting (tray)", 1)[1],
         "it to listen " + when)


def win_path(linux_path):
    return "Z:" + linux_path.replace("/", "\\")


def system_tray_window():
    r = subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True, text=True)
    return '"Wine System Tray"' in r.stdout


def running():
    r = subprocess.run(["pgrep", "-f", r"nf-svc\.exe"], capture_output=True, text=True)
    return r.stdout.split()


def exe_process(*args):
    p = subprocess.Popen([WINE, os.path.join(PROGRAM, "nf-svc.exe"), *args], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(p)
    return p


# --- a desktop for the tray ---
r, w = os.pipe()
xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", "800x600x24", "-nolisten", "tcp"],
                        pass_fds=[w], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
procs.append(xvfb)
os.close(w)
os.environ["DISPLAY"] = ":" + os.read(r, 16).decode().strip()
ok("Xvfb on " + os.environ["DISPLAY"])

# The user's settings exist before setup (an upgrade from the portable copy, say): a free port,
# loopback only, 2-second summaries. Setup reads the port for its firewall rule.
port, port2 = free_port(), free_port()
# Typed plainly; the tray stores it encrypted for this PC (DPAPI), and the service reads it.
TYPED_PASSWORD = "typed-Pa55word"
os.makedirs(APPDATA)
with open(os.path.join(APPDATA, "nf-svc.ini"), "w", newline="\r\n") as f:
    f.write("[Settings]\nPort = %d, %d ; NetFlow from the sensor\nListen = 127.0.0.1\n[Summary]\n"
            "Intervals = 2s, 1h\n[Names]\nRouterOSPassword = %s\n" % (port, port2, TYPED_PASSWORD))
work = tempfile.mkdtemp(prefix="nf-svc-smoke-")

# --- silent install ---
trace = os.path.join(work, "setup.trace")
r = wine(SETUP, "/S", trace=trace)
if r.returncode != 0:
    fail("setup /S exit status %d" % r.returncode)
for name in ("nf-svc.exe", "uninstall.exe", "nf-svc.png", "README.md", "nf-svc.ini.example", "LICENSE.txt",
             os.path.join("docs", "guide.md")):
    if not os.path.isfile(os.path.join(PROGRAM, name)):
        fail("installed " + name)
if not os.path.isfile(SHORTCUT):
    fail("Start Menu shortcut " + SHORTCUT)
entry = reg_query(UNINST_KEY)
for want in ("DisplayName", "DisplayVersion", "Publisher", "DisplayIcon", "EstimatedSize",
             r'"C:\Program Files\nf-svc\uninstall.exe" /S'):
    if want not in entry:
        fail("Add/Remove Programs entry has %s:\n%s" % (want, entry))
if r'"C:\Program Files\nf-svc\nf-svc.exe"' not in reg_query(RUN_KEY):
    fail("start at login is on after a silent install")
ok("silent install: program files, Start Menu shortcut, Add/Remove Programs entry, start at login")
# A signed setup installs signed programs, and the uninstaller NSIS wrote is signed too.
if os.environ.get("NFSVC_SIGN_CA"):
    for name in ("nf-svc.exe", "nf-svc.com", "uninstall.exe"):
        v = subprocess.run(["osslsigncode", "verify", "-CAfile", os.environ["NFSVC_SIGN_CA"],
                            "-in", os.path.join(PROGRAM, name)], capture_output=True, text=True)
        if v.returncode != 0:
            fail("installed %s carries no valid signature:\n%s" % (name, v.stdout + v.stderr))
    ok("signed setup: the installed nf-svc.exe, nf-svc.com and uninstall.exe verify")
# Wine's netsh accepts and ignores firewall rules: check the command setup ran instead.
rule = ('netsh advfirewall firewall add rule name="nf-svc NetFlow/IPFIX (UDP in)" dir=in action=allow protocol=UDP '
        'localport=%d,%d program="C:\\Program Files\\nf-svc\\nf-svc.exe" enable=yes profile=any' % (port, port2))
if rule not in started_commands(trace):
    fail("setup adds the firewall rule for the ports in the settings: want\n%s\nran\n%s"
         % (rule, "\n".join(c for c in started_commands(trace) if "netsh" in c)))
ok("firewall rule for the settings' ports: " + rule.split(" dir=")[0] + " … localport=%d,%d" % (port, port2))

# --- headless: a datagram from Linux, three logs with CRLF ---
hdir = tempfile.mkdtemp(prefix="nf-svc-headless-")
hport = free_port()
with open(os.path.join(hdir, "nf-svc.ini"), "w") as f:
    f.write("[Settings]\nPort = %d\nListen = 127.0.0.1\n[Summary]\nIntervals = 2s\n" % hport)
headless = exe_process("--headless", "--config", win_path(os.path.join(hdir, "nf-svc.ini")))
hlog = os.path.join(hdir, "logs")
wait(lambda: "listening on UDP 127.0.0.1:%d" % hport in read(os.path.join(hlog, "nf-svc.log")), "headless to listen")
send(hport, v5(0, [("192.168.0.82", "224.0.0.251", 5353, 5353, 17, 1000, 10)]))
wait(lambda: "SrcAddr:192.168.0.82" in read(os.path.join(hlog, "nf-svc-netflow.log")), "the flow in the dump log")
wait(lambda: "Src=192.168.0.82, Dst=224.0.0.251, DstPort=5353, {Bytes:1000 Packets:10}"
     in read(os.path.join(hlog, "nf-svc-summary.log")), "the flow in a summary")
for name in ("nf-svc.log", "nf-svc-netflow.log", "nf-svc-summary.log"):
    if not crlf_only(read(os.path.join(hlog, name), "rb")):
        fail(name + " has CRLF line ends only")
headless.kill()
headless.wait()
ok("headless: datagram received; service, dump and summary logs written with CRLF")

# --- tray mode ---
tray = exe_process()
logf = os.path.join(APPDATA, "logs", "nf-svc.log")
wait(lambda: "listening on UDP 127.0.0.1:%d" % port in read(logf), "the tray instance to listen")
wait(system_tray_window, "Wine's system tray window (the icon registered)")
send(port, v5(0, [("192.168.0.50", "192.168.0.255", 137, 137, 17, 4242, 3)]))
wait(lambda: "SrcAddr:192.168.0.50" in read(os.path.join(APPDATA, "logs", "nf-svc-netflow.log")), "a flow in tray mode")
ok("tray mode: listening, icon in Wine's system tray, counting")
user_ini = os.path.join(APPDATA, "nf-svc.ini")
wait(lambda: "RouterOSPassword = dpapi:" in read(user_ini), "the typed password stored encrypted")
if TYPED_PASSWORD in read(user_ini) or "\r\n" not in read(user_ini, "rb").decode():
    fail("the password is replaced in place, CRLF kept:\n" + read(user_ini))
if "[Names] RouterOSPassword now stored encrypted for this PC (DPAPI)" not in read(logf) \
        or TYPED_PASSWORD in read(logf):
    fail("the service log says so, without the password:\n" + read(logf)[-2000:])
ok("tray mode: the typed password is stored encrypted for this PC (dpapi:…), said in the log")
second = subprocess.run([WINE, os.path.join(PROGRAM, "nf-svc.exe")], stdin=subprocess.DEVNULL,
                        capture_output=True, timeout=60)
if second.returncode != 0:
    fail("a second launch exits 0, not %d" % second.returncode)
wait(lambda: "a second launch was refused" in read(logf), "the running instance to hear of the second launch")
wait(lambda: "0x80040154" in read(logf), "the toast failure in the log")
time.sleep(1)
if tray.poll() is not None:
    fail("nf-svc survives Wine's toast failure")
ok("second launch exits 0; Wine's toast failure 0x80040154 is logged and shrugged off")

# --- log off and on again: `wineboot --end-session` sends WM_QUERYENDSESSION/WM_ENDSESSION to
# every window, then runs the HKCU Run key as a new login would ---
send(port, v5(1, [("192.168.0.51", "192.168.0.255", 138, 138, 17, 777, 1)]))
wait(lambda: "SrcAddr:192.168.0.51" in read(os.path.join(APPDATA, "logs", "nf-svc-netflow.log")), "the flow")
wine("wineboot", "--end-session")
wait(lambda: tray.poll() is not None, "nf-svc to end with the session")
wait(lambda: "session ending: writing partial summaries" in read(logf), "the session end in the log")
partial_then_started("Src=192.168.0.51, Dst=192.168.0.255, DstPort=138, {Bytes:777", 2, "at login (HKCU Run key)")
ok("log off: partial summaries written; log on: started from the Run key setup wrote")

# --- silent upgrade while running ---
send(port, v5(2, [("192.168.0.52", "192.168.0.255", 137, 137, 17, 4343, 3)]))
wait(lambda: "SrcAddr:192.168.0.52" in read(os.path.join(APPDATA, "logs", "nf-svc-netflow.log")), "the flow")
r = wine(SETUP, "/S")
if r.returncode != 0:
    fail("upgrade setup /S exit status %d" % r.returncode)
wait(lambda: "asked to quit (by setup)" in read(logf), "the running nf-svc to be asked to quit")
partial_then_started("Src=192.168.0.52, Dst=192.168.0.255, DstPort=137, {Bytes:4343", 3, "after the upgrade")
ok("silent upgrade: the running nf-svc quit with its partial summaries, and was started again")

# --- silent uninstall ---
trace = os.path.join(work, "uninstall.trace")
r = wine(os.path.join(PROGRAM, "uninstall.exe"), "/S", trace=trace)
if r.returncode != 0:
    fail("uninstall /S exit status %d" % r.returncode)
# The uninstaller runs on from a copy in %TEMP%: wait for its work.
wait(lambda: not os.path.exists(PROGRAM), "the program folder to be removed", 60)
wait(lambda: 'netsh advfirewall firewall delete rule name="nf-svc NetFlow/IPFIX (UDP in)"'
     in started_commands(trace), "the uninstaller to remove the firewall rule")
wait(lambda: read(logf).count("asked to quit (by setup)") == 2, "the uninstaller to stop nf-svc")
wait(lambda: not running(), "nf-svc to exit")
# The uninstaller goes on after netsh: shortcut and registry entries a moment later.
wait(lambda: not os.path.exists(SHORTCUT), "the shortcut to be removed")
wait(lambda: not reg_query(UNINST_KEY), "the Add/Remove Programs entry to be removed")
wait(lambda: "nf-svc" not in reg_query(RUN_KEY), "start at login to be removed")
if not os.path.isfile(os.path.join(APPDATA, "nf-svc.ini")) or not os.path.isfile(logf):
    fail("a silent uninstall keeps settings and logs")
ok("silent uninstall: nf-svc stopped; program, shortcut, firewall rule, registry entries gone; settings and logs kept")

# --- the portable zip: nf-svc.ini beside the exe keeps everything in that folder ---
pdir = tempfile.mkdtemp(prefix="nf-svc-portable-")
with zipfile.ZipFile(PORTABLE) as z:
    names = z.namelist()
    z.extractall(pdir)
top = os.path.join(pdir, names[0].split("/")[0])
for name in ("nf-svc.exe", "nf-svc.ini.example", "README.md", os.path.join("docs", "guide.md")):
    if not os.path.isfile(os.path.join(top, name)):
        fail("portable zip has " + name)
pport = free_port()
with open(os.path.join(top, "nf-svc.ini"), "w") as f:
    f.write("[Settings]\nPort = %d\nListen = 127.0.0.1\n" % pport)
portable = subprocess.Popen([WINE, os.path.join(top, "nf-svc.exe"), "--headless"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
procs.append(portable)
wait(lambda: "listening on UDP 127.0.0.1:%d" % pport in read(os.path.join(top, "logs", "nf-svc.log")),
     "the portable copy to use the ini beside it")
portable.kill()
portable.wait()
ok("portable zip: exe, settings example and README; nf-svc.ini beside the exe is used")

# --- the Windows service: setup /S /SERVICE runs `nf-svc /i`; the service collects with the
# user's settings, copied to %ProgramData%\nf-svc; a stop writes its partial summaries; the
# console twin nf-svc.com answers in cmd with nf-svc's exit status; uninstall removes it ---
SVC = os.path.join(C, "ProgramData", "nf-svc")


def sc_query():
    r = subprocess.run([WINE, "sc", "query", "nf-svc"], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=60)
    return r.stdout if r.returncode == 0 else ""


def cmd(line):
    """A line run by cmd /c through a batch file, as typed: its output and %ERRORLEVEL%."""
    bat = os.path.join(work, "t.bat")
    with open(bat, "w", newline="\r\n") as f:
        f.write("@echo off\n%s\necho ERRORLEVEL=%%ERRORLEVEL%%\n" % line)
    r = subprocess.run([WINE, "cmd", "/c", win_path(bat)], stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=120)
    return r.stdout + r.stderr


# Wine ends its services a few seconds after the last program exits, as Windows would at
# shutdown: a cmd waiting on its input keeps them running between the commands below.
keeper = subprocess.Popen([WINE, "cmd"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
procs.append(keeper)
if wine(SETUP, "/S", "/SERVICE", "/NOAUTOSTART").returncode != 0:
    fail("setup /S /SERVICE /NOAUTOSTART")
if not os.path.isfile(os.path.join(PROGRAM, "nf-svc.com")):
    fail("setup installs the console twin nf-svc.com")
end = time.time() + 30
while "RUNNING" not in sc_query():
    if time.time() > end:
        fail("the service to run after setup /SERVICE; sc query: %r; nf-svc /i now says:\n%s"
             % (sc_query(), cmd(r'"C:\Program Files\nf-svc\nf-svc.com" /i')))
    time.sleep(0.5)
if "Port = %d, %d" % (port, port2) not in read(os.path.join(SVC, "nf-svc.ini")):
    fail("the user's settings are copied for the service:\n" + read(os.path.join(SVC, "nf-svc.ini")))
svclog = os.path.join(SVC, "logs", "nf-svc.log")
wait(lambda: "starting (Windows service)" in read(svclog), "the service's log in %ProgramData%\\nf-svc\\logs")
wait(lambda: "listening on UDP 127.0.0.1:%d" % port in read(svclog), "the service to listen")
send(port, v5(3, [("192.168.0.60", "192.168.0.255", 137, 137, 17, 5151, 5)]))
wait(lambda: "SrcAddr:192.168.0.60" in read(os.path.join(SVC, "logs", "nf-svc-netflow.log")),
     "the flow in the service's dump log")
if "RouterOSPassword = dpapi:" not in read(os.path.join(SVC, "nf-svc.ini")):
    fail("the service's copy has the encrypted password:\n" + read(os.path.join(SVC, "nf-svc.ini")))
ok("setup /S /SERVICE: the service nf-svc runs with the user's settings copied to ProgramData "
   "(the tray's encrypted password read by the service); a datagram in its dump log")
# The service's status pipe, answered to a second process (the console twin, as a user types it).
out = cmd(r'"C:\Program Files\nf-svc\nf-svc.com" status')
if "running as Windows service" not in out or "sensor: 127.0.0.1" not in out or "ERRORLEVEL=0" not in out:
    fail("nf-svc.com status: the service answers on its pipe:\n" + out)
# A tray started now is the service's companion: it does not bind the service's port again.
logf = os.path.join(APPDATA, "logs", "nf-svc.log")
before = len(read(logf))
companion = exe_process()
wait(lambda: "this tray is its companion" in read(logf)[before:], "the tray to attach to the service")
time.sleep(2)
if "already in use" in read(logf)[before:] or "listening on UDP 127.0.0.1:" in read(logf)[before:]:
    fail("the companion tray binds the port itself:\n" + read(logf)[before:])
if "Windows service" not in read(logf)[before:]:
    fail("the companion names the service it shows:\n" + read(logf)[before:])
# The service applies its saved ini, as the tray does (Edit settings in the companion opens it).
with open(os.path.join(SVC, "nf-svc.ini"), "a", newline="\r\n") as f:
    f.write("\n[Summary]\nTopCount = 7\n")
wait(lambda: "TopCount = 7;" in read(svclog), "the service to apply its saved ini")
ok("nf-svc.com status: the service's pipe answers; a tray started meanwhile attaches as its companion; "
   "the service applies its saved ini")
out = cmd(r'"C:\Program Files\nf-svc\nf-svc.com" /i')
if "already installed" not in out or "ERRORLEVEL=0" not in out:
    fail("nf-svc /i again: already installed, exit 0:\n" + out)
out = cmd(r'"C:\Program Files\nf-svc\nf-svc.com" --version')
if "nf-svc " not in out or "ERRORLEVEL=0" not in out:
    fail("nf-svc.com --version in cmd:\n" + out)
bad = os.path.join(work, "bad.ini")
with open(bad, "w") as f:
    f.write("[Settings]\nPort = notaport\n")
out = cmd(r'"C:\Program Files\nf-svc\nf-svc.com" --config %s' % win_path(bad))
if "ERRORLEVEL=2" not in out or "Port" not in out:
    fail("nf-svc.com --config BAD in cmd: the error and %ERRORLEVEL% 2:\n" + out)
ok("console twin: nf-svc.com --version prints in cmd; bad settings set %ERRORLEVEL% to 2; /i twice says installed")
wine("sc", "stop", "nf-svc")
wait(lambda: "STOPPED" in sc_query(), "the service to stop")
wait(lambda: read(svclog).rstrip().endswith(" stopped"), "the service's stop line")
svc_summary = read(os.path.join(SVC, "logs", "nf-svc-summary.log"))
if "partial)" not in svc_summary or "Src=192.168.0.60" not in svc_summary:
    fail("sc stop writes the service's partial summaries:\n" + svc_summary[-1500:])
wait(lambda: "the collector (Windows service) stopped" in read(logf)[before:], "the companion to see the service stop")
ok("sc stop nf-svc: STOPPED, partial summaries written; the companion tray says the service stopped")
wine("sc", "start", "nf-svc")
wait(lambda: "RUNNING" in sc_query(), "the service to run again")
wait(lambda: "the collector (Windows service) is back" in read(logf)[before:], "the companion to attach again")
companion.kill()
companion.wait()
ok("sc start nf-svc: the companion tray attaches to it again")
if wine(os.path.join(PROGRAM, "uninstall.exe"), "/S").returncode != 0:
    fail("uninstall /S with the service")
wait(lambda: not os.path.exists(PROGRAM), "the program folder to be removed", 60)
wait(lambda: not sc_query(), "the uninstaller to remove the service")
if not os.path.isfile(os.path.join(SVC, "nf-svc.ini")):
    fail("the service's settings stay")
ok("uninstall with the service: stopped and removed (sc query fails); its settings and logs stay")
keeper.kill()
keeper.wait()

# --- interactive uninstall, answering Yes: settings and logs go, and in a log folder set
# elsewhere only nf-svc's own files ---
elsewhere = tempfile.mkdtemp(prefix="nf-svc-logs-elsewhere-")
with open(os.path.join(APPDATA, "nf-svc.ini"), "a", newline="\r\n") as f:
    f.write("[Logs]\nDir = %s\n" % win_path(elsewhere))
for name in ("nf-svc.log", "nf-svc-netflow.log", "nf-svc-summary.log", "latest-summary.txt", "keep-me.txt"):
    open(os.path.join(elsewhere, name), "w").close()
if wine(SETUP, "/S", "/NOAUTOSTART").returncode != 0:
    fail("setup /S /NOAUTOSTART")
if "nf-svc" in reg_query(RUN_KEY):
    fail("/NOAUTOSTART leaves start at login off")
uninstaller = subprocess.Popen([WINE, os.path.join(PROGRAM, "uninstall.exe")], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
procs.append(uninstaller)


def windows_named(title):
    r = subprocess.run(["xdotool", "search", "--name", title], capture_output=True, text=True)
    return r.stdout.split()


def question_box():
    """The uninstaller's Yes/No box: a small window with the uninstaller's title."""
    for w in windows_named("nf-svc .* Uninstall"):
        g = subprocess.run(["xdotool", "getwindowgeometry", w], capture_output=True, text=True).stdout
        size = g.rsplit("Geometry:", 1)[-1].strip().split("x")
        if len(size) == 2 and int(size[1]) < 200:
            return w
    return None


# The confirm page (Return presses Uninstall; again if the page was not ready), then the question.
wait(lambda: windows_named("nf-svc .* Uninstall"), "the uninstaller's window")
box = None
for _ in range(10):
    subprocess.run(["xdotool", "key", "Return"], check=True)
    end = time.time() + 3
    while time.time() < end and not (box := question_box()):
        time.sleep(0.2)
    if box:
        break
if not box:
    fail("the uninstaller asks whether to delete settings and logs")
subprocess.run(["xdotool", "windowfocus", "--sync", box, "key", "y"], check=True)
wait(lambda: not os.path.exists(APPDATA), "the settings folder to be deleted on Yes")
wait(lambda: not os.path.exists(os.path.join(elsewhere, "nf-svc.log")), "the log files elsewhere to be deleted")
left = sorted(os.listdir(elsewhere))
if left != ["keep-me.txt"]:
    fail("only nf-svc's files are deleted from a log folder elsewhere; left: %r" % left)
wait(lambda: not os.path.exists(PROGRAM), "the program folder to be removed")
subprocess.run(["xdotool", "key", "Return"], check=True)  # Close
ok("interactive uninstall, Yes: settings and logs deleted; a log folder elsewhere keeps the user's own files")

cleanup()
print("wine smoke: all checks passed", flush=True)
