#pragma once
// Syslog message parsing as Flume's SyslogUtils does it: RFC 5424 (<PRI>1 TIMESTAMP HOST ...)
// and RFC 3164 (<PRI>Mmm dd hh:mm:ss HOST ...). Headers: Facility, Severity, timestamp (ms),
// host; a message that does not parse keeps its text and gets flume.syslog.status = Invalid.
// keepFields: "none"/"false" -> body is the message after the header; "all"/"true" -> the whole
// message; or a list of priority, version, timestamp, hostname to keep in front of it.

#include <string>
#include <string_view>
#include <vector>

#include "agent/event/event_batch.h"

namespace flumen::plugins {

struct KeepFields {
  bool priority = false, version = false, timestamp = false, hostname = false;
  static KeepFields parse(const std::string& text);  // unknown words are ignored by validation
};

// Appends one event for `message` to `batch`; returns its index.
size_t add_syslog_event(EventBatch& batch, std::string_view message, const KeepFields& keep);

}  // namespace flumen::plugins
