#pragma once
// TLS with OpenSSL (Debian's libssl), kept apart from sockets: a TlsContext is built once from
// PEM files (certificate chain, private key, CA bundle); a TlsSession is one connection's TLS
// state over two memory BIOs. The owner of the socket moves bytes: what arrives from the peer
// goes into feed(), what take_output() returns goes to the peer. So net::Server keeps its libuv
// read/write path, and the forward sink its poll(2) socket, and neither hands a descriptor to
// OpenSSL.
//
// Threads: a TlsContext is immutable once built and may be shared by sessions on any thread;
// a TlsSession is used by one thread at a time.
//
// Memory: a session holds at most what its owner fed it and did not read back out, plus
// OpenSSL's own record buffers (released while idle: SSL_MODE_RELEASE_BUFFERS).
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "agent/util/result.h"

struct ssl_ctx_st;
struct ssl_st;
struct bio_st;

namespace flumen::net {

// What a listener or a client was configured with. Files are PEM.
struct TlsConfig {
  std::string cert_file;     // certificate chain (leaf first); required for a server
  std::string key_file;      // private key (PKCS#8 or traditional PEM); required with cert_file
  std::string key_password;  // for an encrypted key_file
  std::string ca_file;       // CA bundle that verifies the peer; client: empty = system store
  // Server: ask for a client certificate and refuse the handshake without a valid one (mutual
  // TLS, verified against ca_file).
  bool require_client_cert = false;
  // Server: ask for a client certificate, verify one if sent, accept clients without (Kafka's
  // ssl.client.auth = requested).
  bool request_client_cert = false;
  // Client: verify the server's certificate (chain against ca_file or the system store, and its
  // name against server_name). Off = Flume's trust-all-certs: encrypted, not authenticated.
  bool verify_peer = true;
  std::string server_name;  // client: SNI and the name checked in the certificate
};

enum class TlsRole { kServer, kClient };

class TlsContext {
 public:
  // Loads and checks every file (the key must match the certificate). Errors name the file and
  // OpenSSL's reason; a Java keystore given where PEM is expected is named as such.
  static Result<std::shared_ptr<TlsContext>> make(TlsRole role, const TlsConfig& config);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  TlsRole role() const { return role_; }
  const TlsConfig& config() const { return config_; }
  ssl_ctx_st* native() const { return ctx_; }

 private:
  TlsContext(TlsRole role, TlsConfig config, ssl_ctx_st* ctx)
      : role_(role), config_(std::move(config)), ctx_(ctx) {}
  TlsRole role_;
  TlsConfig config_;
  ssl_ctx_st* ctx_;
};

// "JKS", "JCEKS" or "PKCS12" when the file is a Java keystore (or PKCS#12 bundle) rather than
// PEM, so config checks can say which PEM keys to use instead; nullopt for PEM, a missing file
// or anything else.
std::optional<std::string> java_keystore_kind(const std::string& path);

class TlsSession {
 public:
  enum class Io {
    kOk,      // progress (bytes read, or the handshake finished)
    kWant,    // needs more input from the peer (feed() then try again)
    kClosed,  // the peer sent close_notify: no more plaintext will come
    kError,   // fatal: error() says why; send take_output() (an alert) and close
  };

  explicit TlsSession(std::shared_ptr<const TlsContext> ctx);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // Ciphertext from the peer; kept until read through handshake()/read().
  void feed(const char* data, size_t n);
  // Drives the handshake; kOk once it is done (and on every call after).
  Io handshake();
  bool handshake_done() const { return done_; }
  // Up to `cap` bytes of plaintext into `out` (as many records as have arrived); `*got` tells
  // how many (kOk means *got > 0).
  Io read(char* out, size_t cap, size_t* got);
  // Encrypts plaintext (all of it: memory BIOs never refuse); false on a fatal error. Before
  // the handshake is done the plaintext is held and encrypted once it is.
  bool write(std::string_view plain);
  // Queues close_notify.
  void shutdown();
  // Ciphertext waiting to go to the peer (handshake messages, records, alerts), taken whole.
  size_t output_pending() const;
  std::string take_output();
  // Plaintext or undecrypted ciphertext still held (a paused reader must come back for it).
  bool input_pending() const;

  const std::string& error() const { return error_; }
  // The verified peer certificate's subject ("CN=client,O=..."), empty without one.
  std::string peer_subject() const;
  std::string version() const;  // "TLSv1.3"

 private:
  Io fail(int rc, const char* what);
  bool flush_held();

  std::shared_ptr<const TlsContext> ctx_;
  ssl_st* ssl_ = nullptr;
  bio_st* rbio_ = nullptr;  // owned by ssl_
  bio_st* wbio_ = nullptr;  // owned by ssl_
  bool done_ = false;
  bool failed_ = false;
  std::string held_;  // plaintext written before the handshake finished
  std::string error_;
};

}  // namespace flumen::net
