#include "agent/net/avro_rpc.h"

#include <doctest/doctest.h>

#include "agent/net/zlib_stream.h"
#include "agent/util/byte_order.h"

using namespace flumen;
using namespace flumen::net;

namespace {

std::string encode_long(int64_t v) {
  std::string out;
  avro::write_long(out, v);
  return out;
}

// A Netty frame whose payload is cut into buffers of `piece` bytes, as Avro's transport does.
std::string pack_in_pieces(uint32_t serial, std::string_view payload, size_t piece) {
  std::string out;
  util::append_be<uint32_t>(out, serial);
  const size_t count = (payload.size() + piece - 1) / piece;
  util::append_be<uint32_t>(out, static_cast<uint32_t>(count));
  for (size_t at = 0; at < payload.size(); at += piece) {
    std::string_view part = payload.substr(at, piece);
    util::append_be<uint32_t>(out, static_cast<uint32_t>(part.size()));
    out.append(part);
  }
  return out;
}

}  // namespace

TEST_CASE("avro longs use the specification's zig-zag varints") {
  CHECK(encode_long(0) == std::string("\x00", 1));
  CHECK(encode_long(-1) == "\x01");
  CHECK(encode_long(1) == "\x02");
  CHECK(encode_long(-64) == "\x7f");
  CHECK(encode_long(64) == "\x80\x01");
  for (int64_t v : {INT64_MIN, INT64_MAX, int64_t{-123456789}, int64_t{987654321}}) {
    std::string e = encode_long(v);
    avro::Reader r(e);
    int64_t back = 0;
    REQUIRE(r.read_long(back));
    CHECK(back == v);
    CHECK(r.at_end());
  }
  const std::string eleven(11, '\x80');
  avro::Reader too_long(eleven);
  int64_t v = 0;
  CHECK_FALSE(too_long.read_long(v));
}

TEST_CASE("a length longer than the bytes left fails, and the reader stays failed") {
  std::string wire = encode_long(1000) + "short";
  avro::Reader r(wire);
  std::string_view b;
  CHECK_FALSE(r.read_bytes(b));
  CHECK_FALSE(r.ok());
  int64_t v = 0;
  CHECK_FALSE(r.read_long(v));
  // A block count of a billion items in a few bytes is refused before anything is reserved.
  std::string lie = encode_long(1000000000) + "abc";
  avro::Reader r2(lie);
  int64_t n = 0;
  CHECK_FALSE(r2.read_block_count(n));
}

TEST_CASE("a netty frame of several buffers is one payload; short input waits for more") {
  std::string payload(20000, 'p');
  for (size_t i = 0; i < payload.size(); ++i)
    payload[i] = static_cast<char>('a' + i % 26);
  std::string wire = pack_in_pieces(7, payload, 8192) + "next";
  uint32_t serial = 0;
  std::string got;
  size_t used = 0;
  for (size_t cut = 0; cut < wire.size() - 4; cut += 997)
    CHECK(avro_rpc::split_pack(std::string_view(wire).substr(0, cut), 1 << 20, serial, got, used) ==
          avro_rpc::Split::kNeedMore);
  REQUIRE(avro_rpc::split_pack(wire, 1 << 20, serial, got, used) == avro_rpc::Split::kPack);
  CHECK(serial == 7);
  CHECK(got == payload);
  CHECK(used == wire.size() - 4);
  // A frame written in place is the one append_pack makes, and reads back.
  std::string in_place;
  const size_t at = avro_rpc::begin_pack(in_place, 9);
  in_place += payload;
  avro_rpc::end_pack(in_place, at);
  std::string copied;
  avro_rpc::append_pack(copied, 9, payload);
  CHECK(in_place == copied);
  REQUIRE(avro_rpc::split_pack(in_place, 1 << 20, serial, got, used) == avro_rpc::Split::kPack);
  CHECK((serial == 9 && got == payload && used == in_place.size()));
  // An announced buffer larger than allowed is refused from its length alone.
  std::string huge;
  util::append_be<uint32_t>(huge, 1);
  util::append_be<uint32_t>(huge, 1);
  util::append_be<uint32_t>(huge, 0xfffffff0u);
  CHECK(avro_rpc::split_pack(huge, 1 << 20, serial, got, used) == avro_rpc::Split::kTooLarge);
  std::string many;
  util::append_be<uint32_t>(many, 1);
  util::append_be<uint32_t>(many, 0x7fffffffu);
  CHECK(avro_rpc::split_pack(many, 1 << 20, serial, got, used) == avro_rpc::Split::kMalformed);
}

