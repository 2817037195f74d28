#include "agent/runtime/plugin_docs.h"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "tests/unit/support/linked_registry.h"
#include "tests/unit/support/source_dir.h"

namespace flumen::runtime {
namespace {

TEST_CASE("docs/reference/plugins.md matches the property tables") {
  std::ifstream in(std::string(flumen::testing::source_dir()) + "/docs/reference/plugins.md");
  REQUIRE_MESSAGE(in.good(), "docs/reference/plugins.md is missing");
  std::stringstream committed;
  committed << in.rdbuf();
  const std::string generated = plugins_markdown(plugins::linked_registry());
  CHECK_MESSAGE(committed.str() == generated,
                "docs/reference/plugins.md is stale: run "
                "`build/flumen plugins --markdown > docs/reference/plugins.md`");
}

TEST_CASE("every plugin documents every property") {
  for (const auto& def : plugins::linked_registry().defs()) {
    REQUIRE(def.table != nullptr);
    CHECK_MESSAGE(!def.summary.empty(), def.name);
    for (const auto& row : def.table->rows()) {
      CHECK_MESSAGE(!row.doc.empty(), std::string(def.name + "." + row.key));
      // A default must itself be a valid value for its row.
      if (!row.default_value.empty())
        CHECK_MESSAGE(!config::PropertyTableBase::check_value(row, row.default_value).has_value(),
                      std::string(def.name + "." + row.key));
    }
  }
}

}  // namespace
}  // namespace flumen::runtime
