#include "broker/server/sasl.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <fstream>

namespace flumen::broker {

namespace {

constexpr int kScramIterations = 4096;  // Kafka's minimum

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::string b64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool unb64(std::string_view in, std::string& out) {
  if (in.size() % 4 != 0) return false;
  out.assign(3 * in.size() / 4 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) return false;
  size_t len = static_cast<size_t>(n);
  // EVP_DecodeBlock counts the padding as zero bytes.
  if (!in.empty() && in.back() == '=') --len;
  if (in.size() > 1 && in[in.size() - 2] == '=') --len;
  out.resize(len);
  return true;
}

std::string hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), buf, &len);
  return std::string(reinterpret_cast<char*>(buf), len);
}

std::string digest(const EVP_MD* md, std::string_view data) {
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), buf, &len, md, nullptr);
  return std::string(reinterpret_cast<char*>(buf), len);
}

bool same(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// "k=v" attributes of a SCRAM message, in order.
std::vector<std::pair<char, std::string_view>> attributes(std::string_view msg) {
  std::vector<std::pair<char, std::string_view>> out;
  while (!msg.empty()) {
    size_t comma = msg.find(',');
    std::string_view a = msg.substr(0, comma);
    if (a.size() >= 2 && a[1] == '=') out.emplace_back(a[0], a.substr(2));
    if (comma == std::string_view::npos) break;
    msg.remove_prefix(comma + 1);
  }
  return out;
}

// SCRAM's saslname: "=2C" is ',' and "=3D" is '='.
std::string unescape_name(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.substr(i, 3) == "=2C") {
      out += ',';
      i += 2;
    } else if (s.substr(i, 3) == "=3D") {
      out += '=';
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

bool sasl_mechanism_supported(std::string_view m) {
  return m == "PLAIN" || m == "SCRAM-SHA-256" || m == "SCRAM-SHA-512";
}

// ---- SaslUsers --------------------------------------------------------------------------------

Result<SaslUsers> SaslUsers::load_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(ErrorCode::kInvalidConfig, "cannot read the SASL users file " + path);
  SaslUsers u;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::string_view l = trim(line);
    if (l.empty() || l.front() == '#') continue;
    if (l.find("user_") != std::string_view::npos && l.find('"') != std::string_view::npos) {
      u.add_jaas(l);
      continue;
    }
    size_t eq = l.find_first_of("=:");
    if (eq == std::string_view::npos || trim(l.substr(0, eq)).empty())
      return make_error(ErrorCode::kInvalidConfig,
                        path + ":" + std::to_string(n) + ": expected 'user = password'");
    u.add(std::string(trim(l.substr(0, eq))), std::string(trim(l.substr(eq + 1))));
  }
  return u;
}

void SaslUsers::add_jaas(std::string_view jaas) {
  size_t at = 0;
  while ((at = jaas.find("user_", at)) != std::string_view::npos) {
    size_t eq = jaas.find('=', at);
    if (eq == std::string_view::npos) return;
    std::string name(trim(jaas.substr(at + 5, eq - at - 5)));
    size_t q1 = jaas.find('"', eq);
    size_t q2 = q1 == std::string_view::npos ? q1 : jaas.find('"', q1 + 1);
    if (q2 == std::string_view::npos) return;
    add(std::move(name), std::string(jaas.substr(q1 + 1, q2 - q1 - 1)));
    at = q2 + 1;
  }
}

const std::string* SaslUsers::password(std::string_view name) const {
  auto it = users_.find(name);
  return it == users_.end() ? nullptr : &it->second;
}

// ---- SaslSession ------------------------------------------------------------------------------

SaslSession::SaslSession(std::shared_ptr<const SaslUsers> users, std::vector<std::string> enabled)
    : users_(std::move(users)), enabled_(std::move(enabled)) {}

SaslSession::~SaslSession() {
  OPENSSL_cleanse(salted_.data(), salted_.size());
}

bool SaslSession::select(std::string_view m) {
  if (std::find(enabled_.begin(), enabled_.end(), m) == enabled_.end()) return false;
  mech_ = m == "PLAIN"           ? Mech::kPlain
          : m == "SCRAM-SHA-256" ? Mech::kScram256
          : m == "SCRAM-SHA-512" ? Mech::kScram512
                                 : Mech::kNone;
  round_ = 0;
  return mech_ != Mech::kNone;
}

SaslSession::Step SaslSession::step(std::string_view in, std::string& out, std::string& error) {
  out.clear();
  switch (mech_) {
    case Mech::kNone:
      error = "no mechanism selected (SaslHandshake first)";
      return Step::kFailed;
    case Mech::kPlain:
      return plain(in, error);
    default:
      return round_++ == 0 ? scram_first(in, out, error) : scram_final(in, out, error);
  }
}

