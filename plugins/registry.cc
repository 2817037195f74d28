#include "plugins/registry.h"

#include "agent/runtime/module_loader.h"

#include "plugins/channels/memory/memory_channel.h"
#include "plugins/interceptors/collect_day_interceptor.h"
#include "plugins/interceptors/header_interceptors.h"
#include "plugins/interceptors/regex_interceptors.h"
#include "plugins/sinks/file_roll/file_roll_sink.h"
#include "plugins/sinks/forward/forward_sink.h"
#include "plugins/sinks/hdfs/hdfs_sink.h"
#include "plugins/sinks/logger/logger_sink.h"
#include "plugins/sinks/null/null_sink.h"
#include "plugins/sources/exec/exec_source.h"
#include "plugins/sources/forward/forward_source.h"
#include "plugins/sources/http/http_source.h"
#include "plugins/sources/netcat/netcat_source.h"
#include "plugins/sources/seq/seq_source.h"
#include "plugins/sources/spooldir/spooldir_source.h"
#include "plugins/sources/syslog/syslog_source.h"
#include "plugins/sources/taildir/taildir_source.h"

namespace flumen::plugins {

using pipeline::channel_plugin;
using pipeline::sink_plugin;
using pipeline::source_plugin;

void add_core_plugins(pipeline::Registry& r) {
  // Sources
  r.add(source_plugin<SeqSource>("seq", {"org.apache.flume.source.SequenceGeneratorSource"},
                                 "Generates events with bodies 0, 1, 2, ... (tests, benchmarks).",
                                 seq_source_table(), "batchSize"));
  r.add(source_plugin<NetcatSource>("netcat", {"org.apache.flume.source.NetcatSource"},
                                    "TCP listener: one line is one event, answered \"OK\".",
                                    netcat_source_table(), "batchSize"));
  r.add(source_plugin<NetcatUdpSource>("netcatudp", {"org.apache.flume.source.NetcatUdpSource"},
                                       "UDP listener: one datagram is one event.",
                                       netcat_udp_source_table(), "batchSize"));
  r.add(source_plugin<ExecSource>("exec", {"org.apache.flume.source.ExecSource"},
                                  "Runs a command; each stdout line is an event.",
                                  exec_source_table(), "batchSize"));
  r.add(source_plugin<TaildirSource>(
      "taildir", {"org.apache.flume.source.taildir.TaildirSource"},
      "Tails the files of each file group; survives rotation, truncation and restarts.",
      taildir_source_table(), "batchSize"));
  r.add(source_plugin<SpoolDirSource>(
      "spooldir", {"org.apache.flume.source.SpoolDirectorySource"},
      "Ingests files dropped into a directory, then renames, deletes or records them.",
      spooldir_source_table(), "batchSize"));
  r.add(source_plugin<HttpSource>("http", {"org.apache.flume.source.http.HTTPSource"},
                                  "HTTP POST endpoint: JSON events or one blob per request.",
                                  http_source_table()));
  r.add(source_plugin<SyslogTcpSource>("syslogtcp", {"org.apache.flume.source.SyslogTcpSource"},
                                       "Syslog over TCP (RFC 3164/5424, newline or octet "
                                       "counting framing).",
                                       syslog_tcp_table(), "batchSize"));
  r.add(source_plugin<SyslogTcpSource>(
      "multiport_syslogtcp", {"org.apache.flume.source.MultiportSyslogTCPSource"},
      "Syslog over TCP on several ports.", syslog_multiport_table(), "batchSize"));
  r.add(source_plugin<SyslogUdpSource>("syslogudp", {"org.apache.flume.source.SyslogUDPSource"},
                                       "Syslog over UDP, one datagram per message.",
                                       syslog_udp_table()));
  r.add(source_plugin<ForwardSource>(
      "forward", {"avro", "org.apache.flume.source.AvroSource"},
      "Receives batches from other agents' forward sinks (flumen forward protocol).",
      forward_source_table()));
  // Channels
  r.add(channel_plugin<MemoryChannel>("memory", {"org.apache.flume.channel.MemoryChannel"},
                                      "In-memory queue: fast, lost on crash.",
                                      memory_channel_table()));
  // Sinks
  auto null_sink = sink_plugin<NullSink>("null", {"org.apache.flume.sink.NullSink"},
                                         "Discards events.", null_sink_table(), "batchSize");
  null_sink.allows_workers = true;
  r.add(std::move(null_sink));
  auto logger_sink = sink_plugin<LoggerSink>("logger", {"org.apache.flume.sink.LoggerSink"},
                                             "Logs each event's headers and body preview at INFO.",
                                             logger_sink_table(), "batchSize");
  logger_sink.allows_workers = true;
  r.add(std::move(logger_sink));
  r.add(sink_plugin<FileRollSink>("file_roll", {"org.apache.flume.sink.RollingFileSink"},
                                  "Writes events to local files, a new file every rollInterval.",
                                  file_roll_sink_table(), "sink.batchSize"));
  r.add(sink_plugin<HdfsSink>("hdfs", {"rolling_file", "org.apache.flume.sink.hdfs.HDFSEventSink"},
                              "Time-bucketed local files with Flume's HDFS sink keys and rolling.",
                              hdfs_sink_table(), "hdfs.batchSize"));
  r.add(sink_plugin<ForwardSink>("forward", {"avro", "org.apache.flume.sink.AvroSink"},
                                 "Sends to the next agent's forward source; acknowledged batches "
                                 "only, no duplicates across the hop.",
                                 forward_sink_table(), "batch-size"));
  // Interceptors
  using pipeline::interceptor_plugin;
  r.add(interceptor_plugin<TimestampInterceptor>(
      "timestamp", {"org.apache.flume.interceptor.TimestampInterceptor$Builder"},
      "Sets a header to the time the event was received, in ms.", timestamp_interceptor_table()));
  r.add(interceptor_plugin<HostInterceptor>(
      "host", {"org.apache.flume.interceptor.HostInterceptor$Builder"},
      "Sets a header to this host's IP address or name.", host_interceptor_table()));
  r.add(interceptor_plugin<StaticInterceptor>(
      "static", {"org.apache.flume.interceptor.StaticInterceptor$Builder"},
      "Sets one constant header.", static_interceptor_table()));
  r.add(interceptor_plugin<RemoveHeaderInterceptor>(
      "remove_header", {"org.apache.flume.interceptor.RemoveHeaderInterceptor$Builder"},
      "Removes headers by name, list or regex.", remove_header_interceptor_table()));
  r.add(interceptor_plugin<UuidInterceptor>(
      "uuid", {"org.apache.flume.sink.solr.morphline.UUIDInterceptor$Builder"},
      "Sets a header to a random UUID (for deduplication downstream).", uuid_interceptor_table()));
  r.add(interceptor_plugin<RegexFilterInterceptor>(
      "regex_filter", {"org.apache.flume.interceptor.RegexFilteringInterceptor$Builder"},
      "Keeps (or drops, with excludeEvents) events whose body matches a regex.",
      regex_filter_interceptor_table()));
  r.add(interceptor_plugin<RegexExtractorInterceptor>(
      "regex_extractor", {"org.apache.flume.interceptor.RegexExtractorInterceptor$Builder"},
      "Turns a regex's capture groups into headers.", regex_extractor_interceptor_table()));
  r.add(interceptor_plugin<SearchReplaceInterceptor>(
      "search_replace", {"org.apache.flume.interceptor.SearchAndReplaceInterceptor$Builder"},
      "Rewrites bodies with a regex and a replacement.", search_replace_interceptor_table()));
  r.add(interceptor_plugin<CollectDayInterceptor>(
      "collect_day", {"com.wikibook.bigdata.smartcar.flume.CollectDayInterceptor$Builder"},
      "Appends ,yyyyMMdd (the agent's local date) to every body: the smart-car book's "
      "CollectDayInterceptor.",
      collect_day_interceptor_table()));
}

namespace {

// Adds a module's plugins through its flumen_module_register entry point.
std::string load_plugin_module(const std::string& module, pipeline::Registry& into) {
  auto entry = runtime::module_symbol(module, "flumen_module_register");
  if (!entry) return entry.error().message;
  reinterpret_cast<void (*)(pipeline::Registry*)>(entry.value())(&into);
  return "";
}

}  // namespace

void add_module_plugin_names(pipeline::Registry& r) {
  using pipeline::PluginKind;
  r.add_deferred(
      {PluginKind::kSource, "kafka", {"org.apache.flume.source.kafka.KafkaSource"}, kKafkaModule});
  r.add_deferred({PluginKind::kChannel,
                  "file",
                  {"org.apache.flume.channel.file.FileChannel"},
                  kFileChannelModule});
  r.add_deferred(
      {PluginKind::kSink, "kafka", {"org.apache.flume.sink.kafka.KafkaSink"}, kKafkaModule});
}

const pipeline::Registry& builtin_registry() {
  static const pipeline::Registry& registry = []() -> const pipeline::Registry& {
    static pipeline::Registry r;
    add_core_plugins(r);
    add_module_plugin_names(r);
    r.set_module_loader(load_plugin_module);
    return r;
  }();
  return registry;
}

}  // namespace flumen::plugins
