#!/usr/bin/python3
"""snmpd pass_persist handler serving the Genesys enterprise subtree
(1.3.6.1.4.1.1729) of the lab from a JSON state file.

The state file maps numeric OIDs (no leading dot) to [type, value], e.g.
  {"1.3.6.1.4.1.1729.100.1.2.1.3.103": ["integer", "4"]}
Tests change the file (atomically, by rename); it is read again whenever its
modification time changes, so a change is visible to the next request.

Types are the ones snmpd's pass protocol knows: integer, gauge, counter,
counter64, timeticks, string, octet, objectid, ipaddress.

Special values let tests provoke odd replies:
  ["hang", ""]   never answer this request (snmpd then times out the pass)
"""
import json
import os
import sys


def oid_key(oid):
    return tuple(int(x) for x in oid.strip(".").split(".") if x != "")


class State:
    def __init__(self, path):
        self.path = path
        self.mtime = None
        self.items = []  # sorted [(key tuple, oid str, type, value)]

    def refresh(self):
        try:
            st = os.stat(self.path)
        except OSError:
            self.items = []
            return
        if st.st_mtime_ns == self.mtime:
            return
        try:
            with open(self.path, encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, ValueError):
            return  # keep the last good state while a writer is busy
        self.mtime = st.st_mtime_ns
        self.items = sorted(
            (oid_key(k), k.strip("."), v[0], str(v[1])) for k, v in data.items()
        )

    def get(self, oid):
        k = oid_key(oid)
        for item in self.items:
            if item[0] == k:
                return item
        return None

    def getnext(self, oid):
        k = oid_key(oid)
        for item in self.items:
            if item[0] > k:
                return item
        return None


def reply(item):
    if item is None:
        out("NONE")
        return
    _, oid, typ, value = item
    if typ == "hang":
        return
    out("." + oid)
    out(typ)
    out(value)


def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main():
    state = State(sys.argv[1])
    while True:
        line = sys.stdin.readline()
        if not line:
            return  # snmpd went away
        cmd = line.strip().lower()
        if cmd == "ping":
            out("PONG")
        elif cmd in ("get", "getnext"):
            oid = sys.stdin.readline().strip()
            state.refresh()
            reply(state.get(oid) if cmd == "get" else state.getnext(oid))
        elif cmd == "set":
            sys.stdin.readline()
            sys.stdin.readline()
            out("not-writable")
        elif cmd == "":
            return


if __name__ == "__main__":
    main()
