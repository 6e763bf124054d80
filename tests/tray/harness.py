#!/usr/bin/python3
"""Drive nf-svc's tray as a desktop would, headless.

Runs inside `dbus-run-session`: starts Xvfb, a StatusNotifierWatcher (Debian's
ayatana-indicator-application) and python3-dbusmock's notification daemon, launches nf-svc in
tray mode, then reads its menu over com.canonical.dbusmenu, clicks items, sends NetFlow, and
checks the logs and the notifications it sent. Prints one line per check, to standard output
(live in CI's log) and to RESULT_FILE; exits 1 on the first failure.
Usage: harness.py NF_SVC_EXE RESULT_FILE
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

import dbus

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from netflow_send import free_port, send, v5  # noqa: E402

EXE = sys.argv[1]


class Tee:
    """Standard output, copied to the result file the Rust test reads."""

    def __init__(self, path):
        self.out = sys.stdout
        self.file = open(path, "a")

    def write(self, text):
        self.out.write(text)
        self.file.write(text)

    def flush(self):
        self.out.flush()
        self.file.flush()


sys.stdout = Tee(sys.argv[2])
WORK = tempfile.mkdtemp(prefix="nf-svc-tray-")
procs = []


def _cleanup_at_exit():
    cleanup()


import atexit  # noqa: E402

atexit.register(_cleanup_at_exit)


def fail(msg):
    print("FAIL:", msg, flush=True)
    dump_logs()
    cleanup()
    sys.exit(1)


def ok(msg):
    print("ok:", msg, flush=True)


def poll(pred, timeout):
    """`pred`'s first true value within `timeout` seconds, or None."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            v = pred()
            if v:
                return v
        except (dbus.exceptions.DBusException, OSError):
            pass
        time.sleep(0.1)
    return None


def wait(pred, what, timeout=20.0):
    v = poll(pred, timeout)
    if not v:
        fail("timed out waiting for " + what)
    return v


def cleanup():
    for p in reversed(procs):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()


def log(name):
    try:
        with open(os.path.join(WORK, "logs", name)) as f:
            return f.read()
    except OSError:
        return ""


def dump_logs():
    for n in ("nf-svc.log", "nf-svc-summary.log"):
        print("----", n, "----")
        print(log(n)[-4000:])


# --- the desktop: X server, tray watcher, notification daemon ---
r, w = os.pipe()
xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", "640x480x24", "-nolisten", "tcp"], pass_fds=[w])
procs.append(xvfb)
os.close(w)
display = os.read(r, 16).decode().strip()
os.environ["DISPLAY"] = ":" + display
ok("Xvfb on :" + display)

