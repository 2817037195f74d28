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

// The error for a Java keystore named by `key` (e.g. "keystore"), with what to use instead.
std::string java_keystore_message(const std::string& key, const std::string& path,
                                  const std::string& kind, const std::string& pem_keys);

}  // namespace flumen::net
