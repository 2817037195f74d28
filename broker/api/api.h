#pragma once
// The Kafka APIs the broker answers. One file per API holds the description of its request and
// response (every version, flexible ones included, in the terms of Kafka's message specs: see
// broker/protocol/schema.h), the version range served and the handler. The handler works on the
// decoded request and fills the response, once for every version: decoding and encoding follow
// from the description. One table (api_table.cc) lists the APIs: it drives both dispatch and the
// ApiVersions answer, so the broker never advertises what it does not implement.
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <vector>

#include "broker/broker_config.h"
#include "broker/broker_dynamic_configs.h"
#include "broker/groups/group_coordinator.h"
#include "broker/groups/offset_store.h"
#include "broker/protocol/message.h"
#include "broker/protocol/schema.h"
#include "broker/protocol/wire.h"
#include "broker/storage/topic_store.h"
#include "broker/txn/txn_coordinator.h"

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
  int64_t now_ms = 0;    // steady clock: sessions, timeouts
  int64_t wall_ms = 0;   // wall clock: LogAppendTime
  ReplyHandle deferred;  // set by handlers that answer later
  ProducerIds* producer_ids = nullptr;
  TxnCoordinator* txn = nullptr;  // the transaction coordinator (null: transactions refused)
  DynamicBrokerConfigs* dynamic_configs = nullptr;  // BROKER resources (null: not alterable)
  bool final_attempt = false;  // Fetch: answer with what there is (max_wait passed)
  int64_t wait_ms = 0;         // Fetch, out: how long it may wait
  int appended_batches = 0;    // Produce, out: batches appended (wake parked fetches)
  int duplicate_batches = 0;   // Produce, out: batches an idempotent producer sent again
};

using Handler = Reply (*)(ApiContext& ctx, const Request& req, const Struct& in, Struct& out);

struct ApiInfo {
  ApiInfo(int16_t key, const char* name, int16_t min_version, int16_t max_version,
          const schema::Message& request, const schema::Message& response, Handler handler)
      : key(key),
        name(name),
        min_version(min_version),
        max_version(max_version),
        first_flexible(request.flexible.lo),
        request(&request),
        response(&response),
        handler(handler) {}
  int16_t key;
  const char* name;
  int16_t min_version;
  int16_t max_version;
  int16_t first_flexible;  // requests at or above this version use the flexible encoding
  const schema::Message* request;
  const schema::Message* response;
  Handler handler;
  // Decodes the request body, runs the handler and, when it answers now, encodes its response
  // after what `out` holds. A request that does not decode leaves `in` failed.
  Reply handle(ApiContext& ctx, const Request& req, WireReader& in, WireWriter& out) const;
};

const std::vector<ApiInfo>& api_table();
const ApiInfo* find_api(int16_t key);

// Auto-creates a topic when the config allows it (Metadata, Produce); null when it does not
// exist and may not be created.
Topic* topic_or_create(ApiContext& ctx, std::string_view name, bool allow);
// The partition's log, or null when the topic or the partition does not exist.
PartitionLog* find_partition(Topic* topic, int64_t index);
// A request's (or a LeaveGroup member's) GroupInstanceId: null when absent or null.
std::optional<std::string> group_instance_id(const Struct& s);