procs.append(subprocess.Popen(["/usr/libexec/ayatana-indicator-application/ayatana-indicator-application-service"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
bus = dbus.SessionBus()
wait(lambda: bus.name_has_owner("org.kde.StatusNotifierWatcher"), "a StatusNotifierWatcher")

# --- no notification service yet: nf-svc keeps running and says so in its log, once ---
quiet_dir = os.path.join(WORK, "quiet")
os.makedirs(os.path.join(quiet_dir, "home"))
quiet_ini = os.path.join(quiet_dir, "nf-svc.ini")
with open(quiet_ini, "w") as f:
    f.write("[Settings]\nPort = %d\nListen = 127.0.0.1\n" % free_port())
quiet_env = dict(os.environ, HOME=os.path.join(quiet_dir, "home"), XDG_RUNTIME_DIR=quiet_dir)
quiet_env.pop("XDG_CONFIG_HOME", None)
quiet = subprocess.Popen([EXE, "--config", quiet_ini], env=quiet_env)
procs.append(quiet)
quiet_log = os.path.join(quiet_dir, "logs", "nf-svc.log")
wait(lambda: "listening on UDP" in open(quiet_log).read(), "the first instance to run")
# A second launch makes the first try a toast.
subprocess.run([EXE, "--config", quiet_ini], env=quiet_env, timeout=20)
wait(lambda: "cannot show notifications" in open(quiet_log).read(), "the no-notification-service warning")
if quiet.poll() is not None:
    fail("nf-svc exited without a notification service")
quiet.terminate()
quiet.wait(30)
ok("without a notification service: a logged warning, nothing else")

procs.append(subprocess.Popen(["/usr/bin/python3", "-m", "dbusmock", "--template", "notification_daemon"]))
wait(lambda: bus.name_has_owner("org.freedesktop.Notifications"), "the mock notification daemon")
ok("StatusNotifierWatcher and notification daemon on the session bus")
mock = dbus.Interface(bus.get_object("org.freedesktop.Notifications", "/org/freedesktop/Notifications"),
                      "org.freedesktop.DBus.Mock")


def notifications():
    return [(str(c[2][3]), str(c[2][4])) for c in mock.GetCalls() if c[1] == "Notify"]


def toast(title_part, what, body_part=""):
    return wait(lambda: next((n for n in notifications() if title_part in n[0] and body_part in n[1]), None), what)


# --- a recording xdg-open, so "open" actions can be checked without a desktop ---
bindir = os.path.join(WORK, "bin")
os.makedirs(bindir)
opened = os.path.join(WORK, "opened.txt")
with open(os.path.join(bindir, "xdg-open"), "w") as f:
    f.write("#!/bin/sh\necho \"$1\" >> '%s'\n" % opened)
os.chmod(os.path.join(bindir, "xdg-open"), 0o755)


def opened_paths():
    try:
        with open(opened) as f:
            return f.read().split("\n")
    except OSError:
        return []


# --- a taken port: error icon and toast, then recovery when the port is changed ---
holder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
holder.bind(("127.0.0.1", 0))
taken = holder.getsockname()[1]
err_dir = os.path.join(WORK, "err")
os.makedirs(os.path.join(err_dir, "home"))
err_ini = os.path.join(err_dir, "nf-svc.ini")
with open(err_ini, "w") as f:
    f.write("[Settings]\nPort = %d\nListen = 127.0.0.1\n" % taken)
err_env = dict(os.environ, HOME=os.path.join(err_dir, "home"), XDG_RUNTIME_DIR=err_dir)
err_env.pop("XDG_CONFIG_HOME", None)
err_nf = subprocess.Popen([EXE, "--config", err_ini], env=err_env)
procs.append(err_nf)
problem = toast("nf-svc problem", "the port-in-use toast", "UDP port %d on 127.0.0.1 is already in use" % taken)
ok("port in use: toast " + problem[1][:70] + "…")
watcher0 = bus.get_object("org.kde.StatusNotifierWatcher", "/StatusNotifierWatcher")
reg = wait(lambda: watcher0.Get("org.kde.StatusNotifierWatcher", "RegisteredStatusNotifierItems",
                                dbus_interface="org.freedesktop.DBus.Properties"), "the error tray icon")
svc, _, pth = str(reg[0]).partition("/")
err_props = dbus.Interface(bus.get_object(svc, "/" + pth), "org.freedesktop.DBus.Properties")
err_tip = err_props.Get("org.kde.StatusNotifierItem", "ToolTip")
if "already in use" not in str(err_tip[3]) + str(err_tip[2]):
    fail("tooltip shows the error: %r" % (err_tip,))
err_pixmap = bytes(err_props.Get("org.kde.StatusNotifierItem", "IconPixmap")[0][2])
new_port = free_port()
with open(err_ini, "w") as f:
    f.write("[Settings]\nPort = %d\nListen = 127.0.0.1\n" % new_port)
toast("settings applied", "recovery after the port was changed")
wait(lambda: "listening on UDP 127.0.0.1:%d" % new_port in open(os.path.join(err_dir, "logs", "nf-svc.log")).read(),
     "listening on the new port")
wait(lambda: bytes(err_props.Get("org.kde.StatusNotifierItem", "IconPixmap")[0][2]) != err_pixmap,
     "the icon leaving the error state")
ok("fixed settings start the collector; the icon leaves the error state")
# A flow before the stop: SIGTERM must write it into a partial summary, not lose it.
send(new_port, v5(0, [("10.77.0.5", "10.77.0.9", 40001, 8080, 6, 777000, 7)]))
wait(lambda: "first seen" in open(os.path.join(err_dir, "logs", "nf-svc.log")).read(), "the flow before SIGTERM")
err_nf.terminate()
if err_nf.wait(30) != 0:
    fail("SIGTERM in tray mode exits 0")
if "stopped" not in open(os.path.join(err_dir, "logs", "nf-svc.log")).read():
    fail("SIGTERM in tray mode stops cleanly")
latest = open(os.path.join(err_dir, "logs", "latest-summary.txt")).read()
if ", partial)" not in latest or "Src=10.77.0.5, Dst=10.77.0.9, DstPort=8080, {Bytes:777000 Packets:7}" not in latest:
    fail("SIGTERM writes the partial summaries with the flow: %r" % latest[:600])
summary_log = [n for n in os.listdir(os.path.join(err_dir, "logs")) if n.endswith("-summary.log")]
if not summary_log or "Bytes:777000" not in open(os.path.join(err_dir, "logs", summary_log[0])).read():
    fail("the partial summary reaches the summary log: %r" % summary_log)
ok("SIGTERM in tray mode stops cleanly, partial summaries written with the flow")
holder.close()

# --- first run: the ini is created and a toast says how to point a sensor at nf-svc ---
first_dir = os.path.join(WORK, "first")
os.makedirs(os.path.join(first_dir, "home"))
first_env = dict(err_env, HOME=os.path.join(first_dir, "home"), XDG_RUNTIME_DIR=first_dir)
first_ini = os.path.join(first_dir, "new", "nf-svc.ini")
first = subprocess.Popen([EXE, "--config", first_ini], env=first_env)
procs.append(first)
welcome = toast("nf-svc listens on UDP port 2055", "the first-run toast", "Point your sensor")
if not os.path.exists(first_ini):
    fail("first run creates the ini")
ok("first run: ini created, toast: " + welcome[0])
# Setup's way to stop it (the Windows installer writes the same line to the named pipe).
endpoint = os.path.join(first_dir, "nf-svc-%s.sock" % os.environ.get("USER", "user"))
with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
    s.connect(endpoint)
    s.sendall(b"quit\n")
try:
    if first.wait(30) != 0:
        fail("a quit request exits 0")
except subprocess.TimeoutExpired:
    fail("a quit request did not stop nf-svc")
first_log = open(os.path.join(first_dir, "new", "logs", "nf-svc.log")).read()
if "asked to quit (by setup)" not in first_log or "stopped" not in first_log:
    fail("a quit request is logged and stops cleanly: " + first_log[-600:])
ok("a quit request on the instance socket stops nf-svc cleanly")
# --- started with broken settings: error shown; fixing the file starts everything ---
broken_dir = os.path.join(WORK, "broken")
os.makedirs(os.path.join(broken_dir, "home"))
broken_env = dict(err_env, HOME=os.path.join(broken_dir, "home"), XDG_RUNTIME_DIR=broken_dir)
broken_ini = os.path.join(broken_dir, "nf-svc.ini")
with open(broken_ini, "w") as f:
    f.write("[Settings]\nPort = nine\n")
broken = subprocess.Popen([EXE, "--config", broken_ini], env=broken_env)
procs.append(broken)
msg = toast("nf-svc problem", "the broken-settings toast at start", "settings not valid")
if "line 2: [Settings] Port = \"nine\"" not in msg[1]:
    fail("the start-up settings error names line and key: %r" % (msg,))
with open(broken_ini, "w") as f:
    f.write("[Settings]\nPort = %d\nListen = 127.0.0.1\n" % free_port())
wait(lambda: "settings reloaded" in open(os.path.join(broken_dir, "logs", "nf-svc.log")).read(),
     "the service log after the fix")
broken.terminate()
broken.wait(30)
ok("broken settings at start: toast, then the fixed file starts the collector and its log")
# --- a log folder that cannot be created: said once, as a toast ---
nolog_dir = os.path.join(WORK, "nolog")
os.makedirs(os.path.join(nolog_dir, "home"))
open(os.path.join(nolog_dir, "a-file"), "w").close()
nolog_ini = os.path.join(nolog_dir, "nf-svc.ini")
with open(nolog_ini, "w") as f:
    f.write("[Settings]\nPort = %d\nListen = 127.0.0.1\n[Logs]\nDir = a-file/logs\n" % free_port())
nolog_env = dict(err_env, HOME=os.path.join(nolog_dir, "home"), XDG_RUNTIME_DIR=nolog_dir)
nolog = subprocess.Popen([EXE, "--config", nolog_ini], env=nolog_env)
procs.append(nolog)
toast("nf-svc problem", "the unwritable-log-folder toast", "cannot create the log folder " + os.path.join(nolog_dir, "a-file", "logs"))
nolog.terminate()
nolog.wait(30)
ok("an unwritable log folder is reported")
# The earlier launches' notifications are not the main instance's. The mock numbers every
# notification from 1: remember how many came before, to know the ids of the ones after.
notify_offset = len([c for c in mock.GetCalls() if c[1] == "Notify"])
mock.ClearCalls()


def click_toast(title_part):
    """Click a toast's body: the notification server says its default action was invoked."""
    calls = [c for c in mock.GetCalls() if c[1] == "Notify"]
    nid = next(notify_offset + i + 1 for i, c in enumerate(calls) if title_part in str(c[2][3]))
    mock.EmitSignal("org.freedesktop.Notifications", "ActionInvoked", "us", [dbus.UInt32(nid), "default"])


def click_toast_until(title_part, pred, what, timeout=20.0):
    """Click a toast until `pred` holds. nf-svc starts listening for the click on its own D-Bus
    connection just after the server has the toast; a signal sent in that gap reaches nobody
    (no person clicks within milliseconds), so an unanswered click is sent again each second.
    nf-svc answers one click a toast, so a repeat cannot open a second page."""
    end = time.time() + timeout
    while time.time() < end:
        click_toast(title_part)
        v = poll(pred, min(1.0, end - time.time()))
        if v:
            return v
    fail("timed out waiting for " + what)

# --- a webhook receiver for "Send a test notification" (tests/pylib/hook_server.py) ---
hooks = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib",
                                                       "hook_server.py")], stdout=subprocess.PIPE, text=True)
