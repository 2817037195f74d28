#include "agent/net/forward_codec.h"

#include "agent/net/avro_rpc.h"

#include <doctest/doctest.h>

#include <random>

using namespace flumen;
using namespace flumen::net::forward;

namespace {

EventBatch sample_batch(size_t n) {
  EventBatch b;
  for (size_t i = 0; i < n; ++i) {
    std::string body = "event " + std::to_string(i) + std::string(i % 7, 'x');
    if (i % 3 == 0)
      b.add(body, {{"host", "car-" + std::to_string(i)}, {"type", "drive"}});
    else
      b.add(body);
  }
  b.add("");  // an empty body is an event too
  return b;
}

// Splits the single frame in `wire` and decodes it as a batch.
Status roundtrip(const std::string& wire, EventBatch& out, BatchHeader& h) {
  Frame f;
  size_t used = 0;
  REQUIRE(split_frame(wire, kDefaultMaxFrame, f, used) == Split::kFrame);
  REQUIRE(used == wire.size());
  REQUIRE(f.type == FrameType::kBatch);
  REQUIRE(decode_batch_header(f.payload, h));
  std::string scratch;
  return decode_batch_events(h, kDefaultMaxFrame, out, scratch);
}

}  // namespace

TEST_CASE("a batch survives the wire with each codec, headers and empty bodies included") {
  EventBatch in = sample_batch(250);
  for (Codec c : {Codec::kNone, Codec::kZstd, Codec::kLz4}) {
    CAPTURE(static_cast<int>(c));
    std::string wire, scratch;
    REQUIRE(append_batch(wire, 42, c, in, 0, in.size(), scratch).is_ok());
    EventBatch out;
    BatchHeader h;
    REQUIRE(roundtrip(wire, out, h).is_ok());
    CHECK(h.seq == 42);
    CHECK(h.codec == c);
    REQUIRE(out.size() == in.size());
    for (size_t i = 0; i < in.size(); ++i) {
      CHECK(out.body(i) == in.body(i));
      REQUIRE(out.header_count(i) == in.header_count(i));
      for (size_t k = 0; k < in.header_count(i); ++k)
        CHECK(out.header_at(i, k) == in.header_at(i, k));
    }
  }
}

TEST_CASE("compression shrinks repetitive log lines") {
  EventBatch in;
  for (int i = 0; i < 1000; ++i)
    in.add("20160101000000,A" + std::to_string(1000 + i % 50) + ",3,0,F,N,120,B07");
  std::string none, zstd, lz4, scratch;
  REQUIRE(append_batch(none, 1, Codec::kNone, in, 0, in.size(), scratch).is_ok());
  REQUIRE(append_batch(zstd, 1, Codec::kZstd, in, 0, in.size(), scratch).is_ok());
  REQUIRE(append_batch(lz4, 1, Codec::kLz4, in, 0, in.size(), scratch).is_ok());
  CHECK(zstd.size() * 4 < none.size());
  CHECK(lz4.size() * 2 < none.size());
}

TEST_CASE("a higher zstd level is used and still decodes") {
  EventBatch in;
  for (int i = 0; i < 1000; ++i)
    in.add("20160101000000,A" + std::to_string(1000 + i % 50) + ",3,0,F,N,120,B07," +
           std::to_string(i * 7919 % 10007));
  std::string fast, small, scratch;
  REQUIRE(append_batch(fast, 1, Codec::kZstd, in, 0, in.size(), scratch).is_ok());
  REQUIRE(append_batch(small, 1, Codec::kZstd, in, 0, in.size(), scratch, 19).is_ok());
  CHECK(small.size() < fast.size());
  EventBatch out;
  BatchHeader h;
  REQUIRE(roundtrip(small, out, h).is_ok());
  REQUIRE(out.size() == in.size());
  CHECK(out.body(999) == in.body(999));
}

TEST_CASE("a range of a batch is encoded on its own") {
  EventBatch in = sample_batch(10);
  std::string wire, scratch;
  REQUIRE(append_batch(wire, 7, Codec::kNone, in, 3, 6, scratch).is_ok());
  EventBatch out;
  BatchHeader h;
  REQUIRE(roundtrip(wire, out, h).is_ok());
  REQUIRE(out.size() == 3);
  CHECK(out.body(0) == in.body(3));
  CHECK(out.body(2) == in.body(5));
}

TEST_CASE("frames are split only when complete, and bad lengths are refused") {
  std::string wire;
  append_ack(wire, {9, AckStatus::kAlreadyCommitted});
  append_ping(wire, FrameType::kPing, 77);
  Frame f;
  size_t used = 0;
  for (size_t cut = 0; cut < 14; ++cut)
    CHECK(split_frame(std::string_view(wire).substr(0, cut), kDefaultMaxFrame, f, used) ==
          Split::kNeedMore);
  REQUIRE(split_frame(wire, kDefaultMaxFrame, f, used) == Split::kFrame);
  CHECK(used == 14);
  Ack a;
  REQUIRE(decode_ack(f.payload, a));
  CHECK(a.seq == 9);
  CHECK(a.status == AckStatus::kAlreadyCommitted);
  std::string_view rest = std::string_view(wire).substr(used);
  REQUIRE(split_frame(rest, kDefaultMaxFrame, f, used) == Split::kFrame);
  uint64_t nonce = 0;
  REQUIRE(decode_ping(f.payload, nonce));
  CHECK(nonce == 77);

  CHECK(split_frame(std::string("\0\0\0\0", 4), kDefaultMaxFrame, f, used) == Split::kMalformed);
  CHECK(split_frame(std::string("\x7f\0\0\0", 4), kDefaultMaxFrame, f, used) == Split::kTooLarge);
  CHECK(split_frame(std::string("\0\0\0\x01\x63", 5), kDefaultMaxFrame, f, used) ==
        Split::kMalformed);  // unknown type
}

