#include "agent/net/tls_options.h"

namespace flumen::net {

std::string java_keystore_message(const std::string& key, const std::string& path,
                                  const std::string& kind, const std::string& pem_keys) {
  return key + " = " + path + " is a " + kind + " Java keystore; flumen reads PEM files: set " +
         pem_keys + " instead (from a keystore: keytool -importkeystore -srckeystore " + path +
         " -destkeystore ks.p12 -deststoretype PKCS12, then openssl pkcs12 -in ks.p12 -nokeys "
         "-out cert.pem and openssl pkcs12 -in ks.p12 -nocerts -nodes -out key.pem)";
}

Result<std::optional<TlsConfig>> tls_listener_config(const TlsListenerOptions& o) {
  if (!o.ssl) return std::optional<TlsConfig>{};
  const std::string pem_keys = "ssl-cert and ssl-key";
  for (const auto& [key, path] :
       {std::pair<const char*, const std::string*>{"keystore", &o.keystore},
        {"ssl-cert", &o.ssl_cert},
        {"ssl-key", &o.ssl_key},
        {"ssl-ca", &o.ssl_ca}})
    if (!path->empty())
      if (auto kind = java_keystore_kind(*path))
        return make_error(ErrorCode::kInvalidConfig,
                          java_keystore_message(key, *path, *kind, pem_keys));
  std::string type = config::to_lower(o.keystore_type);
  if (!type.empty() && type != "pem" && type != "jks" && type != "pkcs12")
    return make_error(ErrorCode::kInvalidConfig,
                      "keystore-type = " + o.keystore_type + " is not supported (PEM files)");
  TlsConfig c;
  c.cert_file = !o.ssl_cert.empty() ? o.ssl_cert : o.keystore;
  c.key_file = !o.ssl_key.empty() ? o.ssl_key : (!o.keystore.empty() ? o.keystore : o.ssl_cert);
  c.key_password = !o.ssl_key_password.empty() ? o.ssl_key_password : o.keystore_password;
  c.ca_file = o.ssl_ca;
  c.require_client_cert = o.ssl_client_auth;
  if (c.cert_file.empty())
    return make_error(ErrorCode::kInvalidConfig,
                      "ssl = true needs " + pem_keys + " (PEM files), or keystore as one PEM file");
  if (o.ssl_client_auth && o.ssl_ca.empty())
    return make_error(ErrorCode::kInvalidConfig,
                      "ssl-client-auth = true needs ssl-ca (the CA client certificates chain to)");
  return std::optional<TlsConfig>(std::move(c));
}

Result<std::shared_ptr<const TlsContext>> tls_listener_context(const TlsListenerOptions& o) {
  auto c = tls_listener_config(o);
  if (!c) return c.error();
  if (!c.value()) return std::shared_ptr<const TlsContext>{};
  auto ctx = TlsContext::make(TlsRole::kServer, *c.value());
  if (!ctx) return ctx.error();
  return std::shared_ptr<const TlsContext>(ctx.value());
}

void check_tls_listener(const TlsListenerOptions& o, const config::ComponentEntries& where,
                        config::Diagnostics& diags) {
  auto at = [&](const char* key) {
    for (const auto& e : where.entries)
      if (e.key == key) return e.where;
    return where.where;
  };
  if (!o.ssl) {
    if (!o.ssl_cert.empty() || !o.keystore.empty())
      diags.warning(at(!o.ssl_cert.empty() ? "ssl-cert" : "keystore"),
                    where.description +
                        ": TLS keys are set but ssl = false: connections are "
                        "plain text");
    return;
  }
  auto ctx = tls_listener_context(o);
  if (!ctx) diags.error(at("ssl"), where.description + ": " + ctx.error().message);
}

namespace {
config::Location key_location(const config::ComponentEntries& where, const char* key) {
  for (const auto& e : where.entries)
    if (e.key == key) return e.where;
  return where.where;
}
}  // namespace

Result<std::shared_ptr<const TlsContext>> tls_client_context(const TlsClientOptions& o,
                                                             const std::string& server_name) {
  if (!o.ssl) return std::shared_ptr<const TlsContext>{};
  for (const auto& [key, path] :
       {std::pair<const char*, const std::string*>{"truststore", &o.truststore},
        {"ssl-ca", &o.ssl_ca},
        {"ssl-cert", &o.ssl_cert},
        {"ssl-key", &o.ssl_key}})
    if (!path->empty())
      if (auto kind = java_keystore_kind(*path))
        return make_error(ErrorCode::kInvalidConfig,
                          java_keystore_message(key, *path, *kind,
                                                "ssl-ca (and ssl-cert, ssl-key for a client "
                                                "certificate)"));
  TlsConfig c;
  c.ca_file = !o.ssl_ca.empty() ? o.ssl_ca : o.truststore;
  c.cert_file = o.ssl_cert;
  c.key_file = !o.ssl_key.empty() ? o.ssl_key : o.ssl_cert;
  if (o.ssl_cert.empty()) c.key_file.clear();
  c.key_password = o.ssl_key_password;
  c.verify_peer = !o.trust_all_certs;
  std::string host = server_name;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  c.server_name = host;
  auto ctx = TlsContext::make(TlsRole::kClient, c);
  if (!ctx) return ctx.error();
  return std::shared_ptr<const TlsContext>(ctx.value());
}

void check_tls_client(const TlsClientOptions& o, const std::string& server_name,
                      const config::ComponentEntries& where, config::Diagnostics& diags) {
  if (!o.ssl) {
    if (!o.ssl_ca.empty() || !o.truststore.empty() || !o.ssl_cert.empty())
      diags.warning(where.where, where.description +
                                     ": TLS keys are set but ssl = false: the connection is "
                                     "plain text");
    return;
  }
  auto ctx = tls_client_context(o, server_name);
  if (!ctx) diags.error(key_location(where, "ssl"), where.description + ": " + ctx.error().message);
  if (o.trust_all_certs)
    diags.warning(key_location(where, "trust-all-certs"),
                  where.description +
                      ": trust-all-certs = true: the receiver is not authenticated (anyone in "
                      "the path can read the events and the token)");
}

void warn_token_without_tls(bool has_token, bool ssl, const config::ComponentEntries& where,
                            config::Diagnostics& diags) {
  if (has_token && !ssl)
    diags.warning(key_location(where, "token"),
                  where.description +
                      ": a token is set without TLS: it crosses the network in plain text "
                      "(set ssl = true on both ends)");
}

}  // namespace flumen::net