procs.append(hooks)
hook_port = int(hooks.stdout.readline().split()[-1])
hook_posts = []
threading.Thread(target=lambda: [hook_posts.append(line) for line in hooks.stdout], daemon=True).start()

# --- nf-svc in tray mode ---
port = free_port()
ini = os.path.join(WORK, "nf-svc.ini")
with open(ini, "w") as f:
    f.write("[Settings]\nPort = %d\nListen = 127.0.0.1\n[Summary]\nIntervals = 2s, 1h\n[Tray]\nSummaryToasts = 2s\n"
            "[Alerts]\nSourceRate = 1 Mbit/s\nWindow = 2s\nHost.10.66.0.9 = 100 Mbit/s, Camera\n"
            "[Notify]\nWebhook = http://127.0.0.1:%d/hook\nEvents = digest\n" % (port, hook_port))
env = dict(os.environ, HOME=os.path.join(WORK, "home"), XDG_RUNTIME_DIR=WORK, RUST_BACKTRACE="1",
           PATH=bindir + ":" + os.environ["PATH"])
env.pop("XDG_CONFIG_HOME", None)
os.makedirs(env["HOME"])
nf = subprocess.Popen([EXE, "--config", ini], env=env)
procs.append(nf)

watcher = bus.get_object("org.kde.StatusNotifierWatcher", "/StatusNotifierWatcher")
items = wait(lambda: watcher.Get("org.kde.StatusNotifierWatcher", "RegisteredStatusNotifierItems",
                                 dbus_interface="org.freedesktop.DBus.Properties"), "the tray icon to register")
