#!/usr/bin/python3
"""A hostile TCP peer on an SSH port, for tests: one way of misbehaving per
MODE, to every connection:

  prebanner   streams endless lines before any "SSH-" banner
  garbage     a banner that is not SSH, then random bytes
  silent      accepts and sends nothing
  flood       a valid-looking banner, then endless random bytes

  evil_ssh.py PORT MODE     (prints "ready" once listening)
"""
import os
import socket
import sys
import threading


def serve(conn, mode):
    try:
        if mode == "silent":
            conn.recv(65536)
            threading.Event().wait(3600)
        elif mode == "prebanner":
            line = b"x" * 200 + b"\r\n"
            while True:
                conn.sendall(line * 64)
        elif mode == "garbage":
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
            while True:
                conn.sendall(os.urandom(4096))
        elif mode == "flood":
            conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
            while True:
                conn.sendall(os.urandom(4096))
    except OSError:
        pass
    finally:
        conn.close()


def main():
    port, mode = int(sys.argv[1]), sys.argv[2]
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(16)
    print("ready", flush=True)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn, mode), daemon=True).start()


if __name__ == "__main__":
    main()
