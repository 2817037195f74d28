#include "broker/api/api.h"

namespace flumen::broker {

const std::vector<ApiInfo>& api_table() {
  // Ranges from docs (kafka-protocol guide, section 0): what librdkafka 2.0.2, kcat and kafkajs
  // need, no flexible versions but ApiVersions v3. Produce advertises 0-2 (answered with
  // UNSUPPORTED_VERSION) because older librdkafka stops compressing otherwise; FindCoordinator 0
  // is in range because librdkafka gates LZ4 on it.
  static const std::vector<ApiInfo> table = {
      {0, "Produce", 0, 7, 9, handle_produce},
      {1, "Fetch", 4, 11, 12, handle_fetch},
      {2, "ListOffsets", 1, 3, 6, handle_list_offsets},
      {3, "Metadata", 1, 6, 9, handle_metadata},
      {8, "OffsetCommit", 2, 7, 8, handle_offset_commit},
      {9, "OffsetFetch", 1, 5, 6, handle_offset_fetch},
      {10, "FindCoordinator", 0, 2, 3, handle_find_coordinator},
      {11, "JoinGroup", 0, 5, 6, handle_join_group},
      {12, "Heartbeat", 0, 3, 4, handle_heartbeat},
      {13, "LeaveGroup", 0, 3, 4, handle_leave_group},
      {14, "SyncGroup", 0, 3, 4, handle_sync_group},
      {15, "DescribeGroups", 0, 2, 5, handle_describe_groups},
      {16, "ListGroups", 0, 2, 3, handle_list_groups},
      {18, "ApiVersions", 0, 3, 3, handle_api_versions},
      {19, "CreateTopics", 0, 4, 5, handle_create_topics},
      {22, "InitProducerId", 0, 1, 2, handle_init_producer_id},
      {32, "DescribeConfigs", 0, 2, 4, handle_describe_configs},
      {20, "DeleteTopics", 0, 1, 4, handle_delete_topics},
  };
  return table;
}

const ApiInfo* find_api(int16_t key) {
  for (const ApiInfo& a : api_table())
    if (a.key == key) return &a;
  return nullptr;
}

Topic* topic_or_create(ApiContext& ctx, std::string_view name, bool allow) {
  if (Topic* t = ctx.store.find(name)) return t;
  if (!allow || !ctx.config.auto_create_topics) return nullptr;
  std::string why;
  if (ctx.store.create(name, ctx.config.num_partitions, why) != 0) return nullptr;
  return ctx.store.find(name);
}

}  // namespace flumen::broker
