#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "agent/runtime/plugin_docs.h"
#include "broker/broker_config.h"
#include "tests/unit/support/source_dir.h"

namespace flumen::broker {
namespace {

const std::string kPath = std::string(flumen::testing::source_dir()) + "/docs/reference/broker.md";

// The broker is a module `flumen plugins` does not load, so this test is the generator too.
TEST_CASE("docs/reference/broker.md matches the broker's property table") {
  const std::string generated = runtime::broker_markdown(broker_property_table());
  if (const char* w = std::getenv("FLUMEN_WRITE_REFERENCE"); w && std::string(w) == "1") {
    std::ofstream(kPath) << generated;
    MESSAGE("wrote " << kPath);
  }
  std::ifstream in(kPath);
  REQUIRE_MESSAGE(in.good(), "docs/reference/broker.md is missing");
  std::stringstream committed;
  committed << in.rdbuf();
  CHECK_MESSAGE(
      committed.str() == generated,
      "docs/reference/broker.md is stale: run "
      "`FLUMEN_WRITE_REFERENCE=1 build/tests/unit_tests -tc='docs/reference/broker.md*'`");
}

TEST_CASE("every broker key is documented, with a valid default") {
  const auto& rows = broker_property_table().rows();
  CHECK(rows.size() >= 10);
  for (const auto& row : rows) {
    CHECK_MESSAGE(!row.doc.empty(), row.key);
    if (!row.default_value.empty())
      CHECK_MESSAGE(!config::PropertyTableBase::check_value(row, row.default_value).has_value(),
                    row.key);
  }
  // The keys the loader's doc comment promises are the table's.
  for (const char* key : {"num.partitions", "log.segment.bytes", "log.retention.hours",
                          "log.retention.ms", "log.retention.bytes", "message.max.bytes",
                          "auto.create.topics.enable", "node.id", "broker.id"})
    CHECK_MESSAGE(broker_property_table().find(key) != nullptr, key);
}

}  // namespace
}  // namespace flumen::broker