ok("tray icon registered: " + str(items[0]))
item = str(items[0])
service, _, path = item.partition("/")
path = "/" + path if path else "/StatusNotifierItem"
sni = bus.get_object(service, path)
props = dbus.Interface(sni, "org.freedesktop.DBus.Properties")
menu_path = str(props.Get("org.kde.StatusNotifierItem", "Menu"))
menu = dbus.Interface(bus.get_object(service, menu_path), "com.canonical.dbusmenu")
tooltip = props.Get("org.kde.StatusNotifierItem", "ToolTip")
tip_text = str(tooltip[2]) + " " + str(tooltip[3])
if "UDP %d" % port not in tip_text:
    fail("tooltip names the port: " + tip_text)
ok("tooltip: " + tip_text.strip())


def layout():
    """label -> (id, toggle-state) for every item, submenus flattened."""
    out = {}

    def walk(node):
        ident, p, children = node
        label = str(p.get("label", "")).replace("_", "")
        if label:
            out[label] = (int(ident), int(p.get("toggle-state", -1)))
        for c in children:
            walk(c)

    walk(menu.GetLayout(0, -1, [])[1])
    return out


def click(label):
    ident = layout()[label][0]
    menu.Event(ident, "clicked", dbus.String("", variant_level=1), dbus.UInt32(int(time.time())))


