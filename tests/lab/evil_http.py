#!/usr/bin/python3
"""A hostile HTTP server for tests: one way of misbehaving per path.

  /trickle      headers, then a JSON body at one byte a second
  /endless      200 with no length and a body that never ends
  /deep         JSON nested 100,000 levels deep
  /bad-json     text that is not JSON
  /laughs       an XML "billion laughs" document
  /xxe?file=F   an XML document whose entity reads F (must not be read)
  /loop         a redirect to itself, for ever
  /silent       accepts, reads the request, answers nothing

Answers odd rather than hostile, on which the two HTTP engines must agree
(curl.so and plain.so, collectors/http_plain.c): each path of ODD sends
its bytes as they are, then closes; and

  /odd/rst         a body cut by a reset (RST) in the middle
  /odd/rsteof      an HTTP/1.0 body up to the close, then a reset
  /odd/continues   100 Continue for ever
  /odd/slow-https  after 1.5 s, a redirect to https:// (closed port)

  evil_http.py PORT     (prints "ready" once listening)
"""
import gzip
import socket
import struct
import sys
import threading
import time
import zlib
from urllib.parse import parse_qs, urlparse


def gzipped(b):
    return gzip.compress(b)


def raw_deflated(b):
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(b) + c.flush()


def with_length(head, body):
    return head + b"Content-Length: %d\r\n\r\n" % len(body) + body


ODD = {
    "/odd/short-length": b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789",
    "/odd/short-header": b"HTTP/1.1 200 OK\r\nContent-Le",
    "/odd/short-chunk": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
    "/odd/bad-chunk": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhi\r\n0\r\n\r\n",
    "/odd/raw-deflate": with_length(b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\n",
                                    raw_deflated(b"hello world")),
    "/odd/cut-gzip": with_length(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n",
                                 gzipped(b"hello world" * 100)[:300]),
    "/odd/long-location": b"HTTP/1.1 302 Found\r\nLocation: /odd/ok?" + b"a" * 5000 +
                          b"\r\nContent-Length: 0\r\n\r\n",
    "/odd/url-in-query": b"HTTP/1.1 302 Found\r\nLocation: /odd/ok?next=http://x/y\r\n"
                         b"Content-Length: 0\r\n\r\n",
    "/odd/empty-location": b"HTTP/1.1 302 Found\r\nLocation:\r\nContent-Length: 3\r\n\r\nabc",
    "/odd/300": b"HTTP/1.1 300 Multiple Choices\r\nLocation: /odd/ok\r\nContent-Length: 3\r\n\r\nabc",
    "/odd/spaced-location": b"HTTP/1.1 302 Found\r\nLocation: /odd/ok  \r\nContent-Length: 0\r\n\r\n",
    "/odd/query-location": b"HTTP/1.1 302 Found\r\nLocation: ?a=1\r\nContent-Length: 0\r\n\r\n",
    "/odd/switching": b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n"
                      b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
    "/odd/early-hints": b"HTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\n"
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
    "/odd/to-close": b"HTTP/1.0 200 OK\r\n\r\nabc",
    "/odd/br": b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 3\r\n\r\nabc",
    "/odd/no-content": b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
    "/odd/ok": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
}


def linger_reset(conn):
    """The close that follows sends a reset, not a FIN."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def answer(conn, status, body=b"", ctype="application/json", extra=""):
    head = "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n%s\r\n" % (
        status, ctype, len(body), extra)
    conn.sendall(head.encode() + body)


def serve(conn):
    try:
        req = b""
        while b"\r\n\r\n" not in req:
            chunk = conn.recv(4096)
            if not chunk:
                return
            req += chunk
        target = req.split(b" ", 2)[1].decode("latin-1")
        url = urlparse(target)
        path = url.path
        if path in ODD:
            conn.sendall(ODD[path])
        elif path == "/odd/rst":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
            linger_reset(conn)
        elif path == "/odd/rsteof":
            conn.sendall(b"HTTP/1.0 200 OK\r\n\r\n0123456789")
            time.sleep(0.2)
            linger_reset(conn)
        elif path == "/odd/continues":
            until = time.monotonic() + 20
            while time.monotonic() < until:
                conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n" * 100)
        elif path == "/odd/slow-https":
            time.sleep(1.5)
            conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: https://127.0.0.1:1/x\r\n"
                         b"Content-Length: 0\r\n\r\n")
        elif path == "/trickle":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 1000\r\n\r\n")
            for _ in range(1000):
                conn.sendall(b" ")
                time.sleep(1)
        elif path == "/endless":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                         b"Connection: close\r\n\r\n")
            block = b"x" * 65536
            while True:
                conn.sendall(block)
        elif path == "/deep":
            answer(conn, "200 OK", b"[" * 100000 + b"]" * 100000)
        elif path == "/bad-json":
            answer(conn, "200 OK", b"{\"statusCode\": 0,,, oops")
        elif path == "/laughs":
            doc = ['<?xml version="1.0"?>', '<!DOCTYPE lolz [', '<!ENTITY lol "lol">']
            prev = "lol"
            for i in range(1, 10):
                doc.append('<!ENTITY lol%d "%s">' % (i, ("&%s;" % prev) * 10))
                prev = "lol%d" % i
            doc.append(']>')
            doc.append('<health state="&%s;"/>' % prev)
            answer(conn, "200 OK", "\n".join(doc).encode(), "application/xml")
        elif path == "/xxe":
            f = parse_qs(url.query).get("file", ["/etc/hostname"])[0]
            doc = ('<?xml version="1.0"?><!DOCTYPE h [<!ENTITY s SYSTEM "file://%s">]>'
                   '<health state="&s;"/>' % f)
            answer(conn, "200 OK", doc.encode(), "application/xml")
        elif path == "/loop":
            answer(conn, "302 Found", b"", "text/plain", "Location: /loop\r\n")
        elif path == "/silent":
            threading.Event().wait(3600)
        else:
            answer(conn, "404 Not Found", b"{}")
    except OSError:
        pass
    finally:
        conn.close()


def main():
    port = int(sys.argv[1])
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(64)
    print("ready", flush=True)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
