#!/usr/bin/python3
"""A hostile SNMPv1/v2c agent for tests: it reads real requests and answers
them wrongly on purpose, one way per MODE:

  garbage     random bytes
  truncated   a valid answer cut in half
  wrong-oid   an answer for a different OID
  loop        walks: always the first row again (never advancing)
  huge        an OCTET STRING of 30,000 bytes a varbind
  null        a NULL value
  generr      error-status genErr
  generr-one  genErr for the one OID ending in .666 of a batch (its index),
              the others answered after
  wrong-id    a valid answer with another request-id (never matches)
  bad-length  a length field of 2^31
  silent      nothing at all
  other-port  a valid answer, sent from another port than the one asked

  evil_agent.py PORT MODE     (prints "ready" once bound)
"""
import os
import socket
import sys


def enc_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, body):
    return bytes([tag]) + enc_len(len(body)) + body


def enc_int(v):
    n = max(1, (v.bit_length() + 8) // 8)
    return tlv(0x02, v.to_bytes(n, "big", signed=True))


def enc_oid(arcs):
    body = bytes([arcs[0] * 40 + arcs[1]])
    for a in arcs[2:]:
        chunk = [a & 0x7F]
        a >>= 7
        while a:
            chunk.append(0x80 | (a & 0x7F))
            a >>= 7
        body += bytes(reversed(chunk))
    return tlv(0x06, body)


def dec(buf, i):
    """One TLV at i: (tag, body, next index)."""
    tag = buf[i]
    n = buf[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(buf[i:i + k], "big")
        i += k
    return tag, buf[i:i + n], i + n


def dec_oid(body):
    arcs = [body[0] // 40, body[0] % 40]
    v = 0
    for b in body[1:]:
        v = (v << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(v)
            v = 0
    return arcs


def parse_request(buf):
    _, msg, _ = dec(buf, 0)
    _, ver, i = dec(msg, 0)
    _, community, i = dec(msg, i)
    pdu_tag, pdu, _ = dec(msg, i)
    _, reqid, j = dec(pdu, 0)
    _, _, j = dec(pdu, j)
    _, _, j = dec(pdu, j)
    _, vbl, _ = dec(pdu, j)
    oids = []
    k = 0
    while k < len(vbl):
        _, vb, k = dec(vbl, k)
        _, name, _ = dec(vb, 0)
        oids.append(dec_oid(name))
    return int.from_bytes(ver, "big"), community, pdu_tag, int.from_bytes(reqid, "big", signed=True), oids


def response(ver, community, reqid, varbinds, errstat=0, errindex=None):
    vbl = b"".join(tlv(0x30, enc_oid(o) + v) for o, v in varbinds)
    if errindex is None:
        errindex = 1 if errstat else 0
    pdu = tlv(0xA2, enc_int(reqid) + enc_int(errstat) + enc_int(errindex) + tlv(0x30, vbl))
    return tlv(0x30, enc_int(ver) + tlv(0x04, community) + pdu)


LOOP_ROW = {}


def answer(mode, req):
    ver, community, tag, reqid, oids = parse_request(req)
    value = tlv(0x02, b"\x04")
    if mode == "garbage":
        return os.urandom(200)
    if mode == "silent":
        return None
    if mode == "wrong-oid":
        return response(ver, community, reqid, [(o + [7], value) for o in oids])
    if mode == "loop":
        first = LOOP_ROW.setdefault("oid", oids[0] + [1])
        return response(ver, community, reqid, [(first, tlv(0x04, b"x"))])
    if mode == "huge":
        return response(ver, community, reqid, [(o, tlv(0x04, b"A" * 30000)) for o in oids])
    if mode == "null":
        return response(ver, community, reqid, [(o, tlv(0x05, b"")) for o in oids])
    if mode == "generr":
        return response(ver, community, reqid, [(o, tlv(0x05, b"")) for o in oids], errstat=5)
    if mode == "generr-one":
        bad = [i for i, o in enumerate(oids, 1) if o[-2:] == [666, 0]]
        if bad:
            return response(ver, community, reqid, [(o, tlv(0x05, b"")) for o in oids],
                            errstat=5, errindex=bad[0])
    if mode == "wrong-id":
        return response(ver, community, reqid + 1, [(o, value) for o in oids])
    good = response(ver, community, reqid, [(o, value) for o in oids])
    if mode == "truncated":
        return good[: len(good) // 2]
    if mode == "bad-length":
        return b"\x30\x84\x80\x00\x00\x00" + good[2:]
    return good


def main():
    port, mode = int(sys.argv[1]), sys.argv[2]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    out_sock = s
    if mode == "other-port":
        out_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        out_sock.bind(("127.0.0.1", 0))
    print("ready", flush=True)
    while True:
        req, peer = s.recvfrom(65535)
        try:
            out = answer(mode, req)
        except (IndexError, ValueError):
            continue
        if out is not None:
            out_sock.sendto(out, peer)


if __name__ == "__main__":
    main()
