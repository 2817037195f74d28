#pragma once
// SenderRecord: what a forward sink keeps in its durable channel so that a kill -9 of its agent
// does not make the receiver put a batch twice (docs/protocol-forward.md, "The sender's
// record"). One marker per sink, "fwd-sink/<sink>" (a worker: "<sink>#<n>"), holding:
//  - its stream id and the next sequence number it will use: the sink goes on with the same
//    stream after a restart, numbering above every number it ever sent;
//  - while a take is in flight, its plan: the number of its first batch, the event count of each
//    batch, the count and identity (hash) of all its events. Written (Channel::save_marker)
//    before the first byte of the take is sent; replaced by a record without a plan in the
//    take's commit (DeliveryResult::markers), atomically with the removal of the events.
// After a kill -9 the take's events are back at the head of the channel. The restarted sink
// takes exactly as many, and if they are the same events (same hash) sends them as the same
// batches with the same numbers: the receiver acknowledges those it committed without a
// second put. Other events (another taker got them) get new numbers: never a number twice.
//
// Value (text, one line): "1 <stream:hex> <next_seq> <recorded_at_ms>" then, with a plan,
// " <first_seq> <events> <hash:hex> <count>,<count>,...".
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/event/event_batch.h"

namespace flumen::plugins {

struct SenderRecord {
  uint64_t stream = 0;
  uint64_t next_seq = 1;
  int64_t recorded_at_ms = 0;  // wall clock: which member of a sink group wrote last
  // The take in flight; counts is empty when the last take committed.
  uint64_t first_seq = 0;
  uint64_t events = 0;
  uint64_t events_hash = 0;
  std::vector<uint32_t> counts;

  bool has_plan() const { return !counts.empty(); }
  std::string encode() const;
  // nullopt for a value this version cannot read (the sink then starts a new stream).
  static std::optional<SenderRecord> decode(std::string_view value);
};

// The marker key of a sink's record.
std::string sender_record_key(const std::string& state_key);

// A 64-bit identity of a batch's events (bodies and headers, in order), the same in every
// process and build: unlike std::hash, its value is stored and compared after a restart.
uint64_t events_identity(const EventBatch& batch);

}  // namespace flumen::plugins
