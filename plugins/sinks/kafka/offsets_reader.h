#pragma once
// Reads an exactly-once kafka sink's offsets topic back (take_record.h): with read_committed,
// from a known offset to the end of partition 0, the newest take a transactional.id committed.
// Records of aborted or still open transactions are never seen.
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "agent/util/result.h"
#include "plugins/sinks/kafka/take_record.h"

namespace flumen::plugins {

struct CommittedTakes {
  std::optional<KafkaTake> newest;  // of the key, from `from` on; none if it has no record there
  int64_t newest_offset = -1;       // that record's offset
};

// `client` holds the sink's librdkafka properties (bootstrap.servers, TLS, SASL: the consumer
// uses those). Reads until it has passed the partition's high watermark as it was when called,
// so a transaction committed before the call is seen even while another producer's transaction
// holds the last stable offset back for a while; kUnavailable when that takes over `timeout_ms`.
Result<CommittedTakes> read_committed_takes(const std::map<std::string, std::string>& client,
                                            const std::string& topic, const std::string& key,
                                            int64_t from, int timeout_ms);

}  // namespace flumen::plugins
