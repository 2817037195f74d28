#include "plugins/sinks/kafka/take_record.h"

#include <unistd.h>

#include <random>
#include <sstream>

namespace flumen::plugins {

namespace {

std::string hex(uint64_t v) {
  std::ostringstream s;
  s << std::hex << v;
  return s.str();
}

// " <take> <events> <identity:hex>" read from `in`; false if any field is missing or bad.
bool read_take(std::istringstream& in, KafkaTake& t) {
  return static_cast<bool>(in >> t.take >> t.events >> std::hex >> t.identity >> std::dec) &&
         t.take > 0;
}

std::string take_fields(const KafkaTake& t) {
  return std::to_string(t.take) + " " + std::to_string(t.events) + " " + hex(t.identity);
}

}  // namespace

std::string KafkaSinkRecord::encode() const {
  std::string out = "1 " + transactional_id + " " + std::to_string(next_take) + " " +
                    std::to_string(offsets_from);
  if (in_flight) out += " " + take_fields(*in_flight);
  return out;
}

std::optional<KafkaSinkRecord> KafkaSinkRecord::decode(std::string_view value) {
  std::istringstream in{std::string(value)};
  int version = 0;
  KafkaSinkRecord r;
  if (!(in >> version >> r.transactional_id >> r.next_take >> r.offsets_from) || version != 1 ||
      r.next_take == 0 || r.offsets_from < 0)
    return std::nullopt;
  in >> std::ws;
  if (in.eof()) return r;
  KafkaTake t;
  if (!read_take(in, t)) return std::nullopt;
  r.in_flight = t;
  return r;
}

std::string encode_offsets_value(const KafkaTake& t) {
  return "1 " + take_fields(t);
}

std::optional<KafkaTake> decode_offsets_value(std::string_view value) {
  std::istringstream in{std::string(value)};
  int version = 0;
  KafkaTake t;
  if (!(in >> version) || version != 1 || !read_take(in, t)) return std::nullopt;
  return t;
}

std::string kafka_sink_record_key(const std::string& state_key) {
  return "kafka-sink/" + state_key;
}

std::string new_transactional_id(const std::string& state_key) {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || !host[0]) std::snprintf(host, sizeof host, "host");
  std::random_device rd;
  const uint64_t r = (uint64_t{rd()} << 32) ^ rd();
  std::string id = "flumen-" + std::string(host) + "-" + state_key + "-" + hex(r);
  // One word in the channel record.
  for (char& c : id)
    if (c == ' ' || c == '\t' || c == '\n') c = '_';
  return id;
}

}  // namespace flumen::plugins
