#include "agent/net/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cstring>
#include <fstream>

namespace flumen::net {

namespace {

// OpenSSL's error queue as one line (it is per thread; drained here so that the next call does
// not report a stale error).
std::string openssl_errors() {
  std::string out;
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    // "error:0A000086:SSL routines::certificate verify failed" -> the part after the codes.
    const char* reason = std::strstr(buf, "::");
    out += reason ? reason + 2 : buf;
  }
  return out.empty() ? "unknown error" : out;
}

Error file_error(const std::string& what, const std::string& path) {
  std::string msg = what + " " + path + ": ";
  if (auto kind = java_keystore_kind(path))
    msg += "this is a " + *kind + " Java keystore, not PEM (export it: openssl pkcs12 -in " + path +
           " -nodes, or keytool -importkeystore to PKCS12 first)";
  else
    msg += openssl_errors();
  return make_error(ErrorCode::kInvalidConfig, msg);
}

int password_cb(char* buf, int size, int, void* userdata) {
  const auto* pw = static_cast<const std::string*>(userdata);
  if (pw == nullptr || pw->empty()) return 0;
  const int n = std::min(size, static_cast<int>(pw->size()));
  std::memcpy(buf, pw->data(), static_cast<size_t>(n));
  return n;
}

bool readable(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return f.good();
}

}  // namespace

std::optional<std::string> java_keystore_kind(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::nullopt;
  unsigned char head[4] = {};
  f.read(reinterpret_cast<char*>(head), sizeof head);
  if (f.gcount() < 4) return std::nullopt;
  if (head[0] == 0xFE && head[1] == 0xED && head[2] == 0xFE && head[3] == 0xED) return "JKS";
  if (head[0] == 0xCE && head[1] == 0xCE && head[2] == 0xCE && head[3] == 0xCE) return "JCEKS";
  // PKCS#12 is DER: a SEQUENCE (0x30) with a long-form length, then INTEGER version 3. PEM is
  // text, so a DER SEQUENCE at the start is taken as a PKCS#12 bundle (keytool's default type
  // since Java 9).
  if (head[0] == 0x30 && (head[1] & 0x80) != 0) return "PKCS12";
  return std::nullopt;
}

Result<std::shared_ptr<TlsContext>> TlsContext::make(TlsRole role, const TlsConfig& config) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(role == TlsRole::kServer ? TLS_server_method() : TLS_client_method());
  if (ctx == nullptr)
    return make_error(ErrorCode::kInternal, "TLS: cannot create a context: " + openssl_errors());
  // The context is owned from here: every early return frees it.
  std::shared_ptr<TlsContext> out(new TlsContext(role, config, ctx));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // Memory BIOs take whole writes, and a paused connection must not pin 2 x 16 KiB of record
  // buffers while it waits.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  const TlsConfig& c = out->config_;

  if (role == TlsRole::kServer && c.cert_file.empty())
    return make_error(ErrorCode::kInvalidConfig, "TLS: a server needs a certificate file");
  if (!c.cert_file.empty() != !c.key_file.empty())
    return make_error(ErrorCode::kInvalidConfig,
                      "TLS: a certificate needs its key file and a key its certificate");
  for (const std::string* p : {&c.cert_file, &c.key_file, &c.ca_file})
    if (!p->empty() && !readable(*p))
      return make_error(ErrorCode::kInvalidConfig,
                        "TLS: cannot read " + *p + ": " + std::strerror(errno));

  if (!c.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, c.cert_file.c_str()) != 1)
      return file_error("TLS: cannot load the certificate", c.cert_file);
    SSL_CTX_set_default_passwd_cb(ctx, password_cb);
    SSL_CTX_set_default_passwd_cb_userdata(ctx, const_cast<std::string*>(&c.key_password));
    if (SSL_CTX_use_PrivateKey_file(ctx, c.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
        ERR_clear_error();
        return make_error(
            ErrorCode::kInvalidConfig,
            "TLS: the key " + c.key_file + " does not match the certificate " + c.cert_file);
      }
      return file_error("TLS: cannot load the private key", c.key_file);
    }
    if (SSL_CTX_check_private_key(ctx) != 1)
      return make_error(ErrorCode::kInvalidConfig, "TLS: the key " + c.key_file +
                                                       " does not match the certificate " +
                                                       c.cert_file + ": " + openssl_errors());
  }
  if (!c.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, c.ca_file.c_str(), nullptr) != 1)
      return file_error("TLS: cannot load the CA file", c.ca_file);
  } else if (role == TlsRole::kClient && c.verify_peer) {
    SSL_CTX_set_default_verify_paths(ctx);
  }

  if (role == TlsRole::kServer) {
    if (c.require_client_cert || c.request_client_cert) {
      if (c.ca_file.empty())
        return make_error(ErrorCode::kInvalidConfig,
                          "TLS: client certificates need a CA file to verify them against");
      SSL_CTX_set_verify(
          ctx, SSL_VERIFY_PEER | (c.require_client_cert ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
          nullptr);
      // The names of acceptable CAs, sent in the CertificateRequest.
      if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(c.ca_file.c_str()))
        SSL_CTX_set_client_CA_list(ctx, names);
    }
  } else {
    SSL_CTX_set_verify(ctx, c.verify_peer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  }
  ERR_clear_error();
  return out;
}

TlsContext::~TlsContext() {
  SSL_CTX_free(ctx_);
}

