#pragma once
// What an exactly-once kafka sink keeps so that a take is in Kafka once across kill -9 of its
// agent, failed transactions and timeouts (docs/guide.md, "The kafka sink, exactly once"):
//  - in its durable channel, one marker "kafka-sink/<sink>" (a worker: "<sink>#<n>"): its
//    transactional.id (made once, then kept), the number of its next take, the offset its
//    offsets-topic record of the last committed take had, and, while a take is in flight, that
//    take's number, event count and identity (events_identity). Written (Channel::save_marker)
//    before the take's transaction begins; replaced by a record without the take in the take's
//    commit (DeliveryResult::markers), atomically with the removal of the events.
//  - in Kafka, in the same transaction as the take's records, one record in the offsets topic:
//    key = the transactional.id, value = the take's number, event count and identity.
// After a restart (or a transaction whose outcome is unknown) the sink initialises its producer
// again (which fences an older producer of the same id and completes or aborts its
// transaction), reads the offsets topic with read_committed, and if the take in flight is there
// commits the events at the head of its channel without producing them again.
//
// Channel value (text, one line): "1 <transactional.id> <next_take> <offsets_from>" then, with a
// take in flight, " <take> <events> <identity:hex>". Offsets-topic value: "1 <take> <events>
// <identity:hex>".
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace flumen::plugins {

struct KafkaTake {
  uint64_t take = 0;  // numbered from 1 per transactional.id
  uint64_t events = 0;
  uint64_t identity = 0;  // events_identity() of the take's events
  bool operator==(const KafkaTake&) const = default;
};

struct KafkaSinkRecord {
  std::string transactional_id;
  uint64_t next_take = 1;
  int64_t offsets_from = 0;  // where reading the offsets topic back may start
  std::optional<KafkaTake> in_flight;

  std::string encode() const;
  // nullopt for a value this version cannot read.
  static std::optional<KafkaSinkRecord> decode(std::string_view value);
};

std::string encode_offsets_value(const KafkaTake& t);
std::optional<KafkaTake> decode_offsets_value(std::string_view value);

// The marker key of a sink's record.
std::string kafka_sink_record_key(const std::string& state_key);

// A transactional.id for a sink that has none yet: "flumen-<host>-<state key>-<random hex>".
// The random part keeps two agents of the same names apart; it is kept in the channel, so the id
// stays the same across restarts.
std::string new_transactional_id(const std::string& state_key);

}  // namespace flumen::plugins
