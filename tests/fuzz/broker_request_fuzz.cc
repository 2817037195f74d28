// libFuzzer target for the broker's request decoding: the first two bytes pick an API and a
// version from the advertised table, the rest is the request body, handed to that API's handler
// over a real (temporary) topic store, group coordinator and offset store. Any crash, overflow or
// undefined behaviour on hostile input shows up under AddressSanitizer and UBSan.
// Build and run: scripts/fuzz.sh 60 broker_request_fuzz
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "broker/api/api.h"

using namespace flumen;
using namespace flumen::broker;

namespace {

struct World {
  BrokerConfig config;
  std::unique_ptr<TopicStore> store;
  std::unique_ptr<OffsetStore> offsets;
  GroupCoordinator groups;
  std::optional<ProducerIds> ids;
  World() {
    spdlog::set_level(spdlog::level::off);
    std::string dir = std::filesystem::temp_directory_path().string() + "/flumen-fuzz-" +
                      std::to_string(::getpid());
    config.data_dir = dir;
    config.auto_create_topics = false;  // the fuzzer must not fill the disk with topics
    store = std::move(TopicStore::open(dir, config.log)).value();
    std::string why;
    (void)store->create("t", 2, why);
    offsets = std::move(OffsetStore::open(dir + "/offsets")).value();
    ids = std::move(ProducerIds::open(dir)).value();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World world;
  if (size < 2) return 0;
  const auto& table = api_table();
  const ApiInfo& api = table[data[0] % table.size()];
  Request req;
  req.api_key = api.key;
  req.api_version =
      static_cast<int16_t>(api.min_version + data[1] % (api.max_version - api.min_version + 1));
  req.flexible = req.api_version >= api.first_flexible;
  if (api.key == 20) return 0;  // DeleteTopics would remove the fixture
  // CreateTopics and CreatePartitions add partitions that stay (three descriptors each): past a
  // few hundred, a long run would end in the process's descriptor limit, not in a finding.
  if (api.key == 19 || api.key == 37) {
    size_t partitions = 0;
    for (const auto& [name, topic] : world.store->topics())
      partitions += topic->partitions.size();
    if (partitions > 256) return 0;
  }
  ApiContext ctx(world.config, *world.store, world.groups, *world.offsets, "127.0.0.1", 9092,
                 "127.0.0.1");
  ctx.producer_ids = &*world.ids;
  ctx.final_attempt = true;
  WireReader in(std::string_view(reinterpret_cast<const char*>(data) + 2, size - 2));
  std::string body;
  WireWriter out(body);
  (void)api.handle(ctx, req, in, out);
  if (ctx.deferred) ctx.deferred->deliver = nullptr;
  world.groups.tick(0);
  return 0;
}
