#!/usr/bin/python3
"""The lab's HTTP server: answers each path as a JSON state file says.

State file: {"/path": {"status": 200, "body": "...", "content_type": "...",
"delay_ms": 0, "body_repeat": 1, "headers": {"Location": "/x"},
"auth": "user:password", "gzip": true, "echo_headers": true}}; with
"auth", a request without those Basic credentials gets 401; "gzip" sends
the body gzip-compressed whether or not it was asked for (as some servers
do); "echo_headers" answers the request's method (as ":method") and
headers as a JSON object; "interim" sends a 103 Early Hints first;
"chunked" sends the body in chunks of 7 bytes; "encoding" names the
Content-Encoding ("deflate": the body zlib-compressed; another name: the
body as it is, labelled so). Read again when it changes, so tests
switch a component's health by rewriting the file. Unknown paths get 404.
"""
import base64
import gzip
import zlib
import json
import os
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = {"mtime": None, "routes": {}}
LOCK = threading.Lock()


def routes(path):
    try:
        st = os.stat(path)
    except OSError:
        return {}
    with LOCK:
        if st.st_mtime_ns != STATE["mtime"]:
            try:
                with open(path, encoding="utf-8") as f:
                    STATE["routes"] = json.load(f)
                STATE["mtime"] = st.st_mtime_ns
            except (OSError, ValueError):
                pass
        return STATE["routes"]


class Handler(BaseHTTPRequestHandler):
    state_path = None
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        # The client's port too: tests tell a reused connection by it.
        sys.stderr.write("%s:%d %s\n" % (self.client_address[0], self.client_address[1],
                                          fmt % args))
        sys.stderr.flush()

    def answer(self):
        path = self.path.split("?", 1)[0]
        r = routes(self.state_path).get(path)
        if self.command == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
        if r is None:
            r = {"status": 404, "body": "not found\n", "content_type": "text/plain"}
        if r.get("auth"):
            want = "Basic " + base64.b64encode(r["auth"].encode()).decode()
            if self.headers.get("Authorization") != want:
                r = {"status": 401, "body": "authentication required\n",
                     "content_type": "text/plain",
                     "headers": {"WWW-Authenticate": 'Basic realm="lab"'}}
        delay = r.get("delay_ms", 0)
        if delay:
            time.sleep(delay / 1000.0)
        body = (r.get("body", "") * int(r.get("body_repeat", 1))).encode("utf-8")
        if r.get("echo_headers"):
            echo = {":method": self.command}
            echo.update(self.headers.items())
            body = json.dumps(echo).encode("utf-8")
        if r.get("gzip"):
            body = gzip.compress(body)
        encoding = r.get("encoding")
        if encoding == "deflate":
            body = zlib.compress(body)
        if r.get("interim"):
            self.send_response_only(103)
            self.send_header("Link", "</style.css>; rel=preload")
            self.end_headers()
        self.send_response(int(r.get("status", 200)))
        self.send_header("Content-Type", r.get("content_type", "application/json"))
        if r.get("chunked"):
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(body)))
        if r.get("gzip"):
            self.send_header("Content-Encoding", "gzip")
        if encoding:
            self.send_header("Content-Encoding", encoding)
        for k, v in r.get("headers", {}).items():
            self.send_header(k, v)
        self.end_headers()
        if r.get("chunked"):
            for i in range(0, len(body), 7):
                part = body[i:i + 7]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.wfile.write(body)

    do_GET = answer
    do_POST = answer


def main():
    """http_server.py PORT STATE [TLS_PORT CERT KEY]: the same routes over
    plain HTTP, and over HTTPS when a certificate is given."""
    port, state_path = int(sys.argv[1]), sys.argv[2]
    Handler.state_path = state_path
    servers = [ThreadingHTTPServer(("127.0.0.1", port), Handler)]
    if len(sys.argv) == 6:
        tls = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[3])), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[4], sys.argv[5])
        tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
        servers.append(tls)
    for srv in servers:
        srv.daemon_threads = True
    for srv in servers[1:]:
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    servers[0].serve_forever()


if __name__ == "__main__":
    main()
