#pragma once
// SASL for the broker's SASL_PLAINTEXT and SASL_SSL listeners, as Kafka speaks it: a
// SaslHandshake request picks the mechanism, then each client token arrives in a
// SaslAuthenticate request (handshake v1) or as a bare size-prefixed frame (handshake v0, what
// kafka-python 2.0 sends), and the server's token goes back the same way. Mechanisms: PLAIN
// (RFC 4616) and SCRAM-SHA-256 / SCRAM-SHA-512 (RFC 5802, 7677; the server derives the salted
// password from the users file, so one file serves every mechanism). A failure closes the
// connection (as Kafka does), counted by the caller.
//
// Threads: a SaslUsers is immutable once loaded and shared; a SaslSession belongs to one
// connection (the broker's loop thread).
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/util/result.h"

namespace flumen::broker {

class SaslUsers {
 public:
  // "name = password" lines ('#' comments), Kafka's JAAS form (user_alice="alice-secret") too.
  static Result<SaslUsers> load_file(const std::string& path);
  // The user_NAME="password" entries of a PlainLoginModule JAAS config value.
  void add_jaas(std::string_view jaas);
  void add(std::string name, std::string password) {
    users_[std::move(name)] = std::move(password);
  }
  const std::string* password(std::string_view name) const;
  size_t size() const { return users_.size(); }

 private:
  std::map<std::string, std::string, std::less<>> users_;
};

class SaslSession {
 public:
  enum class Step { kContinue, kDone, kFailed };

  SaslSession(std::shared_ptr<const SaslUsers> users, std::vector<std::string> enabled);
  ~SaslSession();
  // The mechanisms enabled, in Kafka's spelling ("PLAIN", "SCRAM-SHA-256").
  const std::vector<std::string>& enabled() const { return enabled_; }
  // SaslHandshake: false when the mechanism is not enabled.
  bool select(std::string_view mechanism);
  bool selected() const { return mech_ != Mech::kNone; }
  // One client token; `out` gets the server's answer token (possibly empty). kFailed: `error`
  // says why (for the log; the client only learns that authentication failed).
  Step step(std::string_view in, std::string& out, std::string& error);
  const std::string& user() const { return user_; }

 private:
  enum class Mech { kNone, kPlain, kScram256, kScram512 };
  Step plain(std::string_view in, std::string& error);
  Step scram_first(std::string_view in, std::string& out, std::string& error);
  Step scram_final(std::string_view in, std::string& out, std::string& error);

  std::shared_ptr<const SaslUsers> users_;
  std::vector<std::string> enabled_;
  Mech mech_ = Mech::kNone;
  int round_ = 0;
  std::string user_;
  // SCRAM between the two rounds.
  std::string client_first_bare_, server_first_, nonce_, salted_;
};

// "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512": the mechanisms this broker implements.
bool sasl_mechanism_supported(std::string_view m);

}  // namespace flumen::broker
