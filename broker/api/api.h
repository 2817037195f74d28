#pragma once
// The Kafka APIs the broker answers. One table (api_table.cc) lists each API with its version
// range and handler: it drives both dispatch and the ApiVersions answer, so the broker never
// advertises what it does not implement. One file per API.
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "broker/broker_config.h"
#include "broker/groups/group_coordinator.h"
#include "broker/groups/offset_store.h"
#include "broker/protocol/wire.h"
#include "broker/storage/topic_store.h"

namespace flumen::broker {

struct Request {
  int16_t api_key = 0;
  int16_t api_version = 0;
  int32_t correlation_id = 0;
  std::optional<std::string_view> client_id;
  bool flexible = false;
};

enum class Reply {
  kNow,          // the response body is complete
  kNone,         // no response at all (Produce with acks=0)
  kAfterFlush,   // answer once the appended data is fsynced (acks=all)
  kWaitForData,  // Fetch below min_bytes: park until data arrives or max_wait passes
  kDeferred,     // answered later through ApiContext::deferred (JoinGroup, SyncGroup)
};

struct ApiContext {
  ApiContext(const BrokerConfig& c, TopicStore& s, GroupCoordinator& g, OffsetStore& o,
             std::string_view host, int port, std::string_view client)
      : config(c),
        store(s),
        groups(g),
        offsets(o),
        advertised_host(host),
        advertised_port(port),
        client_host(client) {}
  const BrokerConfig& config;
  TopicStore& store;
  GroupCoordinator& groups;
  OffsetStore& offsets;
  std::string_view advertised_host;
  int advertised_port;
  std::string_view client_host;
  int64_t now_ms = 0;
  ReplyHandle deferred;  // set by handlers that answer later
  ProducerIds* producer_ids = nullptr;
  bool final_attempt = false;  // Fetch: answer with what there is (max_wait passed)
  int64_t wait_ms = 0;         // Fetch, out: how long it may wait
  int appended_batches = 0;    // Produce, out: batches appended (wake parked fetches)
  int duplicate_batches = 0;   // Produce, out: batches an idempotent producer sent again
};

using Handler = Reply (*)(ApiContext& ctx, const Request& req, WireReader& in, WireWriter& out);

struct ApiInfo {
  int16_t key;
  const char* name;
  int16_t min_version;
  int16_t max_version;
  int16_t first_flexible;  // requests at or above this version use the flexible encoding
  Handler handle;
};

const std::vector<ApiInfo>& api_table();
const ApiInfo* find_api(int16_t key);

// Auto-creates a topic when the config allows it (Metadata, Produce); null when it does not
// exist and may not be created.
Topic* topic_or_create(ApiContext& ctx, std::string_view name, bool allow);

Reply handle_api_versions(ApiContext&, const Request&, WireReader&, WireWriter&);
Reply handle_metadata(ApiContext&, const Request&, WireReader&, WireWriter&);
Reply handle_produce(ApiContext&, const Request&, WireReader&, WireWriter&);
Reply handle_fetch(ApiContext&, const Request&, WireReader&, WireWriter&);
Reply handle_list_offsets(ApiContext&, const Request&, WireReader&, WireWriter&);
Reply handle_find_coordinator(ApiContext&, const Request&, WireReader&, WireWriter&);
Reply handle_create_topics(ApiContext&, const Request&, WireReader&, WireWriter&);
Reply handle_delete_topics(ApiContext&, const Request&, WireReader&, WireWriter&);
Reply handle_join_group(ApiContext&, const Request&, WireReader&, WireWriter&);
Reply handle_sync_group(ApiContext&, const Request&, WireReader&, WireWriter&);
Reply handle_heartbeat(ApiContext&, const Request&, WireReader&, WireWriter&);
Reply handle_leave_group(ApiContext&, const Request&, WireReader&, WireWriter&);
Reply handle_offset_commit(ApiContext&, const Request&, WireReader&, WireWriter&);
Reply handle_offset_fetch(ApiContext&, const Request&, WireReader&, WireWriter&);
Reply handle_describe_groups(ApiContext&, const Request&, WireReader&, WireWriter&);
Reply handle_list_groups(ApiContext&, const Request&, WireReader&, WireWriter&);
Reply handle_init_producer_id(ApiContext&, const Request&, WireReader&, WireWriter&);
Reply handle_describe_configs(ApiContext&, const Request&, WireReader&, WireWriter&);

// Kafka error codes used across handlers.
namespace kafka_error {
inline constexpr int16_t kNone = 0;
inline constexpr int16_t kOffsetOutOfRange = 1;
inline constexpr int16_t kUnknownTopicOrPartition = 3;
inline constexpr int16_t kCoordinatorNotAvailable = 15;
inline constexpr int16_t kInvalidTopic = 17;
inline constexpr int16_t kInvalidRequiredAcks = 21;
inline constexpr int16_t kUnsupportedVersion = 35;
inline constexpr int16_t kInvalidReplicationFactor = 38;
inline constexpr int16_t kInvalidRequest = 42;
inline constexpr int16_t kKafkaStorageError = 56;
inline constexpr int16_t kOffsetMetadataTooLarge = 12;
}  // namespace kafka_error

}  // namespace flumen::broker
