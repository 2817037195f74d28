"""The Kafka wire encoding the protocol tests write and read by hand (non-flexible versions):
big-endian fixed-width fields and int16-length strings, -1 for null."""
import struct


def kstr(s):
    """An int16-length string (str or bytes); None is the null string."""
    if s is None:
        return struct.pack(">h", -1)
    s = s.encode() if isinstance(s, str) else s
    return struct.pack(">h", len(s)) + s


class Reader:
    """Reads fields in order from a response body."""

    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        """One struct format: a single value, or a tuple when the format has several."""
        v = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return v if len(v) > 1 else v[0]

    def string(self):
        n = self.take(">h")
        if n < 0:
            return None
        s = self.data[self.pos:self.pos + n].decode()
        self.pos += n
        return s

    def ints(self):
        """An int32-counted array of int32 (replica and ISR lists in Metadata)."""
        return [self.take(">i") for _ in range(self.take(">i"))]