SaslSession::Step SaslSession::plain(std::string_view in, std::string& error) {
  // authzid NUL authcid NUL passwd
  size_t a = in.find('\0');
  size_t b = a == std::string_view::npos ? a : in.find('\0', a + 1);
  if (b == std::string_view::npos) {
    error = "malformed PLAIN token";
    return Step::kFailed;
  }
  std::string_view authzid = in.substr(0, a), user = in.substr(a + 1, b - a - 1),
                   pass = in.substr(b + 1);
  if (!authzid.empty() && authzid != user) {
    error = "PLAIN: authorization id differs from the user";
    return Step::kFailed;
  }
  const std::string* want = users_ ? users_->password(user) : nullptr;
  if (want == nullptr || !same(*want, pass)) {
    error = "PLAIN: bad user name or password for '" + std::string(user) + "'";
    return Step::kFailed;
  }
  user_ = user;
  return Step::kDone;
}

SaslSession::Step SaslSession::scram_first(std::string_view in, std::string& out,
                                           std::string& error) {
  // gs2-header ("n,," or "y,," or with a=authzid), then "n=user,r=nonce[,ext]".
  size_t c1 = in.find(',');
  size_t c2 = c1 == std::string_view::npos ? c1 : in.find(',', c1 + 1);
  if (c2 == std::string_view::npos || in.empty() || (in[0] != 'n' && in[0] != 'y')) {
    error = "malformed SCRAM client-first message";
    return Step::kFailed;
  }
  client_first_bare_ = in.substr(c2 + 1);
  std::string_view cnonce;
  for (auto [k, v] : attributes(client_first_bare_)) {
    if (k == 'n') user_ = unescape_name(v);
    if (k == 'r') cnonce = v;
  }
  const std::string* pw = users_ ? users_->password(user_) : nullptr;
  if (user_.empty() || cnonce.empty() || pw == nullptr) {
    error = "SCRAM: unknown user '" + user_ + "'";
    return Step::kFailed;
  }
  unsigned char rnd[18], salt[16];
  RAND_bytes(rnd, sizeof rnd);
  RAND_bytes(salt, sizeof salt);
  nonce_ = std::string(cnonce) + b64(std::string_view(reinterpret_cast<char*>(rnd), sizeof rnd));
  const EVP_MD* md = mech_ == Mech::kScram256 ? EVP_sha256() : EVP_sha512();
  salted_.assign(static_cast<size_t>(EVP_MD_get_size(md)), '\0');
  PKCS5_PBKDF2_HMAC(pw->data(), static_cast<int>(pw->size()), salt, sizeof salt, kScramIterations,
                    md, static_cast<int>(salted_.size()),
                    reinterpret_cast<unsigned char*>(salted_.data()));
  server_first_ = "r=" + nonce_ +
                  ",s=" + b64(std::string_view(reinterpret_cast<char*>(salt), sizeof salt)) +
                  ",i=" + std::to_string(kScramIterations);
  out = server_first_;
  return Step::kContinue;
}

SaslSession::Step SaslSession::scram_final(std::string_view in, std::string& out,
                                           std::string& error) {
  const size_t p = in.rfind(",p=");
  if (p == std::string_view::npos) {
    error = "malformed SCRAM client-final message";
    return Step::kFailed;
  }
  std::string_view without_proof = in.substr(0, p);
  std::string proof;
  std::string_view nonce;
  for (auto [k, v] : attributes(without_proof))
    if (k == 'r') nonce = v;
  // RFC 5802 wants the nonce of server-first back; librdkafka sends its own nonce in front of
  // it, and Kafka accepts any nonce that ends with the server's (ScramSaslServer), so do we.
  const bool nonce_ok =
      nonce.size() >= nonce_.size() && nonce.substr(nonce.size() - nonce_.size()) == nonce_;
  if (!unb64(in.substr(p + 3), proof) || !nonce_ok) {
    error = "SCRAM: bad nonce or proof encoding";
    return Step::kFailed;
  }
  const EVP_MD* md = mech_ == Mech::kScram256 ? EVP_sha256() : EVP_sha512();
  const std::string auth_message =
      client_first_bare_ + "," + server_first_ + "," + std::string(without_proof);
  const std::string client_key = hmac(md, salted_, "Client Key");
  const std::string stored_key = digest(md, client_key);
  const std::string signature = hmac(md, stored_key, auth_message);
  if (proof.size() != signature.size()) {
    error = "SCRAM: bad proof for '" + user_ + "'";
    return Step::kFailed;
  }
  std::string recovered(proof.size(), '\0');
  for (size_t i = 0; i < proof.size(); ++i)
    recovered[i] = static_cast<char>(proof[i] ^ signature[i]);
  if (!same(digest(md, recovered), stored_key)) {
    error = "SCRAM: bad password for '" + user_ + "'";
    return Step::kFailed;
  }
  const std::string server_key = hmac(md, salted_, "Server Key");
  out = "v=" + b64(hmac(md, server_key, auth_message));
  return Step::kDone;
}

}  // namespace flumen::broker