TEST_CASE("hello, welcome, nack and error round-trip; trailing bytes are refused") {
  std::string wire;
  append_hello(wire, {kVersion, 0x0123456789abcdefULL, "edge-1/k1", "s3cret"});
  Frame f;
  size_t used = 0;
  REQUIRE(split_frame(wire, kDefaultMaxFrame, f, used) == Split::kFrame);
  Hello h;
  REQUIRE(decode_hello(f.payload, h));
  CHECK(h.stream == 0x0123456789abcdefULL);
  CHECK(h.sender == "edge-1/k1");
  CHECK(h.token == "s3cret");
  std::string longer(f.payload);
  longer += 'x';
  CHECK_FALSE(decode_hello(longer, h));
  CHECK_FALSE(decode_hello(f.payload.substr(0, f.payload.size() - 1), h));

  wire.clear();
  append_welcome(wire, {kVersion, 1 << 20, 100, 99, "agg-1"});
  REQUIRE(split_frame(wire, kDefaultMaxFrame, f, used) == Split::kFrame);
  Welcome w;
  REQUIRE(decode_welcome(f.payload, w));
  CHECK(w.max_frame == (1u << 20));
  CHECK(w.max_events == 100);
  CHECK(w.committed == 99);

  wire.clear();
  append_nack(wire, {5, NackReason::kChannelFull, "channel c1 is full"});
  REQUIRE(split_frame(wire, kDefaultMaxFrame, f, used) == Split::kFrame);
  Nack n;
  REQUIRE(decode_nack(f.payload, n));
  CHECK(n.reason == NackReason::kChannelFull);
  CHECK(n.message == "channel c1 is full");

  wire.clear();
  append_error(wire, {WireError::kBadToken, "bad token"});
  REQUIRE(split_frame(wire, kDefaultMaxFrame, f, used) == Split::kFrame);
  WireErrorFrame e;
  REQUIRE(decode_error(f.payload, e));
  CHECK(e.code == WireError::kBadToken);
}

TEST_CASE("a batch whose lengths lie is rejected and leaves the output untouched") {
  EventBatch in = sample_batch(20);
  std::string wire, scratch;
  REQUIRE(append_batch(wire, 1, Codec::kNone, in, 0, in.size(), scratch).is_ok());
  Frame f;
  size_t used = 0;
  REQUIRE(split_frame(wire, kDefaultMaxFrame, f, used) == Split::kFrame);
  BatchHeader h;
  REQUIRE(decode_batch_header(f.payload, h));
  EventBatch out;
  out.add("already here");
  h.count += 1;  // claims one more event than there is
  CHECK_FALSE(decode_batch_events(h, kDefaultMaxFrame, out, scratch).is_ok());
  CHECK(out.size() == 1);
  h.count -= 2;  // leaves bytes over
  CHECK_FALSE(decode_batch_events(h, kDefaultMaxFrame, out, scratch).is_ok());
  CHECK(out.size() == 1);
  h.count += 1;
  CHECK_FALSE(decode_batch_events(h, 10, out, scratch).is_ok());  // over the raw limit
  CHECK(decode_batch_events(h, kDefaultMaxFrame, out, scratch).is_ok());
  CHECK(out.size() == 1 + in.size());
}

TEST_CASE("random bytes never crash the decoders") {
  std::mt19937 rng(7);
  std::string scratch;
  for (int round = 0; round < 20000; ++round) {
    std::string junk(rng() % 64, '\0');
    for (char& c : junk)
      c = static_cast<char>(rng());
    BatchHeader h;
    if (decode_batch_header(junk, h)) {
      EventBatch out;
      (void)decode_batch_events(h, 1 << 16, out, scratch);
    }
    Hello hello;
    Welcome w;
    Nack n;
    WireErrorFrame e;
    (void)decode_hello(junk, hello);
    (void)decode_welcome(junk, w);
    (void)decode_nack(junk, n);
    (void)decode_error(junk, e);
    Frame f;
    size_t used = 0;
    (void)split_frame(junk, 1 << 16, f, used);
  }
}

TEST_CASE("Avro IPC over Netty is told from a HELLO by its first bytes") {
  // serial 1, one buffer of 57 bytes: how Flume's NettyTransceiver opens a connection.
  std::string avro("\0\0\0\x01\0\0\0\x01\0\0\0\x39", 12);
  CHECK(net::avro_rpc::looks_like_netty_pack(avro));
  std::string ours;
  append_hello(ours, {});
  // The source tells them apart by the fifth byte: a frame type (1..8), or a buffer count's
  // first byte (0).
  CHECK(ours[4] != 0);
  CHECK(avro[4] == 0);
  CHECK_FALSE(net::avro_rpc::looks_like_netty_pack(ours));
  CHECK_FALSE(net::avro_rpc::looks_like_zlib_stream(ours));
  CHECK(codec_from_name("zstd").value() == Codec::kZstd);
  CHECK_FALSE(codec_from_name("deflate").is_ok());
}
