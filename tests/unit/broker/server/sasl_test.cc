// The broker's SASL mechanisms against a client written here from RFC 5802 with OpenSSL (the
// real clients, librdkafka and kafka-python, run in tests/integration/test_broker_security.py),
// the users file and JAAS forms, and `listeners` parsing.
#include "broker/server/sasl.h"

#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "broker/broker_config.h"

namespace flumen::broker {
namespace {

std::string b64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string unb64(const std::string& in) {
  std::string out(in.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  size_t len = static_cast<size_t>(n);
  for (size_t i = in.size(); i > 0 && in[i - 1] == '='; --i)
    --len;
  out.resize(len);
  return out;
}

std::string hmac(const EVP_MD* md, const std::string& key, const std::string& data) {
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), buf, &len);
  return std::string(reinterpret_cast<char*>(buf), len);
}

std::string attr(const std::string& msg, char k) {
  std::string key = std::string(1, k) + "=";
  size_t at = msg.rfind(key, 0) == 0 ? 0 : msg.find("," + key);
  if (at != 0) at += 1;
  size_t end = msg.find(',', at);
  return msg.substr(at + 2, end == std::string::npos ? std::string::npos : end - at - 2);
}

// The client side of SCRAM: true when the server accepted and proved it knows the password.
bool scram_login(SaslSession& s, const EVP_MD* md, const std::string& user,
                 const std::string& password) {
  const std::string bare = "n=" + user + ",r=clientnonce123";
  std::string out, err;
  if (s.step("n,," + bare, out, err) != SaslSession::Step::kContinue) return false;
  const std::string server_first = out;
  const std::string nonce = attr(server_first, 'r');
  REQUIRE(nonce.rfind("clientnonce123", 0) == 0);
  const std::string salt = unb64(attr(server_first, 's'));
  const int iterations = std::stoi(attr(server_first, 'i'));
  std::string salted(static_cast<size_t>(EVP_MD_get_size(md)), '\0');
  PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                    reinterpret_cast<const unsigned char*>(salt.data()),
                    static_cast<int>(salt.size()), iterations, md, static_cast<int>(salted.size()),
                    reinterpret_cast<unsigned char*>(salted.data()));
  const std::string without_proof = "c=biws,r=" + nonce;
  const std::string auth = bare + "," + server_first + "," + without_proof;
  const std::string client_key = hmac(md, salted, "Client Key");
  unsigned char stored[EVP_MAX_MD_SIZE];
  unsigned int stored_len = 0;
  EVP_Digest(client_key.data(), client_key.size(), stored, &stored_len, md, nullptr);
  const std::string sig = hmac(md, std::string(reinterpret_cast<char*>(stored), stored_len), auth);
  std::string proof(client_key.size(), '\0');
  for (size_t i = 0; i < proof.size(); ++i)
    proof[i] = static_cast<char>(client_key[i] ^ sig[i]);
  if (s.step(without_proof + ",p=" + b64(proof), out, err) != SaslSession::Step::kDone)
    return false;
  return out == "v=" + b64(hmac(md, hmac(md, salted, "Server Key"), auth));
}

std::shared_ptr<SaslUsers> users() {
  auto u = std::make_shared<SaslUsers>();
  u->add("alice", "alice-secret");
  u->add_jaas(
      "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"admin\" "
      "password=\"admin-secret\" user_admin=\"admin-secret\" user_bob=\"bob pw\";");
  return u;
}

TEST_CASE("sasl: PLAIN checks the user's password") {
  SaslSession s(users(), {"PLAIN"});
  CHECK_FALSE(s.select("SCRAM-SHA-256"));  // not enabled
  REQUIRE(s.select("PLAIN"));
  std::string out, err;
  CHECK(s.step(std::string("\0alice\0alice-secret", 19), out, err) == SaslSession::Step::kDone);
  CHECK(s.user() == "alice");
  SaslSession t(users(), {"PLAIN"});
  REQUIRE(t.select("PLAIN"));
  CHECK(t.step(std::string("\0alice\0wrong", 12), out, err) == SaslSession::Step::kFailed);
  CHECK(err.find("alice") != std::string::npos);
  SaslSession j(users(), {"PLAIN"});
  REQUIRE(j.select("PLAIN"));
  CHECK(j.step(std::string("\0bob\0bob pw", 11), out, err) == SaslSession::Step::kDone);
  SaslSession m(users(), {"PLAIN"});
  REQUIRE(m.select("PLAIN"));
  CHECK(m.step("no separators", out, err) == SaslSession::Step::kFailed);
}

TEST_CASE("sasl: SCRAM-SHA-256 and -512 prove both ways, a wrong password fails") {
  for (auto [mech, md] :
       {std::pair{"SCRAM-SHA-256", EVP_sha256()}, std::pair{"SCRAM-SHA-512", EVP_sha512()}}) {
    SaslSession ok(users(), {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"});
    REQUIRE(ok.select(mech));
    CHECK(scram_login(ok, md, "alice", "alice-secret"));
    SaslSession bad(users(), {"SCRAM-SHA-256", "SCRAM-SHA-512"});
    REQUIRE(bad.select(mech));
    CHECK_FALSE(scram_login(bad, md, "alice", "not-it"));
    SaslSession unknown(users(), {"SCRAM-SHA-256", "SCRAM-SHA-512"});
    REQUIRE(unknown.select(mech));
    std::string out, err;
    CHECK(unknown.step("n,,n=mallory,r=abc", out, err) == SaslSession::Step::kFailed);
  }
}

TEST_CASE("sasl: users file lines and listeners parsing") {
  std::string path = "/tmp/flumen-sasl-users-test.properties";
  {
    std::ofstream f(path);
    f << "# users\nalice = a1\nbob:b2\n  carol=c = 3  \n";
  }
  auto u = SaslUsers::load_file(path);
  REQUIRE(u.is_ok());
  CHECK(*u.value().password("alice") == "a1");
  CHECK(*u.value().password("bob") == "b2");
  CHECK(*u.value().password("carol") == "c = 3");
  CHECK(u.value().password("dave") == nullptr);
  {
    std::ofstream f(path);
    f << "just-a-name\n";
  }
  CHECK_FALSE(SaslUsers::load_file(path).is_ok());
  std::remove(path.c_str());

  auto ls =
      parse_listeners("PLAINTEXT://:9092, SASL_SSL://[::1]:9093,INTERNAL://h:1", "INTERNAL:SSL");
  REQUIRE(ls.is_ok());
  REQUIRE(ls.value().size() == 3);
  CHECK(ls.value()[0].host.empty());
  CHECK_FALSE(ls.value()[0].tls);
  CHECK(ls.value()[1].host == "::1");
  CHECK(ls.value()[1].tls);
  CHECK(ls.value()[1].sasl);
  CHECK(ls.value()[2].tls);
  CHECK_FALSE(ls.value()[2].sasl);
  CHECK_FALSE(parse_listeners("WHAT://:1", "").is_ok());
  CHECK_FALSE(parse_listeners("PLAINTEXT://:1,PLAINTEXT://:2", "").is_ok());
  CHECK_FALSE(parse_listeners("PLAINTEXT:9092", "").is_ok());
}

}  // namespace
}  // namespace flumen::broker