items = layout()
for want in ["Open report", "Reports", "Open latest summary (text)", "Open log folder", "Edit settings",
             "Send a test notification",
             "Pause capture", "Start at login", "Exporters", "About nf-svc", "Quit"]:
    if want not in items:
        fail("menu item %r missing; have %s" % (want, sorted(items)))
if not any(k.startswith("none yet — point your sensor at UDP %d" % port) for k in items):
    fail("empty Exporters submenu says how to point a sensor: %s" % sorted(items))
ok("menu: " + ", ".join(sorted(items)))

# --- counting, Pause, Resume ---
flow = ("192.168.0.82", "224.0.0.251", 5353, 5353, 17, 1000, 10)
send(port, v5(0, [flow]))
wait(lambda: "SrcAddr:192.168.0.82" in log("nf-svc-netflow.log"), "the first flow in the dump log")
wait(lambda: any((k.startswith("127.0.0.1 · v5 · ") or (k.startswith("127.0.0.1 (") and " · v5 · " in k)) for k in layout()), "the exporter in the Exporters menu", 15)
ok("flows counted; Exporters menu lists 127.0.0.1")

pixmap = lambda: bytes(props.Get("org.kde.StatusNotifierItem", "IconPixmap")[0][2])
collecting_icon = pixmap()
click("Pause capture")
wait(lambda: "capture paused" in log("nf-svc.log"), "pause in the service log")
wait(lambda: pixmap() != collecting_icon, "the paused icon")
wait(lambda: layout()["Pause capture"][1] == 1, "Pause capture checked")
send(port, v5(1, [("10.9.9.9", "10.8.8.8", 1, 2, 17, 777, 1)]))
time.sleep(1.0)
if "SrcAddr:10.9.9.9" in log("nf-svc-netflow.log"):
    fail("a flow was counted while paused")
ok("paused: datagram received but not counted")
click("Pause capture")
wait(lambda: "capture resumed" in log("nf-svc.log"), "resume in the service log")
send(port, v5(2, [("10.7.7.7", "10.6.6.6", 1, 2, 17, 555, 1)]))
wait(lambda: "SrcAddr:10.7.7.7" in log("nf-svc-netflow.log"), "counting again after resume")
wait(lambda: pixmap() == collecting_icon, "the collecting icon again")
ok("resumed: counting again, icon back to collecting")

# --- Open latest summary / log folder / Edit settings / About ---
wait(lambda: os.path.exists(os.path.join(WORK, "logs", "latest-summary.txt")), "latest-summary.txt")
click("Open latest summary (text)")
click("Open log folder")
click("Edit settings")
wait(lambda: len([p for p in opened_paths() if p]) >= 3, "three open requests")
want = [os.path.join(WORK, "logs", "latest-summary.txt"), os.path.join(WORK, "logs"), ini]
if sorted(p for p in opened_paths() if p) != sorted(want):
    fail("opened %r, expected %r" % (opened_paths(), want))
