"""A webhook receiver and Telegram Bot API stand-in for the notification tests: every POST is
printed as one JSON line {"path", "headers", "body"} on stdout. /bot<token>/sendMessage answers
as Telegram does ({"ok":true} or, for the token "bad", 401 with a description); "--stall"
accepts connections and never answers. Prints "listening on PORT" once ready.

    python3 hook_server.py [--stall]
"""

import http.server
import json
import socket
import sys
import threading
import time


def stall():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    print(f"listening on {s.getsockname()[1]}", flush=True)
    held = []
    while True:
        c, _ = s.accept()
        held.append(c)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode("utf-8", "replace")
        print(json.dumps({"path": self.path, "headers": dict(self.headers), "body": body}), flush=True)
        status, answer = 200, b'{"ok":true}'
        if self.path.startswith("/botbad/"):
            status, answer = 401, b'{"ok":false,"error_code":401,"description":"Unauthorized"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


def main():
    if "--stall" in sys.argv:
        stall()
        return
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"listening on {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
