#!/usr/bin/python3
"""A hostile TCP peer on an SSH port, for tests: one way of misbehaving per
MODE, to every connection:

  prebanner   streams endless lines before any "SSH-" banner
  garbage     a banner that is not SSH, then random bytes
  silent      accepts and sends nothing
  flood       a valid-looking banner, then endless random bytes
  kexstall    a banner and a well-formed key exchange offer (KEXINIT), then
              nothing: the client is left waiting for the server's part of
              the exchange, the state in which libssh2 1.10 leaks its
              ephemeral keys when the session is freed

  evil_ssh.py PORT MODE     (prints "ready" once listening)
"""
import os
import socket
import struct
import sys
import threading

BANNER = b"SSH-2.0-OpenSSH_9.2\r\n"


def name_list(names):
    b = names.encode()
    return struct.pack(">I", len(b)) + b


def kexinit_packet():
    """SSH_MSG_KEXINIT (RFC 4253 7.1) in the clear binary packet of 4.2:
    algorithms libssh2 and OpenSSH both offer."""
    payload = bytes([20]) + os.urandom(16)
    payload += name_list("curve25519-sha256,curve25519-sha256@libssh.org,"
                         "ecdh-sha2-nistp256,diffie-hellman-group14-sha256")
    payload += name_list("ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-256")
    for _ in range(2):
        payload += name_list("aes128-ctr,aes256-ctr")
    for _ in range(2):
        payload += name_list("hmac-sha2-256,hmac-sha1")
    for _ in range(2):
        payload += name_list("none")
    payload += name_list("") + name_list("") + bytes([0]) + struct.pack(">I", 0)
    pad = 8 - (5 + len(payload)) % 8
    if pad < 4:
        pad += 8
    return struct.pack(">IB", 1 + len(payload) + pad, pad) + payload + bytes(pad)


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
        elif mode == "kexstall":
            conn.sendall(BANNER + kexinit_packet())
            while conn.recv(65536):
                pass
        elif mode == "flood":
            conn.sendall(BANNER)
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
