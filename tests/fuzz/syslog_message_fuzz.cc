// libFuzzer target for the syslog sources' message parser (RFC 5424 and RFC 3164, every
// keepFields choice): what any sender on a syslog port controls. Build and run: scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "plugins/sources/syslog/syslog_parser.h"

using namespace flumen;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  static const plugins::KeepFields kinds[] = {
      plugins::KeepFields::parse("none"), plugins::KeepFields::parse("all"),
      plugins::KeepFields::parse("priority hostname"), plugins::KeepFields::parse("timestamp")};
  EventBatch batch;
  for (const auto& keep : kinds)
    (void)plugins::add_syslog_event(batch, in, keep);
  return 0;
}
