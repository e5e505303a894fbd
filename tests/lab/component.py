#!/usr/bin/python3
"""A simulated Genesys server process for the lab.

Started through a symlink named like the real binary (StatServer, confserv,
...), so its process name, as pgrep and HOST-RESOURCES-MIB's hrSWRunName see
it, is the component's. It listens on its TCP port (as every Genesys server
does) and accepts and closes connections. Stopping it is stopping the
component.
"""
import signal
import socket
import sys


def main():
    port = int(sys.argv[1])
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(64)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        try:
            c, _ = s.accept()
            c.close()
        except InterruptedError:
            continue


if __name__ == "__main__":
    main()
