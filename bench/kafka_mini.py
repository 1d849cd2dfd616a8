"""A minimal Kafka admin client in Python's standard library, for the benchmark's hot loop.

Polling end offsets with Kafka's Java tools costs a 1-3 s JVM start per call and a core's worth of
CPU, which would both blur the catch-up time and steal CPU from the replicator being measured.
This speaks just enough of the protocol (non-flexible request versions, all still served by
Kafka 3.x and 4.x brokers) to create and delete topics and to read end offsets on the
single-broker benchmark clusters, where the one broker leads every partition.

    ListOffsets v1 (api key 2), CreateTopics v2 (19), DeleteTopics v1 (20).
"""

import socket
import struct


class KafkaError(Exception):
    pass


# Error codes this module treats specially.
UNKNOWN_TOPIC_OR_PARTITION = 3
LEADER_NOT_AVAILABLE = 5
NOT_LEADER_OR_FOLLOWER = 6
TOPIC_ALREADY_EXISTS = 36


def _str(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def _nstr(s):
    return struct.pack(">h", -1) if s is None else _str(s)


class Reader:
    def __init__(self, data):
        self.d, self.i = data, 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.d, self.i)
        self.i += struct.calcsize(fmt)
        return v[0] if len(v) == 1 else v

    def string(self):
        n = self.take(">h")
        if n < 0:
            return None
        s = self.d[self.i : self.i + n].decode()
        self.i += n
        return s


class Broker:
    """One connection to one broker; requests are sent one at a time."""

    def __init__(self, bootstrap, client_id="strait-bench", timeout=30.0):
        host, port = bootstrap.rsplit(":", 1)
        self.addr = (host, int(port))
        self.client_id = client_id
        self.timeout = timeout
        self.sock = None
        self.corr = 0

    def _connect(self):
        self.sock = socket.create_connection(self.addr, timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def close(self):
        if self.sock:
            self.sock.close()
            self.sock = None

    def _recv(self, n):
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("broker closed the connection")
            buf += chunk
        return bytes(buf)

    def request(self, api_key, version, body):
        for attempt in (0, 1):
            try:
                if self.sock is None:
                    self._connect()
                self.corr += 1
                header = struct.pack(">hhi", api_key, version, self.corr) + _nstr(self.client_id)
                msg = header + body
                self.sock.sendall(struct.pack(">i", len(msg)) + msg)
                size = struct.unpack(">i", self._recv(4))[0]
                data = self._recv(size)
                corr = struct.unpack_from(">i", data)[0]
                if corr != self.corr:
                    raise KafkaError(f"correlation id {corr}, expected {self.corr}")
                return Reader(data[4:])
            except (OSError, ConnectionError):
                self.close()
                if attempt:
                    raise

    def end_offsets(self, topic, partitions):
        """{partition: end offset}; None when the topic or a partition does not exist (yet)."""
        body = struct.pack(">i", -1) + struct.pack(">i", 1) + _str(topic)
        body += struct.pack(">i", partitions)
        for p in range(partitions):
            body += struct.pack(">iq", p, -1)
        r = self.request(2, 1, body)
        out = {}
        for _ in range(r.take(">i")):
            r.string()
            for _ in range(r.take(">i")):
                p, err, _ts, off = r.take(">ihqq")
                if err in (UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE, NOT_LEADER_OR_FOLLOWER):
                    return None
                if err:
                    raise KafkaError(f"ListOffsets {topic}-{p}: error {err}")
                out[p] = off
        return out if len(out) == partitions else None

    def create_topic(self, topic, partitions, configs=None, replication_factor=1):
        configs = configs or {}
        body = struct.pack(">i", 1) + _str(topic) + struct.pack(">ih", partitions, replication_factor)
        body += struct.pack(">i", 0)  # no manual assignments
        body += struct.pack(">i", len(configs))
        for k, v in configs.items():
            body += _str(k) + _nstr(str(v))
        body += struct.pack(">i?", 30000, False)
        r = self.request(19, 2, body)
        r.take(">i")  # throttle
        for _ in range(r.take(">i")):
            name, err, msg = r.string(), r.take(">h"), r.string()
            if err and err != TOPIC_ALREADY_EXISTS:
                raise KafkaError(f"CreateTopics {name}: error {err} {msg or ''}")

    def delete_topics(self, topics):
        """Deletes topics; missing ones are ignored. Returns {topic: error code}."""
        body = struct.pack(">i", len(topics)) + b"".join(_str(t) for t in topics)
        body += struct.pack(">i", 30000)
        r = self.request(20, 1, body)
        r.take(">i")
        out = {}
        for _ in range(r.take(">i")):
            name, err = r.string(), r.take(">h")
            if err and err != UNKNOWN_TOPIC_OR_PARTITION:
                raise KafkaError(f"DeleteTopics {name}: error {err}")
            out[name] = err
        return out
