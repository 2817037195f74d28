#pragma once
// SenderRecord: what a forward sink keeps in its durable channel so that a kill -9 of its agent
// does not make the receiver put a batch twice (docs/protocol-forward.md, "The sender's
// record"). One marker per sink, "fwd-sink/<sink>" (a worker: "<sink>#<n>"), holding:
//  - its stream id and the next sequence number it will use: the sink goes on with the same
//    stream after a restart, numbering above every number it ever sent;
//  - for each take in flight (a sync window holds up to 8, in channel order), its plan: the
//    number of its first batch, the event count of each batch, the count and identity (hash) of
//    all its events. Written (Channel::save_marker) before the first byte of a take is sent,
//    with the plans of the takes before it still in flight; each take's commit
//    (DeliveryResult::markers) stores the record with the plans of the takes after it only,
//    atomically with the removal of its events.
// After a kill -9 the takes' events are back at the head of the channel, in order. The
// restarted sink takes exactly as many as the first plan holds, and if they are the same events
// (same hash) sends them as the same batches with the same numbers, then the next plan: the
// receiver acknowledges those it committed without a second put. Other events (another taker
// got them) get new numbers: never a number twice.
//
// Value (text, one line): "1 <stream:hex> <next_seq> <recorded_at_ms>" then, for each take in
// flight, " <first_seq> <events> <hash:hex> <count>,<count>,...".
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/event/event_batch.h"

namespace flumen::plugins {

// The plan of one take in flight.
struct TakePlanRecord {
  uint64_t first_seq = 0;
  uint64_t events = 0;
  uint64_t events_hash = 0;
  std::vector<uint32_t> counts;  // events per batch; batches are numbered from first_seq
};

struct SenderRecord {
  uint64_t stream = 0;
  uint64_t next_seq = 1;
  int64_t recorded_at_ms = 0;  // wall clock: which member of a sink group wrote last
  // The takes in flight, in channel order (their numbers ascending); empty when none is.
  std::vector<TakePlanRecord> takes;

  bool has_plan() const { return !takes.empty(); }
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
