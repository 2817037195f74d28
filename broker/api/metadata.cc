#include "broker/api/api.h"

namespace flumen::broker {

namespace {

void write_topic(WireWriter& out, const Request& req, int32_t node, std::string_view name,
                 const Topic* t, int16_t error) {
  out.i16(error);
  out.string(name);
  out.boolean(false);  // is_internal (v1+)
  const int32_t n = t ? static_cast<int32_t>(t->partitions.size()) : 0;
  out.i32(n);
  for (int32_t p = 0; p < n; ++p) {
    out.i16(kafka_error::kNone);
    out.i32(p);
    out.i32(node);  // leader
    out.i32(1);     // replicas
    out.i32(node);
    out.i32(1);  // isr
    out.i32(node);
    if (req.api_version >= 5) out.i32(0);  // offline replicas
  }
}

}  // namespace

// Metadata 1-6. topics: null = all, empty = none (brokers only). One broker: ourselves, leader
// of every partition, controller too (kafkajs sends admin calls to the controller).
Reply handle_metadata(ApiContext& ctx, const Request& req, WireReader& in, WireWriter& out) {
  int32_t count = in.array_count(2);
  std::vector<std::string_view> names;
  for (int32_t i = 0; i < count && !in.failed(); ++i)
    names.push_back(in.string());
  bool allow_create = true;
  if (req.api_version >= 4) allow_create = in.boolean();
  const int32_t node = ctx.config.node_id;
  if (req.api_version >= 3) out.i32(0);  // throttle
  out.i32(1);
  out.i32(node);
  out.string(ctx.advertised_host);
  out.i32(ctx.advertised_port);
  out.nullable_string(std::nullopt);  // rack
  if (req.api_version >= 2) out.nullable_string(ctx.config.cluster_id);
  out.i32(node);  // controller
  if (count < 0) {
    out.i32(static_cast<int32_t>(ctx.store.topics().size()));
    for (const auto& [name, t] : ctx.store.topics())
      write_topic(out, req, node, name, t.get(), kafka_error::kNone);
    return Reply::kNow;
  }
  out.i32(static_cast<int32_t>(names.size()));
  for (std::string_view name : names) {
    if (!TopicStore::valid_name(name)) {
      write_topic(out, req, node, name, nullptr, kafka_error::kInvalidTopic);
      continue;
    }
    const Topic* t = topic_or_create(ctx, name, allow_create);
    write_topic(out, req, node, name, t,
                t ? kafka_error::kNone : kafka_error::kUnknownTopicOrPartition);
  }
  return Reply::kNow;
}

}  // namespace flumen::broker