// ---- TlsSession ------------------------------------------------------------------------------

TlsSession::TlsSession(std::shared_ptr<const TlsContext> ctx) : ctx_(std::move(ctx)) {
  ssl_ = SSL_new(ctx_->native());
  rbio_ = BIO_new(BIO_s_mem());
  wbio_ = BIO_new(BIO_s_mem());
  // An empty input BIO means "wait for more", not end of stream.
  BIO_set_mem_eof_return(rbio_, -1);
  SSL_set_bio(ssl_, rbio_, wbio_);
  if (ctx_->role() == TlsRole::kServer) {
    SSL_set_accept_state(ssl_);
  } else {
    SSL_set_connect_state(ssl_);
    const TlsConfig& c = ctx_->config();
    if (!c.server_name.empty()) {
      // SNI is for names only, not addresses (RFC 6066).
      bool is_ip = c.server_name.find_first_not_of("0123456789.") == std::string::npos ||
                   c.server_name.find(':') != std::string::npos;
      if (!is_ip) SSL_set_tlsext_host_name(ssl_, c.server_name.c_str());
      if (c.verify_peer) {
        X509_VERIFY_PARAM* p = SSL_get0_param(ssl_);
        if (is_ip)
          X509_VERIFY_PARAM_set1_ip_asc(p, c.server_name.c_str());
        else
          X509_VERIFY_PARAM_set1_host(p, c.server_name.c_str(), 0);
      }
    }
  }
}

TlsSession::~TlsSession() {
  SSL_free(ssl_);  // frees both BIOs
}

void TlsSession::feed(const char* data, size_t n) {
  if (n > 0) BIO_write(rbio_, data, static_cast<int>(n));
}

TlsSession::Io TlsSession::fail(int rc, const char* what) {
  int e = SSL_get_error(ssl_, rc);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return Io::kWant;
  if (e == SSL_ERROR_ZERO_RETURN) return Io::kClosed;
  failed_ = true;
  error_ = std::string("TLS ") + what + ": ";
  if (e == SSL_ERROR_SSL) {
    error_ += openssl_errors();
    long v = SSL_get_verify_result(ssl_);
    if (v != X509_V_OK) error_ += std::string(" (") + X509_verify_cert_error_string(v) + ")";
  } else {
    error_ += "error " + std::to_string(e);
    ERR_clear_error();
  }
  return Io::kError;
}

TlsSession::Io TlsSession::handshake() {
  if (done_) return Io::kOk;
  if (failed_) return Io::kError;
  ERR_clear_error();
  int rc = SSL_do_handshake(ssl_);
  if (rc == 1) {
    done_ = true;
    if (!flush_held()) return Io::kError;
    return Io::kOk;
  }
  Io r = fail(rc, "handshake");
  return r == Io::kClosed ? Io::kError : r;
}

TlsSession::Io TlsSession::read(char* out, size_t cap, size_t* got) {
  *got = 0;
  if (failed_) return Io::kError;
  if (!done_) {
    Io h = handshake();
    if (h != Io::kOk) return h;
  }
  if (cap == 0) return Io::kWant;
  // SSL_read gives one record (16 KiB at most) per call: fill `cap` with as many as are here,
  // so the owner hands its reader one large run instead of many small ones.
  while (*got < cap) {
    ERR_clear_error();
    size_t n = 0;
    int rc = SSL_read_ex(ssl_, out + *got, cap - *got, &n);
    if (rc != 1) {
      Io r = fail(rc, "read");
      if (*got > 0 && r == Io::kWant) return Io::kOk;
      if (*got > 0 && r == Io::kClosed) return Io::kOk;  // kClosed again on the next call
      return r;
    }
    *got += n;
  }
  return Io::kOk;
}

bool TlsSession::write(std::string_view plain) {
  if (failed_) return false;
  if (!done_) {
    held_.append(plain);
    return true;
  }
  while (!plain.empty()) {
    ERR_clear_error();
    size_t n = 0;
    if (SSL_write_ex(ssl_, plain.data(), plain.size(), &n) != 1) {
      fail(0, "write");
      failed_ = true;
      return false;
    }
    plain.remove_prefix(n);
  }
  return true;
}

bool TlsSession::flush_held() {
  if (held_.empty()) return true;
  std::string h;
  h.swap(held_);
  return write(h);
}

void TlsSession::shutdown() {
  if (done_ && !failed_) {
    ERR_clear_error();
    SSL_shutdown(ssl_);
    ERR_clear_error();
  }
}

size_t TlsSession::output_pending() const {
  return BIO_ctrl_pending(wbio_);
}

std::string TlsSession::take_output() {
  std::string out;
  size_t n = BIO_ctrl_pending(wbio_);
  if (n == 0) return out;
  out.resize(n);
  int r = BIO_read(wbio_, out.data(), static_cast<int>(n));
  out.resize(r > 0 ? static_cast<size_t>(r) : 0);
  return out;
}

bool TlsSession::input_pending() const {
  return SSL_pending(ssl_) > 0 || BIO_ctrl_pending(rbio_) > 0;
}

std::string TlsSession::peer_subject() const {
  X509* cert = SSL_get0_peer_certificate(ssl_);
  if (cert == nullptr) return {};
  char buf[512];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
  return buf;
}

std::string TlsSession::version() const {
  return SSL_get_version(ssl_);
}

}  // namespace flumen::net
