"""A stand-in for MikroTik RouterOS v7's REST API, as much as nf-svc reads of it:
GET /rest/ip/dhcp-server/lease with HTTP basic auth answers the lease list (JSON) given in a
file; a wrong user or password gets 401. Plain HTTP, or HTTPS with --cert/--key (RouterOS's
usual self-signed certificate). Prints "listening on PORT" once ready, and one line per request
("GET /rest/ip/dhcp-server/lease 200").

    python3 routeros_rest.py LEASES.json USER PASSWORD [--cert C --key K]
"""

import base64
import http.server
import ssl
import sys


def main():
    leases_file, user, password = sys.argv[1:4]
    cert = key = None
    if "--cert" in sys.argv:
        cert = sys.argv[sys.argv.index("--cert") + 1]
        key = sys.argv[sys.argv.index("--key") + 1]
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.headers.get("Authorization") != expected:
                status, body = 401, b'{"error":401,"message":"Unauthorized"}'
            elif self.path != "/rest/ip/dhcp-server/lease":
                status, body = 404, b'{"error":404,"message":"Not Found"}'
            else:
                with open(leases_file, "rb") as f:
                    status, body = 200, f.read()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            print(f"GET {self.path} {status}", flush=True)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    if cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print(f"listening on {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
