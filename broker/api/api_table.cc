#include "broker/api/api.h"

#include <algorithm>

#include "broker/storage/topic_config.h"

namespace flumen::broker {

const std::vector<ApiInfo>& api_table() {
  // Each API's served range is set in its file: the ranges Apache Kafka 3.x serves (capped where
  // a later version needs what a single node without topic ids in its fetch path cannot give).
  static const std::vector<ApiInfo> table = {
      produce_api(),
      fetch_api(),
      list_offsets_api(),
      metadata_api(),
      offset_commit_api(),
      offset_fetch_api(),
      find_coordinator_api(),
      join_group_api(),
      heartbeat_api(),
      leave_group_api(),
      sync_group_api(),
      describe_groups_api(),
      list_groups_api(),
      api_versions_api(),
      create_topics_api(),
      delete_topics_api(),
      init_producer_id_api(),
      describe_configs_api(),
      alter_configs_api(),
      incremental_alter_configs_api(),
      create_partitions_api(),
      delete_records_api(),
      delete_groups_api(),
      offset_delete_api(),
      add_partitions_to_txn_api(),
      add_offsets_to_txn_api(),
      end_txn_api(),
      txn_offset_commit_api(),
      describe_acls_api(),
      create_acls_api(),
      delete_acls_api(),
      describe_cluster_api(),
      sasl_handshake_api(),
      sasl_authenticate_api(),
  };
  return table;
}

const ApiInfo* find_api(int16_t key) {
  for (const ApiInfo& a : api_table())
    if (a.key == key) return &a;
  return nullptr;
}

Reply ApiInfo::handle(ApiContext& ctx, const Request& req, WireReader& in, WireWriter& out) const {
  Struct body = decode(*request, req.api_version, in);
  if (in.failed()) return Reply::kNow;  // the server closes the connection
  Struct answer(response->fields);
  const Reply reply = handler(ctx, req, body, answer);
  if (reply == Reply::kNow || reply == Reply::kAfterFlush)
    encode(*response, req.api_version, answer, out);
  return reply;
}

Topic* topic_or_create(ApiContext& ctx, std::string_view name, bool allow) {
  if (Topic* t = ctx.store.find(name)) return t;
  if (!allow || !ctx.config.auto_create_topics) return nullptr;
  std::string why;
  if (ctx.store.create(name, ctx.config.num_partitions, why) != 0) return nullptr;
  return ctx.store.find(name);
}

void answer_alter_configs(ApiContext& ctx, const Struct& in, Struct& out, bool incremental) {
  for (const Struct& r : in.array("Resources")) {
    Struct& res = out.add("Responses");
    res.set("ResourceType", r.i("ResourceType")).set("ResourceName", r.s("ResourceName"));
    std::string why;
    int16_t error = check_alter_resource(r, incremental, why);
    if (error == kafka_error::kNone) {
      if (r.i("ResourceType") == kTopicResource) {
        error = alter_topic_configs(ctx, r, incremental, in.b("ValidateOnly"), why);
      } else if (r.i("ResourceType") == kBrokerResource && ctx.dynamic_configs) {
        error =
            alter_broker_configs(*ctx.dynamic_configs, r, incremental, in.b("ValidateOnly"), why);
        // The topic defaults among them apply to every topic at once.
        if (error == kafka_error::kNone && !in.b("ValidateOnly"))
          ctx.store.set_broker_defaults(ctx.dynamic_configs->log_defaults());
      } else {
        why = "Unknown resource type " + std::to_string(r.i("ResourceType"));
        error = kafka_error::kInvalidRequest;
      }
    }
    res.set("ErrorCode", error);
    if (error) {
      res.set("ErrorMessage", why);
    } else {
      res.set_null("ErrorMessage");
    }
  }
}

int16_t check_alter_resource(const Struct& resource, bool incremental, std::string& why) {
  // Kafka refuses these before looking at the resource (ConfigAdminManager's preprocessing).
  std::vector<std::string_view> names, null_values;
  for (const Struct& c : resource.array("Configs")) {
    if (std::find(names.begin(), names.end(), c.s("Name")) != names.end()) {
      why = "Error due to duplicate config keys";
      return kafka_error::kInvalidRequest;
    }
    names.push_back(c.s("Name"));
    if (c.is_null("Value") && !(incremental && c.i("ConfigOperation") == kConfigOpDelete))
      null_values.push_back(c.s("Name"));
    if (incremental &&
        (c.i("ConfigOperation") < kConfigOpSet || c.i("ConfigOperation") > kConfigOpSubtract)) {
      why = "Unknown operations type " + std::to_string(c.i("ConfigOperation"));
      return kafka_error::kInvalidRequest;
    }
  }
  if (!null_values.empty()) {
    why = "Null value not supported for : ";
    for (size_t k = 0; k < null_values.size(); ++k)
      why += (k ? ", " : "") + std::string(null_values[k]);
    return kafka_error::kInvalidRequest;
  }
  return kafka_error::kNone;
}

int16_t apply_list_op(std::string_view name, int64_t op, std::string_view value,
                      std::string& current, std::string& why) {
  if (!is_list_config(name)) {
    why = std::string("Can't ") + (op == kConfigOpAppend ? "APPEND" : "SUBTRACT") + " to key " +
          std::string(name) + " because its type is not LIST.";
    return kafka_error::kInvalidConfig;
  }
  std::vector<std::string> items = split_list(current);
  for (const std::string& v : split_list(value)) {
    auto at = std::find(items.begin(), items.end(), v);
    if (op == kConfigOpAppend && at == items.end()) items.push_back(v);
    if (op == kConfigOpSubtract && at != items.end()) items.erase(at);  // its first occurrence
  }
  current = join_list(items);
  return kafka_error::kNone;
}

int16_t alter_broker_configs(DynamicBrokerConfigs& configs, const Struct& resource,
                             bool incremental, bool validate_only, std::string& why) {
  const std::string_view name = resource.s("ResourceName");
  if (int16_t e = configs.check_name(name, /*describe=*/false, why); e != 0) return e;
  std::vector<DynamicBrokerConfigs::Op> ops;
  for (const Struct& c : resource.array("Configs"))
    ops.push_back({std::string(c.s("Name")), incremental ? c.i("ConfigOperation") : kConfigOpSet,
                   c.is_null("Value") ? std::string() : std::string(c.s("Value"))});
  return configs.alter(name, ops, incremental, validate_only, why);
}

int16_t alter_topic_configs(ApiContext& ctx, const Struct& resource, bool incremental,
                            bool validate_only, std::string& why) {
  Topic* topic = ctx.store.find(resource.s("ResourceName"));
  if (!topic) {
    why = "no topic " + std::string(resource.s("ResourceName"));
    return kafka_error::kUnknownTopicOrPartition;
  }
  TopicConfigs next = incremental ? topic->configs : TopicConfigs{};
  for (const Struct& c : resource.array("Configs")) {
    const std::string name(c.s("Name"));
    const int64_t op = incremental ? c.i("ConfigOperation") : kConfigOpSet;
    if (op == kConfigOpDelete) {
      if (!is_topic_config(name)) {
        why = "unknown topic config " + name;
        return kafka_error::kInvalidConfig;
      }
      next.erase(name);
      continue;
    }
    std::string value(c.s("Value"));
    if (op == kConfigOpAppend || op == kConfigOpSubtract) {
      // From the topic's override, else Kafka's own default (as Kafka's controller does).
      auto it = next.find(name);
      std::string current = it != next.end() ? it->second : kafka_default_of(name);
      if (int16_t e = apply_list_op(name, op, value, current, why); e != 0) return e;
      value = std::move(current);
    }
    if (int16_t e = validate_topic_config(name, value, why); e != 0) return e;
    next[name] = std::move(value);
  }
  if (validate_only) return kafka_error::kNone;
  if (Status s = ctx.store.set_configs(*topic, std::move(next)); !s) {
    why = s.message();
    return kafka_error::kKafkaStorageError;
  }
  return kafka_error::kNone;
}

std::optional<std::string> group_instance_id(const Struct& s) {
  if (s.is_null("GroupInstanceId")) return std::nullopt;
  return std::string(s.s("GroupInstanceId"));
}

PartitionLog* find_partition(Topic* topic, int64_t index) {
  if (!topic || index < 0 || index >= static_cast<int64_t>(topic->partitions.size()))
    return nullptr;
  return topic->partitions[static_cast<size_t>(index)].get();
}

}  // namespace flumen::broker
