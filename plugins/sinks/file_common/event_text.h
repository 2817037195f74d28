#pragma once
// How the file-writing sinks (file_roll, hdfs) turn an event into text: Flume's TEXT serializer
// (the body) or HEADER_AND_TEXT (Java's Map.toString() of the headers, a space, the body), each
// optionally followed by a newline.
//
// Unlike Flume, header keys and values are escaped: a newline in a header value would otherwise
// start a forged output line. `\` becomes `\\`, a newline `\n`, a carriage return `\r`; every
// other byte is written as it is. The body is written as it is (it is the event).

#include <string>

#include "agent/event/event_batch.h"

namespace flumen::plugins {

void append_event_text(const EventBatch& batch, size_t event, bool with_headers,
                       bool append_newline, std::string& out);

}  // namespace flumen::plugins
