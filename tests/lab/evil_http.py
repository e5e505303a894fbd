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

  evil_http.py PORT     (prints "ready" once listening)
"""
import socket
import sys
import threading
import time
from urllib.parse import parse_qs, urlparse


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
        if path == "/trickle":
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
