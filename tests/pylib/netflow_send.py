"""NetFlow for the Python test drivers (tests/tray/harness.py, tests/wine/smoke.py): a free
UDP port, a NetFlow v5 datagram, and sending it to nf-svc on 127.0.0.1."""

import socket
import struct
import time


def free_port():
    """A UDP port nothing on 127.0.0.1 uses now (the machine's fixed ports may be taken)."""
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
    """Send one datagram to nf-svc on 127.0.0.1:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(datagram, ("127.0.0.1", port))