ok("Open latest summary, Open log folder, Edit settings open the right paths")
report_html = os.path.join(WORK, "logs", "report.html")
click("Open report")
wait(lambda: opened_paths().count(report_html) == 1, "Open report opening report.html")
with open(report_html) as f:
    page = f.read()
if not page.startswith("<!DOCTYPE html>") or "<h1>Network traffic</h1>" not in page or "http://" in page:
    fail("report.html is a self-contained page: %r" % page[:300])
ok("Open report writes and opens " + report_html)
# A left click on the icon (the item's Activate on Linux) opens the report too.
dbus.Interface(sni, "org.kde.StatusNotifierItem").Activate(dbus.Int32(0), dbus.Int32(0))
wait(lambda: opened_paths().count(report_html) == 2, "Activate opening report.html")
ok("a left click on the icon (Activate) opens the report")
click("About nf-svc")
about = toast("nf-svc 0.", "the About toast")
if ini not in about[1] or os.path.join(WORK, "logs") not in about[1]:
    fail("About names the ini and log paths: %r" % (about,))
ok("About: " + about[0])
click("Send a test notification")
tested = toast("Test notification sent", "the test-notification toast", "webhook http://127.0.0.1:%d: sent" % hook_port)
wait(lambda: any(json.loads(json.loads(p)["body"]).get("event") == "test" for p in hook_posts),
     "the test post at the webhook")
wait(lambda: "test notification: webhook http://127.0.0.1:%d: sent" % hook_port in log("nf-svc.log"),
     "the test's result in the service log")
ok("Send a test notification: the webhook got it; toast: " + tested[1])

# --- the 2-second summary toast ---
send(port, v5(3, [flow]))
t = toast("Last 2 s:", "a summary toast", "mdns")
if "from 1 sensor" not in t[0] or "192.168.0.82 → mdns (224.0.0.251)" not in t[1]:
    fail("summary toast text: %r" % (t,))
ok("summary toast: %s / %s" % t)
click_toast_until("Last 2 s:", lambda: opened_paths().count(report_html) >= 3,
                  "a click on the summary toast opening report.html")
time.sleep(1.0)
if opened_paths().count(report_html) != 3:
    fail("one click on the summary toast opens report.html once: %r" % opened_paths())
ok("a click on the summary toast opens report.html")

# --- Start at login ---
desktop = os.path.join(WORK, "home", ".config", "autostart", "nf-svc.desktop")
click("Start at login")
wait(lambda: os.path.exists(desktop), "the autostart entry")
with open(desktop) as f:
    entry = f.read()
if ('Exec="%s"' % EXE) not in entry:
    fail("autostart runs the quoted exe: " + entry)
wait(lambda: layout()["Start at login"][1] == 1, "Start at login checked")
click("Start at login")
wait(lambda: not os.path.exists(desktop), "the autostart entry removed")
ok("Start at login writes and removes " + desktop)

# --- a second instance ---
second = subprocess.run([EXE, "--config", ini], env=env, timeout=20)
if second.returncode != 0:
    fail("second instance exit status %d" % second.returncode)
toast("already running", "the already-running toast")
ok("second launch exits 0; the first says it is already running")

# --- live settings ---
with open(ini, "a") as f:
    f.write("[Summary]\nTopCount = 5\n")
toast("settings applied", "the settings-applied toast")
wait(lambda: "TopCount = 5;" in log("nf-svc.log"), "the new TopCount in effect")
ok("an ini edit is applied without restart")
with open(ini, "a") as f:
    f.write("[Logs]\nKeepDays = forever\n")
bad = toast("settings not applied", "the broken-settings toast")
if "KeepDays" not in bad[1] or "line" not in bad[1]:
    fail("broken edit names line and key: %r" % (bad,))
ok("a broken edit is reported: " + bad[1])

# --- a traffic alert: toast, alert icon and tooltip, then back to normal ---
before = pixmap()
send(port, v5(5, [("10.66.0.9", "10.66.0.255", 3702, 3702, 17, 2000000, 1500)]))
alert = toast("Traffic alert: 10.66.0.9 (Camera)", "the alert toast")
want = "10.66.0.9 (Camera) sends 8.0 Mbit/s to 10.66.0.255 ws-discovery — above the 1.0 Mbit/s limit"
if alert[1] != want:
    fail("alert toast body %r, want %r" % (alert[1], want))
