#pragma once
// The TLS keys of a listening plugin (http source, forward source), in one place like
// listener_options.h: the options struct derives from TlsListenerOptions, its table adds
// add_tls_listener_rows(), validate() calls check_tls_listener() and the build calls
// tls_listener_context(). Files are PEM. Flume's Java keystore keys (keystore,
// keystore-password, keystore-type) are accepted when the file they name is PEM (one file with
// the certificate chain and the key); a JKS or PKCS#12 keystore is a check-time error that
// names the PEM keys to use instead.
#include <memory>
#include <optional>
#include <string>

#include "agent/config/property_table.h"
#include "agent/net/tls.h"
#include "agent/util/result.h"

namespace flumen::net {

struct TlsListenerOptions {
  bool ssl = false;
  std::string ssl_cert;
  std::string ssl_key;
  std::string ssl_key_password;
  std::string ssl_ca;
  bool ssl_client_auth = false;
  // Flume's keys.
  std::string keystore;
  std::string keystore_password;
  std::string keystore_type;
};

template <typename T>
config::PropertyTable<T>& add_tls_listener_rows(config::PropertyTable<T>& t) {
  return t
      .boolean("ssl", &T::ssl, "false",
               "TLS on every connection (Flume's key). Needs ssl-cert and ssl-key, or keystore "
               "as a PEM file.")
      .string("ssl-cert", &T::ssl_cert, "",
              "flumen: PEM certificate chain of this listener (leaf first).")
      .string("ssl-key", &T::ssl_key, "", "flumen: PEM private key of ssl-cert.")
      .string("ssl-key-password", &T::ssl_key_password, "",
              "flumen: password of an encrypted ssl-key (keystore-password works too).")
      .string("ssl-ca", &T::ssl_ca, "",
              "flumen: PEM CA bundle that client certificates must chain to (with "
              "ssl-client-auth).")
      .boolean("ssl-client-auth", &T::ssl_client_auth, "false",
               "flumen: mutual TLS: refuse clients without a certificate signed by ssl-ca.")
      .string("keystore", &T::keystore, "",
              "Flume's keystore: accepted when it is one PEM file holding the certificate "
              "chain and the key; a JKS or PKCS12 keystore is refused (use ssl-cert/ssl-key).")
      .string("keystore-password", &T::keystore_password, "",
              "Password of the key in keystore (or ssl-key).")
      .string("keystore-type", &T::keystore_type, "",
              "Flume's keystore type: PEM is read; JKS and PKCS12 keystores are refused.");
}

// The TLS configuration the keys describe: nullopt with ssl = false, an InvalidConfig error
// naming the keys when they are incomplete or name a Java keystore.
Result<std::optional<TlsConfig>> tls_listener_config(const TlsListenerOptions& o);

// validate(): reports what tls_listener_config() and loading the files would refuse, so that
// `flumen check` fails exactly when the start would; warns about PEM keys set with ssl = false.
void check_tls_listener(const TlsListenerOptions& o, const config::ComponentEntries& where,
                        config::Diagnostics& diags);

// The build: the server context, or null with ssl = false.
Result<std::shared_ptr<const TlsContext>> tls_listener_context(const TlsListenerOptions& o);

// The TLS keys of a connecting plugin (forward sink): Flume's avro sink keys (ssl,
// trust-all-certs, truststore, truststore-password, truststore-type) where they map onto PEM,
// and flumen's ssl-ca, ssl-cert, ssl-key, ssl-key-password (a client certificate for mutual
// TLS).
struct TlsClientOptions {
  bool ssl = false;
  bool trust_all_certs = false;
  std::string truststore;
  std::string truststore_password;
  std::string truststore_type;
  std::string ssl_ca;
  std::string ssl_cert;
  std::string ssl_key;
  std::string ssl_key_password;
};

template <typename T>
config::PropertyTable<T>& add_tls_client_rows(config::PropertyTable<T>& t) {
  return t
      .boolean("ssl", &T::ssl, "false",
               "TLS to the receiver (Flume's key); the certificate is verified against ssl-ca "
               "(or truststore, or the system's CAs) and the hostname.")
      .boolean("trust-all-certs", &T::trust_all_certs, "false",
               "Flume's key: do not verify the receiver's certificate (encrypted, not "
               "authenticated).")
      .string("truststore", &T::truststore, "",
              "Flume's truststore: accepted when it is a PEM CA bundle; a JKS or PKCS12 "
              "truststore is refused (use ssl-ca).")
      .string("truststore-password", &T::truststore_password, "",
              "Not used (a PEM bundle has no password).")
      .string("truststore-type", &T::truststore_type, "",
              "Flume's truststore type: PEM is read; JKS and PKCS12 are refused.")
      .string("ssl-ca", &T::ssl_ca, "", "flumen: PEM CA bundle that verifies the receiver.")
      .string("ssl-cert", &T::ssl_cert, "",
              "flumen: PEM client certificate, for a receiver that requires one (mutual TLS).")
      .string("ssl-key", &T::ssl_key, "", "flumen: PEM private key of ssl-cert.")
      .string("ssl-key-password", &T::ssl_key_password, "",
              "flumen: password of an encrypted ssl-key.");
}

// The client context for `server_name` (the configured hostname), or null with ssl = false.
Result<std::shared_ptr<const TlsContext>> tls_client_context(const TlsClientOptions& o,
                                                             const std::string& server_name);
void check_tls_client(const TlsClientOptions& o, const std::string& server_name,
                      const config::ComponentEntries& where, config::Diagnostics& diags);

// `flumen check`'s warning for a shared secret (the forward token) sent without TLS.
void warn_token_without_tls(bool has_token, bool ssl, const config::ComponentEntries& where,
                            config::Diagnostics& diags);

// The error for a Java keystore named by `key` (e.g. "keystore"), with what to use instead.
std::string java_keystore_message(const std::string& key, const std::string& path,
                                  const std::string& kind, const std::string& pem_keys);

}  // namespace flumen::net
