#!/usr/bin/env python3
"""Writes a seed corpus for one libFuzzer target: well-formed inputs of the kind the integration
tests send, so that a short CI run (30 s on a clean clone, no corpus kept) starts from messages
that decode and spends its time on mutations of them instead of rediscovering the framing.
Usage: make_seeds.py TARGET DIR  (scripts/fuzz.sh runs it; unknown targets get no seeds)."""
import os
import struct
import sys
import zlib


def be_str(s):
    return struct.pack(">H", len(s)) + s


def be_str32(s):
    return struct.pack(">I", len(s)) + s


def forward_frame(kind, payload):
    return struct.pack(">IB", len(payload) + 1, kind) + payload


def forward_seeds():
    """docs/protocol-forward.md: HELLO, a BATCH of two events, ACK, NACK, PING, ERROR."""
    hello = forward_frame(1, b"FLMF" + struct.pack(">HQ", 1, 7) + be_str(b"seed") + be_str(b""))
    events = b""
    for body, headers in ((b"hello", {b"host": b"car-1"}), (b"", {})):
        events += struct.pack(">H", len(headers))
        for k, v in headers.items():
            events += be_str(k) + be_str32(v)
        events += be_str32(body)
    batch = forward_frame(3, struct.pack(">QBII", 1, 0, 2, len(events)) + events)
    welcome = forward_frame(2, b"FLMF" + struct.pack(">HIIQ", 1, 16 << 20, 1000, 0) + be_str(b"r"))
    return {
        "hello_batch": hello + batch,
        "welcome": welcome,
        "answers": forward_frame(4, struct.pack(">QB", 1, 0)) +
                   forward_frame(5, struct.pack(">QB", 2, 1)) +
                   forward_frame(6, struct.pack(">Q", 9)) + forward_frame(7, struct.pack(">Q", 9)),
        "error": forward_frame(8, struct.pack(">H", 2) + be_str(b"version")),
    }


def syslog_seeds():
    return {
        "rfc5424": b"<165>1 2003-10-11T22:14:15.003Z host app 1234 ID47 "
                   b"[exampleSDID@32473 iut=\"3\" eventSource=\"App\"] message",
        "rfc5424_nil": b"<13>1 - - - - - -",
        "rfc3164": b"<13>Jan  1 00:00:00 host app: hello",
        "rfc3164_pid": b"<34>Oct 11 22:14:15 mymachine su[42]: 'su root' failed",
        "bare": b"no priority at all",
    }


def listener_seeds():
    """listener_fuzz: the first byte picks the piece size, the rest goes to the HTTP server."""
    get = b"GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n"
    post = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 15\r\n\r\n[{\"body\":\"ok\"}]"
    chunked = (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5\r\nhello\r\n0\r\n\r\n")
    return {
        "get": b"\xff" + get,
        "post_split": b"\x03" + post,
        "pipelined": b"\x40" + get + post + b"GET / HTTP/1.0\r\n\r\n",
        "chunked": b"\x07" + chunked,
    }


def kafka_str(s):
    return struct.pack(">h", len(s)) + s


def broker_seeds():
    """broker_request_fuzz: byte 0 picks the API (its index in broker/api/api_table.cc), byte 1
    the version, the rest is the body. Each API once, with a body naming the fixture's topic."""
    topics = struct.pack(">i", 1) + kafka_str(b"t")
    seeds = {}
    for api in range(30):
        seeds["api%02d_empty" % api] = bytes([api, 0])
        seeds["api%02d_topic" % api] = bytes([api, 0]) + topics + struct.pack(">ii", 1, 0) * 4
    # Produce v0-2 with pre-0.11 message sets (plain magic 0, and a gzip magic-1 wrapper), for
    # the broker's conversion to RecordBatch v2.
    plain = legacy_message(0, 0, b"k", b"v") + legacy_message(0, 0, None, b"w")
    wrapped = legacy_message(1, 1, None, zlib.compress(legacy_message(1, 0, b"k", b"v")))
    for version, name, records in ((0, "plain_v0", plain), (2, "gzip_v1", wrapped)):
        seeds["produce_" + name] = bytes([0, version]) + struct.pack(">hii", 1, 1000, 1) + \
            kafka_str(b"t") + struct.pack(">ii", 1, 0) + struct.pack(">i", len(records)) + records
    return seeds


def legacy_message(magic, attributes, key, value, offset=0):
    """One message of the pre-0.11 format: offset, size, CRC-32, magic, attributes, ..."""
    def blob(b):
        return struct.pack(">i", -1) if b is None else struct.pack(">i", len(b)) + b
    body = struct.pack(">bb", magic, attributes) + (struct.pack(">q", 1000) if magic else b"") + \
        blob(key) + blob(value)
    crc = zlib.crc32(body)
    return struct.pack(">qiI", offset, len(body) + 4, crc) + body


def avro_long(n):
    n = (n << 1) ^ (n >> 63)
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def avro_bytes(s):
    return avro_long(len(s)) + s


def netty_pack(serial, payload):
    return struct.pack(">II", serial, 1) + struct.pack(">I", len(payload)) + payload


def avro_seeds():
    """Flume's Avro RPC: a handshake with appendBatch of two events, then append of one."""
    handshake = b"\x00" * 16 + avro_long(0) + b"\x00" * 16 + avro_long(0)
    event = avro_long(1) + avro_bytes(b"host") + avro_bytes(b"car-1") + avro_long(0) + \
        avro_bytes(b"hello")
    plain_event = avro_long(0) + avro_bytes(b"body")
    batch = avro_long(0) + avro_bytes(b"appendBatch") + avro_long(2) + event + plain_event + \
        avro_long(0)
    first = netty_pack(1, handshake + batch)
    second = netty_pack(2, avro_long(0) + avro_bytes(b"append") + event)
    return {
        "append_batch": first + second,
        "deflated": zlib.compress(first),
    }


SEEDS = {
    "forward_frame_fuzz": forward_seeds,
    "syslog_message_fuzz": syslog_seeds,
    "listener_fuzz": listener_seeds,
    "broker_request_fuzz": broker_seeds,
    "avro_rpc_fuzz": avro_seeds,
}


def main():
    target, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.get(target, dict)().items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
