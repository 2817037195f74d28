"""A TCP proxy between Kafka clients and one broker that can, for a while, forward every request
but swallow the responses to one kind of request (Produce: the broker appends the records, the
producer never hears of it; EndTxn: the broker commits, the producer does not know). Then it cuts the connections that lost a response and forwards everything again.
Start the broker with --advertised pointing at the proxy so that clients come back through it."""
import socket
import struct
import threading
import time

PRODUCE = 0
INIT_PRODUCER_ID = 22
END_TXN = 26
TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53


def _uvarint(buf, pos):
    value = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7


def _has_transactional_id(frame, api_version):
    """Whether an InitProducerId request names a transactional.id (a transactional producer's)
    rather than none (an idempotent producer's)."""
    pos = 12
    (client_id_len,) = struct.unpack(">h", frame[pos:pos + 2])
    pos += 2 + max(client_id_len, 0)
    flexible = api_version >= 2
    if flexible:
        tags, pos = _uvarint(frame, pos)
        for _ in range(tags):
            _, pos = _uvarint(frame, pos)
            size, pos = _uvarint(frame, pos)
            pos += size
        length, pos = _uvarint(frame, pos)
        return length > 0  # compact nullable string: 0 is null
    (length,) = struct.unpack(">h", frame[pos:pos + 2])
    return length >= 0


def _read_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def _read_frame(sock):
    head = _read_exact(sock, 4)
    (size,) = struct.unpack(">i", head)
    return head + _read_exact(sock, size)


class _Pending(set):
    """One connection's correlation ids of requests whose responses are counted (and maybe
    swallowed); `refusals`: InitProducerId requests to answer with an error, by version."""

    def __init__(self):
        super().__init__()
        self.refusals = {}


class KafkaProxy:
    def __init__(self, upstream_port, port):
        self.upstream_port = upstream_port
        self.port = port
        self.lock = threading.Lock()
        self.api_key = PRODUCE  # whose responses are counted and swallowed
        self.produce_responses = 0  # forwarded, of api_key
        self.swallowed = 0
        self._arm_after = None
        self._swallow_for = 0.0
        self._swallow_until = None
        self._tainted = []
        self._conns = []
        self._listener = socket.create_server(("127.0.0.1", port))
        self._closed = False
        self.refuse_transactions = False  # answer a transactional InitProducerId with an error
        self.refused = 0
        threading.Thread(target=self._accept, daemon=True).start()
        threading.Thread(target=self._heal_when_due, daemon=True).start()

    def refuse_transactional_ids(self):
        """Answers every InitProducerId that names a transactional.id with
        TRANSACTIONAL_ID_AUTHORIZATION_FAILED, as a broker would that does not let this client
        use transactions; an idempotent producer's (no id) goes through."""
        self.refuse_transactions = True

    def swallow_responses(self, after, seconds, api_key=PRODUCE):
        """Once `after` more responses to `api_key` went through, swallows them for `seconds`."""
        with self.lock:
            self.api_key = api_key
            self._arm_after = self.produce_responses + after
            self._swallow_for = seconds

    def healed(self):
        with self.lock:
            return self._arm_after is None and self._swallow_until is None

    def close(self):
        self._closed = True
        self._listener.close()
        with self.lock:
            conns, self._conns = self._conns, []
        for pair in conns:
            self._cut(pair)

    def _cut(self, pair):
        for s in pair:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def _accept(self):
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            pair = (client, upstream)
            produce_ids = _Pending()
            with self.lock:
                self._conns.append(pair)
            threading.Thread(target=self._requests, args=(pair, produce_ids), daemon=True).start()
            threading.Thread(target=self._responses, args=(pair, produce_ids), daemon=True).start()

    def _requests(self, pair, produce_ids):
        client, upstream = pair
        try:
            while True:
                frame = _read_frame(client)
                api_key, api_version, correlation = struct.unpack(">hhi", frame[4:12])
                if api_key == self.api_key:
                    with self.lock:
                        produce_ids.add(correlation)
                if (api_key == INIT_PRODUCER_ID and self.refuse_transactions and
                        _has_transactional_id(frame, api_version)):
                    with self.lock:
                        produce_ids.refusals[correlation] = api_version
                upstream.sendall(frame)
        except (EOFError, OSError):
            self._cut(pair)

    def _responses(self, pair, produce_ids):
        client, upstream = pair
        try:
            while True:
                frame = _read_frame(upstream)
                (correlation,) = struct.unpack(">i", frame[4:8])
                with self.lock:
                    version = produce_ids.refusals.pop(correlation, None)
                if version is not None:
                    # Header (+ its tagged fields from v2), throttle_time_ms, then error_code.
                    at = 8 + (1 if version >= 2 else 0) + 4
                    frame = frame[:at] + struct.pack(
                        ">h", TRANSACTIONAL_ID_AUTHORIZATION_FAILED) + frame[at + 2:]
                    self.refused += 1
                with self.lock:
                    is_produce = correlation in produce_ids
                    produce_ids.discard(correlation)
                    swallow = is_produce and self._swallowing()
                    if swallow:
                        self.swallowed += 1
                        if pair not in self._tainted:
                            self._tainted.append(pair)
                    elif is_produce:
                        self.produce_responses += 1
                if not swallow:
                    client.sendall(frame)
        except (EOFError, OSError):
            self._cut(pair)

    def _swallowing(self):  # with the lock held
        if self._swallow_until is not None:
            return True
        if self._arm_after is not None and self.produce_responses >= self._arm_after:
            self._arm_after = None
            self._swallow_until = time.time() + self._swallow_for
            return True
        return False

    def _heal_when_due(self):
        while not self._closed:
            time.sleep(0.05)
            with self.lock:
                if self._swallow_until is None or time.time() < self._swallow_until:
                    continue
                self._swallow_until = None
                tainted, self._tainted = self._tainted, []
            # The clients waited in vain: their connections go, new ones forward everything.
            for pair in tainted:
                self._cut(pair)
