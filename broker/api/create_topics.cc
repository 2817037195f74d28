#include "broker/api/api.h"

namespace flumen::broker {

// CreateTopics 0-4: partitions -1 (v4) = num.partitions; replication factor must be 1 or -1
// (one node); manual assignments are refused.
Reply handle_create_topics(ApiContext& ctx, const Request& req, WireReader& in, WireWriter& out) {
  struct Item {
    std::string_view name;
    int32_t partitions = 0;
    int16_t error = 0;
    std::string message;
  };
  std::vector<Item> items;
  int32_t topics = in.array_count(12);
  for (int32_t t = 0; t < topics && !in.failed(); ++t) {
    Item it;
    it.name = in.string();
    it.partitions = in.i32();
    int16_t rf = in.i16();
    int32_t assignments = in.array_count(8);
    for (int32_t a = 0; a < assignments && !in.failed(); ++a) {
      in.i32();
      int32_t n = in.array_count(4);
      for (int32_t k = 0; k < n && !in.failed(); ++k)
        in.i32();
    }
    int32_t configs = in.array_count(4);
    for (int32_t c = 0; c < configs && !in.failed(); ++c) {
      in.string();
      in.nullable_string();
    }
    if (it.partitions == -1) it.partitions = ctx.config.num_partitions;
    if (rf != 1 && rf != -1) {
      it.error = kafka_error::kInvalidReplicationFactor;
      it.message = "a single broker holds one replica";
    } else if (assignments > 0) {
      it.error = kafka_error::kInvalidRequest;
      it.message = "manual replica assignment is not supported";
    }
    items.push_back(std::move(it));
  }
  in.i32();  // timeout_ms
  const bool validate_only = req.api_version >= 1 && in.boolean();
  if (in.failed()) return Reply::kNow;   // the server closes the connection
  if (req.api_version >= 2) out.i32(0);  // throttle
  out.i32(static_cast<int32_t>(items.size()));
  for (Item& it : items) {
    if (it.error == 0) {
      if (!validate_only) {
        it.error = ctx.store.create(it.name, it.partitions, it.message);
      } else if (ctx.store.find(it.name)) {
        it.error = 36;
        it.message = "topic exists";
      }
    }
    out.string(it.name);
    out.i16(it.error);
    if (req.api_version >= 1)
      out.nullable_string(it.error ? std::optional<std::string_view>(it.message) : std::nullopt);
  }
  return Reply::kNow;
}

}  // namespace flumen::broker
