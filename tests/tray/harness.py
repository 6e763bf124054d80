#!/usr/bin/python3
"""Drive nf-svc's tray as a desktop would, headless.

Runs inside `dbus-run-session`: starts Xvfb, a StatusNotifierWatcher (Debian's
ayatana-indicator-application) and python3-dbusmock's notification daemon, launches nf-svc in
tray mode, then reads its menu over com.canonical.dbusmenu, clicks items, sends NetFlow, and
checks the logs and the notifications it sent. Prints one line per check; exits 1 on the first
failure. Usage: harness.py NF_SVC_EXE
"""

import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

import dbus

EXE = sys.argv[1]
WORK = tempfile.mkdtemp(prefix="nf-svc-tray-")
procs = []


def fail(msg):
    print("FAIL:", msg, flush=True)
    dump_logs()
    cleanup()
    sys.exit(1)


def ok(msg):
    print("ok:", msg, flush=True)


def wait(pred, what, timeout=20.0):
    end = time.time() + timeout
    while time.time() < end:
        try:
            v = pred()
            if v:
                return v
        except dbus.exceptions.DBusException:
            pass
        time.sleep(0.1)
    fail("timed out waiting for " + what)


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


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def v5(seq, flows):
    """A NetFlow v5 datagram: flows are (src, dst, sport, dport, proto, bytes, packets)."""
    now = int(time.time())
    out = struct.pack("!HHIIIIBBH", 5, len(flows), 100000, now, 0, seq, 0, 0, 0)
    for src, dst, sp, dp, proto, nbytes, pkts in flows:
        out += socket.inet_aton(src) + socket.inet_aton(dst) + bytes(4)
        out += struct.pack("!HHIIIIHHBBBBHHBBH", 1, 2, pkts, nbytes, 99000, 99500, sp, dp, 0, 0, proto, 0, 0, 0, 0, 0, 0)
    return out


def send(port, datagram):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(datagram, ("127.0.0.1", port))
    s.close()


# --- the desktop: X server, tray watcher, notification daemon ---
r, w = os.pipe()
xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", "640x480x24", "-nolisten", "tcp"], pass_fds=[w])
procs.append(xvfb)
os.close(w)
display = os.read(r, 16).decode().strip()
os.environ["DISPLAY"] = ":" + display
ok("Xvfb on :" + display)

procs.append(subprocess.Popen(["/usr/bin/python3", "-m", "dbusmock", "--template", "notification_daemon"]))
procs.append(subprocess.Popen(["/usr/libexec/ayatana-indicator-application/ayatana-indicator-application-service"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
bus = dbus.SessionBus()
wait(lambda: bus.name_has_owner("org.freedesktop.Notifications"), "the mock notification daemon")
wait(lambda: bus.name_has_owner("org.kde.StatusNotifierWatcher"), "a StatusNotifierWatcher")
ok("StatusNotifierWatcher and notification daemon on the session bus")
mock = dbus.Interface(bus.get_object("org.freedesktop.Notifications", "/org/freedesktop/Notifications"),
                      "org.freedesktop.DBus.Mock")


def notifications():
    return [(str(c[2][3]), str(c[2][4])) for c in mock.GetCalls() if c[1] == "Notify"]


def toast(title_part, what, body_part=""):
    return wait(lambda: next((n for n in notifications() if title_part in n[0] and body_part in n[1]), None), what)


# --- nf-svc in tray mode ---
port = free_port()
ini = os.path.join(WORK, "nf-svc.ini")
with open(ini, "w") as f:
    f.write("[Settings]\nPort = %d\nListen = 127.0.0.1\n[Summary]\nIntervals = 2s, 1h\n[Tray]\nSummaryToasts = 2s\n" % port)
env = dict(os.environ, HOME=os.path.join(WORK, "home"), XDG_RUNTIME_DIR=WORK, RUST_BACKTRACE="1")
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
for want in ["Open latest summary", "Open log folder", "Edit settings", "Pause capture", "Start at login",
             "Exporters", "About nf-svc", "Quit"]:
    if want not in items:
        fail("menu item %r missing; have %s" % (want, sorted(items)))
if not any(k.startswith("none yet — point your sensor at UDP %d" % port) for k in items):
    fail("empty Exporters submenu says how to point a sensor: %s" % sorted(items))
ok("menu: " + ", ".join(sorted(items)))

# --- counting, Pause, Resume ---
flow = ("192.168.0.82", "224.0.0.251", 5353, 5353, 17, 1000, 10)
send(port, v5(0, [flow]))
wait(lambda: "SrcAddr:192.168.0.82" in log("nf-svc-netflow.log"), "the first flow in the dump log")
wait(lambda: any(k.startswith("127.0.0.1 · v5 · ") for k in layout()), "the exporter in the Exporters menu", 15)
ok("flows counted; Exporters menu lists 127.0.0.1")

click("Pause capture")
wait(lambda: "capture paused" in log("nf-svc.log"), "pause in the service log")
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
ok("resumed: counting again")

# --- the 2-second summary toast ---
send(port, v5(3, [flow]))
t = toast("Last 2 s:", "a summary toast", "mdns")
if "from 1 sensor" not in t[0] or "192.168.0.82 → mdns (224.0.0.251)" not in t[1]:
    fail("summary toast text: %r" % (t,))
ok("summary toast: %s / %s" % t)

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
wait(lambda: "top 5 rows per exporter" in log("nf-svc.log"), "the new TopCount in effect")
ok("an ini edit is applied without restart")
with open(ini, "a") as f:
    f.write("[Logs]\nKeepDays = forever\n")
bad = toast("settings not applied", "the broken-settings toast")
if "KeepDays" not in bad[1] or "line" not in bad[1]:
    fail("broken edit names line and key: %r" % (bad,))
ok("a broken edit is reported: " + bad[1])

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
cleanup()
print("tray harness: all checks passed")
