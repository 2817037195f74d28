#include "plugins/interceptors/header_interceptors.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <unistd.h>

#include <charconv>
#include <cstring>

#include "agent/metrics/component_metrics.h"

namespace flumen::plugins {

const config::PropertyTable<TimestampInterceptorOptions>& timestamp_interceptor_table() {
  using T = TimestampInterceptorOptions;
  static const auto table =
      config::PropertyTable<T>()
          .string("headerName", &T::header_name, "timestamp", "Header set to the time in ms.")
          .alias("header")
          .boolean("preserveExisting", &T::preserve_existing, "false",
                   "Keep a header that is already there.");
  return table;
}

void TimestampInterceptor::intercept(EventBatch& batch) {
  // One clock read per batch: the events of a batch arrived together.
  char text[24];
  auto [end, ec] = std::to_chars(text, text + sizeof text, metrics::now_millis());
  std::string_view now(text, static_cast<size_t>(end - text));
  for (size_t i = 0; i < batch.size(); ++i) {
    if (o_.preserve_existing && batch.header(i, o_.header_name)) continue;
    batch.set_header(i, o_.header_name, now);
  }
}

const config::PropertyTable<HostInterceptorOptions>& host_interceptor_table() {
  using T = HostInterceptorOptions;
  static const auto table =
      config::PropertyTable<T>()
          .boolean("useIP", &T::use_ip, "true", "The host's IP address instead of its name.")
          .string("hostHeader", &T::host_header, "host", "Header name.")
          .boolean("preserveExisting", &T::preserve_existing, "false",
                   "Keep a header that is already there.");
  return table;
}

HostInterceptor::HostInterceptor(HostInterceptorOptions o) : o_(std::move(o)) {
  char name[256] = "";
  gethostname(name, sizeof name - 1);
  host_ = name;
  if (!o_.use_ip) return;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  addrinfo* res = nullptr;
  if (getaddrinfo(name, nullptr, &hints, &res) == 0 && res) {
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr, ip, sizeof ip);
    host_ = ip;
    freeaddrinfo(res);
  }
}

void HostInterceptor::intercept(EventBatch& batch) {
  for (size_t i = 0; i < batch.size(); ++i) {
    if (o_.preserve_existing && batch.header(i, o_.host_header)) continue;
    batch.set_header(i, o_.host_header, host_);
  }
}

const config::PropertyTable<StaticInterceptorOptions>& static_interceptor_table() {
  using T = StaticInterceptorOptions;
  static const auto table = config::PropertyTable<T>()
                                .string("key", &T::key, "key", "Header name.")
                                .string("value", &T::value, "value", "Header value.")
                                .boolean("preserveExisting", &T::preserve_existing, "true",
                                         "Keep a header that is already there.");
  return table;
}

void StaticInterceptor::intercept(EventBatch& batch) {
  for (size_t i = 0; i < batch.size(); ++i) {
    if (o_.preserve_existing && batch.header(i, o_.key)) continue;
    batch.set_header(i, o_.key, o_.value);
  }
}

const config::PropertyTable<RemoveHeaderInterceptorOptions>& remove_header_interceptor_table() {
  using T = RemoveHeaderInterceptorOptions;
  static const auto table =
      config::PropertyTable<T>()
          .string("withName", &T::with_name, "", "Name of a header to remove.")
          .string("fromList", &T::from_list, "", "Headers to remove, split by fromListSeparator.")
          .string("fromListSeparator", &T::from_list_separator, "\\s*,\\s*",
                  "Regex separating the names in fromList.")
          .string("matching", &T::matching, "", "Regex: headers whose name matches are removed.");
  return table;
}

void validate(const RemoveHeaderInterceptorOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags) {
  for (const auto& [key, pattern] :
       {std::pair{"fromListSeparator", o.from_list_separator}, std::pair{"matching", o.matching}}) {
    std::string error;
    if (!pattern.empty() && !Regex::compile(pattern, error))
      diags.error(where.where, where.key_prefix + key + ": invalid regex: " + error);
  }
}

RemoveHeaderInterceptor::RemoveHeaderInterceptor(RemoveHeaderInterceptorOptions o)
    : o_(std::move(o)) {
  if (!o_.with_name.empty()) names_.push_back(o_.with_name);
  if (!o_.from_list.empty()) {
    std::string error;
    auto sep = Regex::compile(o_.from_list_separator, error);
    std::string_view rest = o_.from_list;
    std::vector<std::string_view> g;
    while (sep && sep->find(rest, g) && !g[0].empty()) {
      names_.emplace_back(rest.substr(0, static_cast<size_t>(g[0].data() - rest.data())));
      rest.remove_prefix(static_cast<size_t>(g[0].data() - rest.data()) + g[0].size());
    }
    if (!rest.empty()) names_.emplace_back(rest);
  }
  std::string error;
  if (!o_.matching.empty()) matching_ = Regex::compile(o_.matching, error);
}

void RemoveHeaderInterceptor::intercept(EventBatch& batch) {
  for (size_t i = 0; i < batch.size(); ++i) {
    for (const auto& n : names_)
      batch.remove_header(i, n);
    if (!matching_) continue;
    for (size_t h = batch.header_count(i); h-- > 0;) {
      std::string key(batch.header_at(i, h).first);
      if (matching_->full_match(key)) batch.remove_header(i, key);
    }
  }
}

const config::PropertyTable<UuidInterceptorOptions>& uuid_interceptor_table() {
  using T = UuidInterceptorOptions;
  static const auto table =
      config::PropertyTable<T>()
          .string("headerName", &T::header_name, "id", "Header set to a random UUID.")
          .boolean("preserveExisting", &T::preserve_existing, "true",
                   "Keep a header that is already there.")
          .string("prefix", &T::prefix, "", "Text put before the UUID.");
  return table;
}

UuidInterceptor::UuidInterceptor(UuidInterceptorOptions o)
    : o_(std::move(o)), rng_(std::random_device{}()) {}

void UuidInterceptor::intercept(EventBatch& batch) {
  static const char* kHex = "0123456789abcdef";
  std::string id = o_.prefix + "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx";
  const size_t base = o_.prefix.size();
  for (size_t i = 0; i < batch.size(); ++i) {
    if (o_.preserve_existing && batch.header(i, o_.header_name)) continue;
    // A version 4 UUID: 122 random bits, the version nibble 4, the variant bits 10.
    uint64_t a = rng_(), b = rng_();
    for (size_t k = base, bit = 0; k < id.size(); ++k) {
      if (k - base == 8 || k - base == 13 || k - base == 18 || k - base == 23) continue;
      if (k - base == 14) continue;  // the '4'
      uint64_t& src = bit < 64 ? a : b;
      unsigned nib = static_cast<unsigned>(src & 15);
      src >>= 4;
      bit += 4;
      id[k] = (k - base == 19) ? kHex[8 | (nib & 3)] : kHex[nib];
    }
    batch.set_header(i, o_.header_name, id);
  }
}

}  // namespace flumen::plugins
