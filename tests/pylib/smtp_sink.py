"""A real SMTP server (Debian's python3-aiosmtpd) that keeps each message it accepts as a file
in DIR; with --starttls CERT KEY it offers STARTTLS with that certificate. Prints
"listening on PORT" once ready. Run it with Debian's /usr/bin/python3.

    /usr/bin/python3 smtp_sink.py DIR PORT [--starttls CERT KEY]
"""

import os
import ssl
import sys
import time

from aiosmtpd.controller import Controller


class Keep:
    def __init__(self, folder):
        self.folder = folder
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        path = os.path.join(self.folder, f"{self.n:04}.eml")
        with open(path + ".tmp", "wb") as f:
            f.write(envelope.content)
        os.rename(path + ".tmp", path)
        return "250 OK"


def main():
    folder, port = sys.argv[1], int(sys.argv[2])
    tls = None
    if "--starttls" in sys.argv:
        i = sys.argv.index("--starttls")
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(sys.argv[i + 1], sys.argv[i + 2])
    c = Controller(Keep(folder), hostname="127.0.0.1", port=port, tls_context=tls, require_starttls=tls is not None)
    c.start()
    print(f"listening on {port}", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