ok("alert toast: " + alert[1])
reports_dir = os.path.join(WORK, "logs", "reports")
device = lambda: [p for p in opened_paths() if p.startswith(os.path.join(reports_dir, "10.66.0.9-"))]
click_toast_until("Traffic alert: 10.66.0.9", device,
                  "a click on the alert toast opening the camera's device report")
with open(device()[0]) as f:
    if "Traffic of 10.66.0.9 (Camera)" not in f.read():
        fail("the device report is the camera's")
ok("a click on the alert toast opens " + device()[0])
tip_now = lambda: " ".join(str(x) for x in props.Get("org.kde.StatusNotifierItem", "ToolTip")[2:4])
wait(lambda: "ALERT: 10.66.0.9 (Camera)" in tip_now() and pixmap() != before, "the alert tooltip and icon", 3)
ok("while the alert lasts: tooltip " + tip_now().strip())
normal = toast("Back to normal: 10.66.0.9 (Camera)", "the back-to-normal toast")
ok("back to normal: " + normal[1])
wait(lambda: "ALERT" not in tip_now() and pixmap() == before, "the tooltip and icon back to normal", 10)
if "ALERT [SourceRate] 10.66.0.9 (Camera)" not in log("nf-svc-summary.log"):
    fail("the alert line in the summary log")
ok("alert lines in the summary log")
in_reports = lambda: next((k for k in layout() if "10.66.0.9 (Camera)" in k and "SourceRate" in k), None)
entry = wait(in_reports, "the incident in the Reports submenu", 15)
opened_before = len(device())
click(entry)
wait(lambda: len(device()) > opened_before, "the Reports submenu opening the device report")
ok("Reports submenu: %r opens %s" % (entry, device()[-1]))

# --- Quit ---
send(port, v5(4, [("192.168.0.50", "192.168.0.255", 137, 137, 17, 4242, 3)]))
time.sleep(0.5)
click("Quit")
try:
    code = nf.wait(30)
except subprocess.TimeoutExpired:
    fail("Quit did not exit")
if code != 0:
    fail("Quit exit status %d" % code)
summary = log("nf-svc-summary.log")
if "partial)" not in summary or "Src=192.168.0.50, Dst=192.168.0.255, DstPort=137, {Bytes:4242" not in summary:
    fail("partial summary written at Quit")
ok("Quit exits 0 with the partial summary written")

# --- a collector already runs (a console here; the Windows service there): the tray started
# now is its companion instead of collecting a second time ---
comp_dir = os.path.join(WORK, "comp")
os.makedirs(os.path.join(comp_dir, "home"))
svc_port, own_port = free_port(), free_port()
svc_ini = os.path.join(comp_dir, "service.ini")
with open(svc_ini, "w") as f:
    f.write("[Settings]\nPort = %d\nListen = 127.0.0.1\n[Summary]\nIntervals = 2s\n[Tray]\nSummaryToasts = 2s\n"
            "[Logs]\nDir = svc-logs\n" % svc_port)
own_ini = os.path.join(comp_dir, "nf-svc.ini")
with open(own_ini, "w") as f:
    f.write("[Settings]\nPort = %d\nListen = 127.0.0.1\n" % own_port)
comp_env = dict(env, HOME=os.path.join(comp_dir, "home"), XDG_RUNTIME_DIR=comp_dir)
svc = subprocess.Popen([EXE, "--headless", "--config", svc_ini], env=comp_env, stderr=subprocess.DEVNULL)
procs.append(svc)


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


svc_log = lambda: read(os.path.join(comp_dir, "svc-logs", "nf-svc.log"))
own_log = lambda: read(os.path.join(comp_dir, "logs", "nf-svc.log"))
wait(lambda: "status endpoint:" in svc_log(), "the console collector's status endpoint")
registered = lambda: [str(i) for i in watcher.Get("org.kde.StatusNotifierWatcher", "RegisteredStatusNotifierItems",
                                                  dbus_interface="org.freedesktop.DBus.Properties")]
