#include "broker/storage/batch_codec.h"

#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <cstring>
#include <memory>

#include "agent/util/byte_order.h"

namespace flumen::broker {

namespace {

constexpr char kXerialMagic[8] = {'\x82', 'S', 'N', 'A', 'P', 'P', 'Y', '\0'};
constexpr size_t kXerialHeader = 16;       // magic, version, compatible version
constexpr size_t kXerialBlock = 32 << 10;  // SnappyOutputStream's default block size

bool is_xerial(std::string_view in) {
  return in.size() >= kXerialHeader && std::memcmp(in.data(), kXerialMagic, 8) == 0;
}

// Grows `out` by up to `chunk` bytes of room; false past `max_out`.
bool grow(std::string& out, size_t used, size_t max_out) {
  if (used >= max_out) return false;
  const size_t want = std::min(max_out, std::max<size_t>(used * 2, 64 << 10));
  out.resize(want);
  return true;
}

bool gunzip(std::string_view in, size_t max_out, std::string& out) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 32) != Z_OK) return false;  // +32: gzip or zlib header
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  size_t used = 0;
  int rc = Z_OK;
  out.clear();
  while (rc != Z_STREAM_END) {
    if (used == out.size() && !grow(out, used, max_out)) break;
    z.next_out = reinterpret_cast<Bytef*>(out.data() + used);
    z.avail_out = static_cast<uInt>(out.size() - used);
    rc = inflate(&z, Z_NO_FLUSH);
    used = out.size() - z.avail_out;
    if (rc == Z_STREAM_END && z.avail_in > 0) {
      // Concatenated gzip members (Java's GZIPInputStream reads them all).
      if (inflateReset(&z) != Z_OK) break;
      rc = Z_OK;
      continue;
    }
    if (rc != Z_OK && rc != Z_STREAM_END && !(rc == Z_BUF_ERROR && z.avail_out == 0)) break;
  }
  inflateEnd(&z);
  out.resize(used);
  return rc == Z_STREAM_END;
}

bool gzip(std::string_view in, std::string& out) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return false;
  out.resize(deflateBound(&z, static_cast<uLong>(in.size())) + 32);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(out.size() - z.avail_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END;
}

bool unsnappy_raw(std::string_view in, size_t max_out, std::string& out, bool append) {
  size_t n = 0;
  if (!snappy::GetUncompressedLength(in.data(), in.size(), &n)) return false;
  const size_t at = append ? out.size() : 0;
  if (at + n > max_out) return false;
  out.resize(at + n);
  return snappy::RawUncompress(in.data(), in.size(), out.data() + at);
}

bool unsnappy(std::string_view in, size_t max_out, std::string& out) {
  if (!is_xerial(in)) return unsnappy_raw(in, max_out, out, false);
  out.clear();
  for (size_t pos = kXerialHeader; pos < in.size();) {
    if (pos + 4 > in.size()) return false;
    const auto n = util::load_be<uint32_t>(in.data() + pos);
    pos += 4;
    if (n > in.size() - pos) return false;
    if (!unsnappy_raw(in.substr(pos, n), max_out, out, true)) return false;
    pos += n;
  }
  return true;
}

void snappy_raw(std::string_view in, std::string& out) {
  const size_t at = out.size();
  out.resize(at + snappy::MaxCompressedLength(in.size()));
  size_t n = 0;
  snappy::RawCompress(in.data(), in.size(), out.data() + at, &n);
  out.resize(at + n);
}

void snappy_xerial(std::string_view in, std::string& out) {
  out.assign(kXerialMagic, 8);
  util::append_be<int32_t>(out, 1);  // version
  util::append_be<int32_t>(out, 1);  // compatible version
  for (size_t pos = 0; pos < in.size(); pos += kXerialBlock) {
    const size_t len_at = out.size();
    util::append_be<uint32_t>(out, 0);
    snappy_raw(in.substr(pos, kXerialBlock), out);
    util::store_be<uint32_t>(out.data() + len_at, static_cast<uint32_t>(out.size() - len_at - 4));
  }
}

bool unlz4(std::string_view in, size_t max_out, std::string& out) {
  LZ4F_dctx* ctx = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION))) return false;
  std::unique_ptr<LZ4F_dctx, decltype(&LZ4F_freeDecompressionContext)> own(
      ctx, LZ4F_freeDecompressionContext);
  out.clear();
  size_t used = 0, pos = 0, hint = 1;
  while (pos < in.size() && hint != 0) {
    if (used == out.size() && !grow(out, used, max_out)) return false;
    size_t dst = out.size() - used, src = in.size() - pos;
    hint = LZ4F_decompress(ctx, out.data() + used, &dst, in.data() + pos, &src, nullptr);
    if (LZ4F_isError(hint)) return false;
    used += dst;
    pos += src;
    if (src == 0 && dst == 0 && used < out.size()) return false;  // no progress: truncated
  }
  // The frame may end with its output still buffered in the context.
  while (hint != 0) {
    if (used == out.size() && !grow(out, used, max_out)) return false;
    size_t dst = out.size() - used, src = 0;
    hint = LZ4F_decompress(ctx, out.data() + used, &dst, nullptr, &src, nullptr);
    if (LZ4F_isError(hint) || dst == 0) return false;
    used += dst;
  }
  out.resize(used);
  return true;
}

bool lz4(std::string_view in, std::string& out) {
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;  // Kafka's reader refuses linked blocks
  out.resize(LZ4F_compressFrameBound(in.size(), &prefs));
  const size_t n = LZ4F_compressFrame(out.data(), out.size(), in.data(), in.size(), &prefs);
  if (LZ4F_isError(n)) return false;
  out.resize(n);
  return true;
}

bool unzstd(std::string_view in, size_t max_out, std::string& out) {
  std::unique_ptr<ZSTD_DStream, decltype(&ZSTD_freeDStream)> ds(ZSTD_createDStream(),
                                                                ZSTD_freeDStream);
  if (!ds) return false;
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  out.clear();
  size_t used = 0, rc = 1;
  while (src.pos < src.size || rc != 0) {
    if (used == out.size() && !grow(out, used, max_out)) return false;
    ZSTD_outBuffer dst{out.data() + used, out.size() - used, 0};
    const size_t before = src.pos;
    rc = ZSTD_decompressStream(ds.get(), &dst, &src);
    if (ZSTD_isError(rc)) return false;
    used += dst.pos;
    if (dst.pos == 0 && src.pos == before && rc != 0 && src.pos == src.size) return false;
  }
  out.resize(used);
  return true;
}

bool zstd(std::string_view in, std::string& out) {
  out.resize(ZSTD_compressBound(in.size()));
  const size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
  if (ZSTD_isError(n)) return false;
  out.resize(n);
  return true;
}

}  // namespace

bool decompress_records(int codec, std::string_view in, size_t max_out, std::string& out) {
  switch (codec) {
    case 1:
      return gunzip(in, max_out, out);
    case 2:
      return unsnappy(in, max_out, out);
    case 3:
      return unlz4(in, max_out, out);
    case 4:
      return unzstd(in, max_out, out);
    default:
      return false;
  }
}

bool compress_records(int codec, std::string_view in, std::string_view like, std::string& out) {
  switch (codec) {
    case 1:
      return gzip(in, out);
    case 2:
      if (is_xerial(like)) {
        snappy_xerial(in, out);
      } else {
        out.clear();
        snappy_raw(in, out);
      }
      return true;
    case 3:
      return lz4(in, out);
    case 4:
      return zstd(in, out);
    default:
      return false;
  }
}

}  // namespace flumen::broker
