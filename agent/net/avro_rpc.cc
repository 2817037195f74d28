#include "agent/net/avro_rpc.h"

#include <nlohmann/json.hpp>

#include <vector>

#include "agent/util/byte_order.h"

namespace flumen::net::avro_rpc {

namespace {

// Avro's Netty transport cuts a message into buffers of 8 KB; a pack of many tiny buffers is
// legal but costs a length each: more buffers than this for the bytes allowed is refused.
constexpr uint32_t kMaxBuffers = 1u << 16;

void write_empty_map(std::string& out) {
  avro::write_long(out, 0);
}

// A map<bytes> (call metadata) or map<string>: read past it.
bool skip_map_of_bytes(avro::Reader& r) {
  int64_t n = 0;
  while (r.read_block_count(n) && n > 0)
    for (int64_t i = 0; i < n; ++i) {
      std::string_view k, v;
      if (!r.read_bytes(k) || !r.read_bytes(v)) return false;
    }
  return r.ok();
}

// A union of null and something: true with `present` telling which.
bool read_optional(avro::Reader& r, bool& present) {
  int64_t branch = 0;
  if (!r.read_long(branch) || (branch != 0 && branch != 1)) return false;
  present = branch == 1;
  return true;
}

bool read_event(avro::Reader& r, EventBatch& events, std::vector<EventBatch::Header>& headers) {
  headers.clear();
  int64_t n = 0;
  while (r.read_block_count(n) && n > 0)
    for (int64_t i = 0; i < n; ++i) {
      std::string_view k, v;
      if (!r.read_bytes(k) || !r.read_bytes(v)) return false;
      headers.emplace_back(k, v);
    }
  std::string_view body;
  if (!r.read_bytes(body)) return false;
  events.add(body, headers);
  return true;
}

}  // namespace

std::string_view protocol_text() {
  static const std::string text = nlohmann::json{
      {"protocol", "AvroSourceProtocol"},
      {"namespace", "org.apache.flume.source.avro"},
      {"types",
       {{{"type", "enum"}, {"name", "Status"}, {"symbols", {"OK", "FAILED", "UNKNOWN"}}},
        {{"type", "record"},
         {"name", "AvroFlumeEvent"},
         {"fields",
          {{{"name", "headers"}, {"type", {{"type", "map"}, {"values", "string"}}}},
           {{"name", "body"}, {"type", "bytes"}}}}}}},
      {"messages",
       {{"append",
         {{"request", {{{"name", "event"}, {"type", "AvroFlumeEvent"}}}}, {"response", "Status"}}},
        {"appendBatch",
         {{"request",
           {{{"name", "events"}, {"type", {{"type", "array"}, {"items", "AvroFlumeEvent"}}}}}},
          {"response", "Status"}}}}}}.dump();
  return text;
}

bool is_flume_protocol(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || j.value("protocol", std::string()) != "AvroSourceProtocol") return false;
  auto m = j.find("messages");
  return m != j.end() && m->is_object() && (m->contains("appendBatch") || m->contains("append"));
}

Split split_pack(std::string_view buf, size_t max_bytes, uint32_t& serial, std::string& payload,
                 size_t& consumed) {
  if (buf.size() < 8) return Split::kNeedMore;
  serial = util::load_be<uint32_t>(buf.data());
  const uint32_t count = util::load_be<uint32_t>(buf.data() + 4);
  if (count > kMaxBuffers) return Split::kMalformed;
  size_t at = 8;
  uint64_t total = 0;
  // Sizes first: the whole frame is known to fit before any byte is copied.
  for (uint32_t i = 0; i < count; ++i) {
    if (buf.size() < at + 4) return Split::kNeedMore;
    const uint32_t len = util::load_be<uint32_t>(buf.data() + at);
    total += len;
    if (total > max_bytes) return Split::kTooLarge;
    if (buf.size() < at + 4 + len) return Split::kNeedMore;
    at += 4 + len;
  }
  payload.clear();
  payload.reserve(static_cast<size_t>(total));
  for (size_t p = 8; p < at;) {
    const uint32_t len = util::load_be<uint32_t>(buf.data() + p);
    payload.append(buf.data() + p + 4, len);
    p += 4 + len;
  }
  consumed = at;
  return Split::kPack;
}

void append_pack(std::string& out, uint32_t serial, std::string_view payload) {
  const size_t at = begin_pack(out, serial);
  out.append(payload);
  end_pack(out, at);
}

size_t begin_pack(std::string& out, uint32_t serial) {
  const size_t at = out.size();
  util::append_be<uint32_t>(out, serial);
  util::append_be<uint32_t>(out, 1);
  util::append_be<uint32_t>(out, 0);  // the buffer's length, set by end_pack
  return at;
}

void end_pack(std::string& out, size_t at) {
  util::store_be<uint32_t>(out.data() + at + 8, static_cast<uint32_t>(out.size() - at - 12));
}

bool read_handshake_request(avro::Reader& r, HandshakeRequest& out) {
  bool present = false;
  if (!r.read_fixed(16, out.client_hash) || !read_optional(r, present)) return false;
  out.client_protocol.reset();
  if (present) {
    std::string_view text;
    if (!r.read_bytes(text)) return false;
    out.client_protocol = text;
  }
  if (!r.read_fixed(16, out.server_hash) || !read_optional(r, present)) return false;
  return !present || skip_map_of_bytes(r);
}