TEST_CASE("a client's handshake and appendBatch read back on the server side") {
  EventBatch in;
  in.add("first", {{"host", "car-1"}, {"logtype", "drive"}});
  in.add("");
  in.add(std::string(3000, 'z'), {{"k", ""}});
  std::string msg;
  avro_rpc::write_handshake_request(msg, true);
  avro_rpc::write_append_batch(msg, in, 0, in.size());

  avro::Reader r(msg);
  avro_rpc::HandshakeRequest h;
  REQUIRE(avro_rpc::read_handshake_request(r, h));
  CHECK(h.client_hash == avro_rpc::kFlumeProtocolHash);
  CHECK(h.server_hash == avro_rpc::kFlumeProtocolHash);
  REQUIRE(h.client_protocol);
  CHECK(avro_rpc::is_flume_protocol(*h.client_protocol));
  std::string_view message;
  REQUIRE(avro_rpc::read_call_header(r, message));
  CHECK(message == "appendBatch");
  EventBatch out;
  REQUIRE(avro_rpc::read_events(r, message, 100, out));
  REQUIRE(out.size() == 3);
  CHECK(out.body(0) == "first");
  CHECK(out.header(0, "host") == std::optional<std::string_view>("car-1"));
  CHECK(out.header(0, "logtype") == std::optional<std::string_view>("drive"));
  CHECK(out.body(1).empty());
  CHECK(out.header_count(1) == 0);
  CHECK(out.body(2) == std::string(3000, 'z'));

  SUBCASE("more events than allowed are refused") {
    avro::Reader again(msg);
    REQUIRE(avro_rpc::read_handshake_request(again, h));
    REQUIRE(avro_rpc::read_call_header(again, message));
    EventBatch few;
    CHECK_FALSE(avro_rpc::read_events(again, message, 2, few));
  }
}

TEST_CASE("answers: handshake, status and error read back on the client side") {
  std::string wire;
  avro_rpc::write_handshake_response(wire, avro_rpc::Match::kClient);
  avro_rpc::write_status_response(wire, avro_rpc::Status::kFailed);
  avro::Reader r(wire);
  avro_rpc::HandshakeResponse h;
  REQUIRE(avro_rpc::read_handshake_response(r, h));
  CHECK(h.match == avro_rpc::Match::kClient);
  REQUIRE(h.server_protocol);
  CHECK(avro_rpc::is_flume_protocol(*h.server_protocol));
  CHECK(h.server_hash == std::optional<std::string_view>(avro_rpc::kFlumeProtocolHash));
  CHECK(h.flumen_forward);  // flumen's listeners say they speak the forward protocol too
  avro_rpc::Status s{};
  std::string error;
  REQUIRE(avro_rpc::read_call_response(r, s, error));
  CHECK(s == avro_rpc::Status::kFailed);
  CHECK(r.at_end());

  std::string flume_like;
  avro_rpc::write_handshake_response(flume_like, avro_rpc::Match::kBoth, false);
  avro::Reader rf(flume_like);
  REQUIRE(avro_rpc::read_handshake_response(rf, h));
  CHECK(h.match == avro_rpc::Match::kBoth);
  CHECK_FALSE(h.server_protocol);
  CHECK_FALSE(h.flumen_forward);
  CHECK(rf.at_end());

  std::string e;
  avro_rpc::write_error_response(e, "unknown message");
  avro::Reader re(e);
  REQUIRE(avro_rpc::read_call_response(re, s, error));
  CHECK(s == avro_rpc::Status::kUnknown);
  CHECK(error == "unknown message");
  CHECK_FALSE(avro_rpc::is_flume_protocol("{\"protocol\":\"Other\",\"messages\":{}}"));
  CHECK_FALSE(avro_rpc::is_flume_protocol("not json"));
}

TEST_CASE("a zlib stream inflates byte by byte; a bomb is refused as it inflates") {
  ZlibDeflater d;
  std::string wire;
  std::string plain;
  for (int i = 0; i < 50; ++i) {
    std::string part = "write " + std::to_string(i) + std::string(i * 10, 'q');
    plain += part;
    d.write(part, wire);
  }
  CHECK(avro_rpc::looks_like_zlib_stream(wire));
  ZlibInflater in;
  std::string out, error;
  for (char c : wire)
    REQUIRE(in.feed(std::string_view(&c, 1), out, 1 << 20, error));
  CHECK(out == plain);

  ZlibDeflater bomb_maker;
  std::string bomb;
  bomb_maker.write(std::string(8 << 20, '\0'), bomb);
  CHECK(bomb.size() < 64 * 1024);
  ZlibInflater victim;
  std::string big;
  CHECK_FALSE(victim.feed(bomb, big, 1 << 20, error));
  CHECK(big.size() <= (1u << 20));
  ZlibInflater garbage;
  CHECK_FALSE(garbage.feed("\x78\x9c not deflate at all", big, 1 << 20, error));
}
