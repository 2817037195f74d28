#include "broker/storage/offset_map.h"

#include <openssl/evp.h>

#include <algorithm>
#include <bit>
#include <memory>

#include "agent/util/byte_order.h"

namespace flumen::broker {

OffsetMap::OffsetMap(size_t max_bytes, size_t expected_keys) {
  const size_t max_slots = std::max<size_t>(64, max_bytes / kSlotBytes);
  const auto wanted = static_cast<size_t>(static_cast<double>(expected_keys) / kLoadFactor) + 1;
  slots_.resize(std::clamp<size_t>(wanted, 64, max_slots));
  limit_ = static_cast<size_t>(static_cast<double>(slots_.size()) * kLoadFactor);
}

void OffsetMap::digest(std::string_view key, uint64_t& hi, uint64_t& lo) {
  // One digest context per thread, reused: EVP_Digest would allocate one per key.
  struct Ctx {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Ctx() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Ctx c;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestInit_ex(c.ctx, EVP_md5(), nullptr);
  EVP_DigestUpdate(c.ctx, key.data(), key.size());
  EVP_DigestFinal_ex(c.ctx, md, &n);
  hi = util::load_be<uint64_t>(md);
  lo = util::load_be<uint64_t>(md + 8);
}

size_t OffsetMap::find(uint64_t hi, uint64_t lo) const {
  // The slot holding the digest, or the empty slot where it would go.
  size_t i = static_cast<size_t>(hi % slots_.size());
  while (slots_[i].offset >= 0 && (slots_[i].hi != hi || slots_[i].lo != lo))
    i = i + 1 == slots_.size() ? 0 : i + 1;
  return i;
}

bool OffsetMap::put(std::string_view key, int64_t offset) {
  uint64_t hi = 0, lo = 0;
  digest(key, hi, lo);
  Slot& s = slots_[find(hi, lo)];
  if (s.offset < 0) {
    if (full()) return false;
    ++size_;
    s.hi = hi;
    s.lo = lo;
  }
  s.offset = std::max(s.offset, offset);
  return true;
}

int64_t OffsetMap::get(std::string_view key) const {
  uint64_t hi = 0, lo = 0;
  digest(key, hi, lo);
  return slots_[find(hi, lo)].offset;
}

}  // namespace flumen::broker