void write_handshake_response(std::string& out, Match m, bool flumen_forward) {
  avro::write_int(out, static_cast<int32_t>(m));
  if (m == Match::kBoth) {
    out.append("\0\0", 2);  // serverProtocol and serverHash: null
  } else {
    avro::write_long(out, 1);
    avro::write_bytes(out, protocol_text());
    avro::write_long(out, 1);
    out.append(kFlumeProtocolHash);
  }
  if (!flumen_forward) {
    avro::write_long(out, 0);  // meta: null
    return;
  }
  avro::write_long(out, 1);  // meta: a map<bytes> of one entry
  avro::write_long(out, 1);
  avro::write_bytes(out, kFlumenForwardMeta);
  avro::write_bytes(out, "1");
  avro::write_long(out, 0);
}

bool read_call_header(avro::Reader& r, std::string_view& message) {
  return skip_map_of_bytes(r) && r.read_bytes(message);
}

bool read_events(avro::Reader& r, std::string_view message, size_t max_events, EventBatch& events) {
  std::vector<EventBatch::Header> headers;
  if (message == "append") return read_event(r, events, headers) && r.at_end();
  if (message != "appendBatch") return false;
  size_t total = 0;
  int64_t n = 0;
  while (r.read_block_count(n) && n > 0) {
    total += static_cast<size_t>(n);
    if (total > max_events) return false;
    for (int64_t i = 0; i < n; ++i)
      if (!read_event(r, events, headers)) return false;
  }
  return r.at_end();
}

void write_status_response(std::string& out, Status s) {
  write_empty_map(out);
  avro::write_bool(out, false);
  avro::write_int(out, static_cast<int32_t>(s));
}

void write_error_response(std::string& out, std::string_view message) {
  write_empty_map(out);
  avro::write_bool(out, true);
  avro::write_long(out, 0);  // the union of errors: branch 0 is the system error, a string
  avro::write_bytes(out, message);
}

void write_handshake_request(std::string& out, bool with_protocol) {
  out.append(kFlumeProtocolHash);
  if (with_protocol) {
    avro::write_long(out, 1);
    avro::write_bytes(out, protocol_text());
  } else {
    avro::write_long(out, 0);
  }
  out.append(kFlumeProtocolHash);  // the server's, guessed to be ours (as Avro's clients do)
  avro::write_long(out, 0);        // meta: null
}

void write_append_batch(std::string& out, const EventBatch& batch, size_t begin, size_t end) {
  write_empty_map(out);
  avro::write_bytes(out, "appendBatch");
  if (end > begin) {
    avro::write_long(out, static_cast<int64_t>(end - begin));
    for (size_t i = begin; i < end; ++i) {
      const size_t h = batch.header_count(i);
      if (h > 0) {
        avro::write_long(out, static_cast<int64_t>(h));
        for (size_t k = 0; k < h; ++k) {
          auto [key, value] = batch.header_at(i, k);
          avro::write_bytes(out, key);
          avro::write_bytes(out, value);
        }
      }
      avro::write_long(out, 0);
      avro::write_bytes(out, batch.body(i));
    }
  }
  avro::write_long(out, 0);
}

bool read_handshake_response(avro::Reader& r, HandshakeResponse& out) {
  int32_t m = 0;
  if (!r.read_int(m) || m < 0 || m > 2) return false;
  out.match = static_cast<Match>(m);
  bool present = false;
  out.server_protocol.reset();
  out.server_hash.reset();
  if (!read_optional(r, present)) return false;
  if (present) {
    std::string_view text;
    if (!r.read_bytes(text)) return false;
    out.server_protocol = text;
  }
  if (!read_optional(r, present)) return false;
  if (present) {
    std::string_view hash;
    if (!r.read_fixed(16, hash)) return false;
    out.server_hash = hash;
  }
  if (!read_optional(r, present)) return false;
  out.flumen_forward = false;
  if (!present) return true;
  int64_t n = 0;
  while (r.read_block_count(n) && n > 0)
    for (int64_t i = 0; i < n; ++i) {
      std::string_view k, v;
      if (!r.read_bytes(k) || !r.read_bytes(v)) return false;
      if (k == kFlumenForwardMeta) out.flumen_forward = true;
    }
  return r.ok();
}

bool read_call_response(avro::Reader& r, Status& status, std::string& error) {
  bool is_error = false;
  if (!skip_map_of_bytes(r) || !r.read_bool(is_error)) return false;
  if (!is_error) {
    int32_t s = 0;
    if (!r.read_int(s) || s < 0 || s > 2) return false;
    status = static_cast<Status>(s);
    return true;
  }
  int64_t branch = 0;
  std::string_view message;
  if (!r.read_long(branch)) return false;
  // Branch 0 is a string; a declared error (AvroSourceProtocol declares none) is not decoded.
  if (branch == 0 && r.read_bytes(message))
    error.assign(message);
  else
    error = "an error the protocol does not declare";
  status = Status::kUnknown;
  return true;
}

bool looks_like_netty_pack(std::string_view b) {
  if (b.size() < 12) return false;
  const uint32_t count = util::load_be<uint32_t>(b.data() + 4);
  const uint32_t first_len = util::load_be<uint32_t>(b.data() + 8);
  return count >= 1 && count <= kMaxBuffers && first_len > 0 && first_len <= (64u << 20);
}

bool looks_like_zlib_stream(std::string_view b) {
  // RFC 1950: CMF 0x78 (deflate, 32K window), and the header as a big-endian u16 is a multiple
  // of 31.
  if (b.size() < 2) return false;
  const auto cmf = static_cast<uint8_t>(b[0]), flg = static_cast<uint8_t>(b[1]);
  return cmf == 0x78 && ((cmf << 8) | flg) % 31 == 0;
}

}  // namespace flumen::net::avro_rpc