// One per API file.
const ApiInfo& api_versions_api();
const ApiInfo& metadata_api();
const ApiInfo& produce_api();
const ApiInfo& fetch_api();
const ApiInfo& list_offsets_api();
const ApiInfo& find_coordinator_api();
const ApiInfo& create_topics_api();
const ApiInfo& delete_topics_api();
const ApiInfo& join_group_api();
const ApiInfo& sync_group_api();
const ApiInfo& heartbeat_api();
const ApiInfo& leave_group_api();
const ApiInfo& offset_commit_api();
const ApiInfo& offset_fetch_api();
const ApiInfo& describe_groups_api();
const ApiInfo& list_groups_api();
const ApiInfo& init_producer_id_api();
const ApiInfo& describe_configs_api();
const ApiInfo& alter_configs_api();
const ApiInfo& incremental_alter_configs_api();
const ApiInfo& create_partitions_api();
const ApiInfo& delete_records_api();
const ApiInfo& delete_groups_api();
const ApiInfo& offset_delete_api();
const ApiInfo& add_partitions_to_txn_api();
const ApiInfo& add_offsets_to_txn_api();
const ApiInfo& end_txn_api();
const ApiInfo& txn_offset_commit_api();
const ApiInfo& describe_acls_api();
const ApiInfo& create_acls_api();
const ApiInfo& delete_acls_api();
const ApiInfo& describe_cluster_api();
// The message of the ACL APIs' SECURITY_DISABLED: the broker has no authorizer.
inline constexpr const char* kNoAuthorizer = "No Authorizer is configured on the broker";
// What a client asking for its authorized operations (Metadata, DescribeGroups,
// DescribeCluster) is told: without an authorizer, as Kafka, every operation the resource
// type supports, as a bit field of Kafka's AclOperation codes (READ 3, WRITE 4, CREATE 5,
// DELETE 6, ALTER 7, DESCRIBE 8, CLUSTER_ACTION 9, DESCRIBE_CONFIGS 10, ALTER_CONFIGS 11,
// IDEMPOTENT_WRITE 12). Not asked for: INT32_MIN, the specs' default.
inline constexpr int32_t acl_bits(std::initializer_list<int> ops) {
  int32_t bits = 0;
  for (int op : ops)
    bits |= int32_t{1} << op;
  return bits;
}
inline constexpr int32_t kTopicOperations = acl_bits({3, 4, 5, 6, 7, 8, 10, 11});
// Groups as Kafka 4 has them (KIP-848 group configs: DESCRIBE_CONFIGS, ALTER_CONFIGS).
inline constexpr int32_t kGroupOperations = acl_bits({3, 6, 8, 10, 11});
inline constexpr int32_t kClusterOperations = acl_bits({5, 7, 8, 9, 10, 11, 12});
// Listed for ApiVersions; answered by the server's connection layer (broker/server/sasl_api.cc).
const ApiInfo& sasl_handshake_api();
const ApiInfo& sasl_authenticate_api();

// Config resource types and IncrementalAlterConfigs operations, as Kafka numbers them.
inline constexpr int64_t kTopicResource = 2, kBrokerResource = 4;
inline constexpr int64_t kConfigOpSet = 0, kConfigOpDelete = 1, kConfigOpAppend = 2,
                         kConfigOpSubtract = 3;

// What Kafka refuses in an AlterConfigs or IncrementalAlterConfigs resource before looking at
// it: a config named twice, a null value other than DELETE's, an unknown operation
// (INVALID_REQUEST with Kafka's message).
int16_t check_alter_resource(const Struct& resource, bool incremental, std::string& why);
// APPEND or SUBTRACT of `value`'s items to the list `current` (a list config only, else
// INVALID_CONFIG as Kafka answers): APPEND adds the items not there yet, SUBTRACT removes each
// item's first occurrence.
int16_t apply_list_op(std::string_view name, int64_t op, std::string_view value,
                      std::string& current, std::string& why);
// AlterConfigs (incremental = false: the given set replaces the overrides) and
// IncrementalAlterConfigs (SET/DELETE/APPEND/SUBTRACT per config) of one topic: 0 or a Kafka
// error with `why`. Everything is validated before anything changes.
int16_t alter_topic_configs(ApiContext& ctx, const Struct& resource, bool incremental,
                            bool validate_only, std::string& why);
// The same for a BROKER resource (its name: the node id, or "" for the cluster default).
int16_t alter_broker_configs(DynamicBrokerConfigs& configs, const Struct& resource,
                             bool incremental, bool validate_only, std::string& why);
// The whole answer of either API: one response per resource, with its error and message.
void answer_alter_configs(ApiContext& ctx, const Struct& in, Struct& out, bool incremental);

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
inline constexpr int16_t kNotCoordinator = 16;
inline constexpr int16_t kRecordListTooLarge = 18;
inline constexpr int16_t kTopicAlreadyExists = 36;
inline constexpr int16_t kInvalidPartitions = 37;
inline constexpr int16_t kInvalidReplicaAssignment = 39;
inline constexpr int16_t kInvalidConfig = 40;
inline constexpr int16_t kPolicyViolation = 44;
inline constexpr int16_t kSecurityDisabled = 54;
inline constexpr int16_t kNonEmptyGroup = 68;
inline constexpr int16_t kGroupIdNotFound = 69;
inline constexpr int16_t kGroupSubscribedToTopic = 86;
inline constexpr int16_t kUnknownTopicId = 100;
}  // namespace kafka_error

}  // namespace flumen::broker