before_items = set(registered())
notify_offset += len([c for c in mock.GetCalls() if c[1] == "Notify"])
mock.ClearCalls()
companion = subprocess.Popen([EXE, "--config", own_ini], env=comp_env)
procs.append(companion)
wait(lambda: "is its companion" in own_log(), "the tray attaching to the running collector")
item = wait(lambda: next((i for i in registered() if i not in before_items), None), "the companion's tray icon")
service, _, path = item.partition("/")
sni = bus.get_object(service, "/" + path if path else "/StatusNotifierItem")
props = dbus.Interface(sni, "org.freedesktop.DBus.Properties")
menu = dbus.Interface(bus.get_object(service, str(props.Get("org.kde.StatusNotifierItem", "Menu"))),
                      "com.canonical.dbusmenu")
tip_now = lambda: " ".join(str(x) for x in props.Get("org.kde.StatusNotifierItem", "ToolTip")[2:4])
wait(lambda: ("nf-svc (headless) · UDP %d" % svc_port) in tip_now(), "the collector's port in the tooltip")
if "listening on UDP 127.0.0.1:%d" % own_port in own_log():
    fail("the companion tray listens itself: " + own_log()[-600:])
ok("a collector already runs: the tray attaches (no second listener); tooltip " + tip_now().strip())
# Its sensors, its summaries (the first period after its start is partial: send until a whole
# one has the flow).
end = time.time() + 20
seq = 0
while time.time() < end and not any("Last 2 s:" in n[0] for n in notifications()):
    send(svc_port, v5(seq, [flow]))
    seq += 1
    time.sleep(1.0)
t = toast("Last 2 s:", "the collector's summary toast", "192.168.0.82 → mdns (224.0.0.251)")
wait(lambda: any((k.startswith("127.0.0.1 · v5 · ") or (k.startswith("127.0.0.1 (") and " · v5 · " in k)) for k in layout()), "the collector's sensor in the Exporters menu")
wait(lambda: "· 1 sensor ·" in tip_now(), "the collector's sensor in the tooltip")
ok("the companion toasts the collector's summary (%s), its tooltip and Exporters menu show the sensor" % t[0])
click("Pause capture")
wait(lambda: "capture paused (asked through the status endpoint by uid " in svc_log(), "the collector pausing, and who asked")
wait(lambda: layout()["Pause capture"][1] == 1, "Pause capture checked")
click("Pause capture")
wait(lambda: "capture resumed (asked through the status endpoint by uid " in svc_log(), "the collector resuming, and who asked")
ok("Pause in the companion pauses and resumes the collector")
svc_report = os.path.join(comp_dir, "svc-logs", "report.html")
click("Open report")
wait(lambda: svc_report in opened_paths(), "Open report opening the collector's report.html")
click("Edit settings")
wait(lambda: svc_ini in opened_paths(), "Edit settings opening the collector's ini")
ok("Open report and Edit settings open the collector's files")
svc.terminate()
if svc.wait(30) != 0:
    fail("the console collector stops cleanly")
stopped = toast("the collector (headless) stopped", "the collector-stopped toast", "Collect here")
wait(lambda: "Collect here (the collector stopped)" in layout(), "Collect here offered in the menu")
wait(lambda: "stopped" in tip_now(), "the tooltip saying the collector stopped")
ok("the collector stops: toast %r, Collect here offered" % stopped[0])
click("Collect here (the collector stopped)")
wait(lambda: "listening on UDP 127.0.0.1:%d" % own_port in own_log(), "the tray collecting itself")
wait(lambda: "Collect here (the collector stopped)" not in layout(), "Collect here gone from the menu")
wait(lambda: ("nf-svc · UDP %d" % own_port) in tip_now(), "the tray's own port in the tooltip")
ok("Collect here: the tray collects on its own settings (UDP %d)" % own_port)
click("Quit")
if companion.wait(30) != 0:
    fail("the companion-turned-collector quits with 0")
cleanup()
print("tray harness: all checks passed")
