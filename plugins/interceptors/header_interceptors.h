#pragma once
// Interceptors that set or remove headers: timestamp, host, static, remove_header, uuid.
// Flume's keys and defaults; each runs on the source's thread over a whole batch.

#include <optional>
#include <random>
#include <string>

#include "agent/config/property_table.h"
#include "agent/pipeline/interceptor.h"
#include "agent/util/regex.h"

namespace flumen::plugins {

struct TimestampInterceptorOptions {
  std::string header_name = "timestamp";
  bool preserve_existing = false;
};
const config::PropertyTable<TimestampInterceptorOptions>& timestamp_interceptor_table();
class TimestampInterceptor : public pipeline::Interceptor {
 public:
  explicit TimestampInterceptor(TimestampInterceptorOptions o) : o_(std::move(o)) {}
  void intercept(EventBatch& batch) override;

 private:
  TimestampInterceptorOptions o_;
};

struct HostInterceptorOptions {
  bool use_ip = true;
  std::string host_header = "host";
  bool preserve_existing = false;
};
const config::PropertyTable<HostInterceptorOptions>& host_interceptor_table();
class HostInterceptor : public pipeline::Interceptor {
 public:
  explicit HostInterceptor(HostInterceptorOptions o);
  void intercept(EventBatch& batch) override;

 private:
  HostInterceptorOptions o_;
  std::string host_;  // resolved once, at build time
};

struct StaticInterceptorOptions {
  std::string key = "key";
  std::string value = "value";
  bool preserve_existing = true;
};
const config::PropertyTable<StaticInterceptorOptions>& static_interceptor_table();
class StaticInterceptor : public pipeline::Interceptor {
 public:
  explicit StaticInterceptor(StaticInterceptorOptions o) : o_(std::move(o)) {}
  void intercept(EventBatch& batch) override;

 private:
  StaticInterceptorOptions o_;
};

struct RemoveHeaderInterceptorOptions {
  std::string with_name;
  std::string from_list;
  std::string from_list_separator = "\\s*,\\s*";
  std::string matching;
};
const config::PropertyTable<RemoveHeaderInterceptorOptions>& remove_header_interceptor_table();
void validate(const RemoveHeaderInterceptorOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags);
class RemoveHeaderInterceptor : public pipeline::Interceptor {
 public:
  explicit RemoveHeaderInterceptor(RemoveHeaderInterceptorOptions o);
  void intercept(EventBatch& batch) override;

 private:
  RemoveHeaderInterceptorOptions o_;
  std::vector<std::string> names_;  // withName plus fromList
  std::optional<Regex> matching_;
};

struct UuidInterceptorOptions {
  std::string header_name = "id";
  bool preserve_existing = true;
  std::string prefix;
};
const config::PropertyTable<UuidInterceptorOptions>& uuid_interceptor_table();
class UuidInterceptor : public pipeline::Interceptor {
 public:
  explicit UuidInterceptor(UuidInterceptorOptions o);
  void intercept(EventBatch& batch) override;

 private:
  UuidInterceptorOptions o_;
  std::mt19937_64 rng_;
};

}  // namespace flumen::plugins
