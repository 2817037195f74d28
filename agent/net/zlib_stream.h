#pragma once
// One direction of a zlib-compressed connection (RFC 1950 stream over the whole connection), as
// Netty's ZlibEncoder/ZlibDecoder make it for Flume's compression-type = deflate: the inflater
// takes the bytes as they arrive; the deflater compresses each write and sync-flushes it, so
// the peer can decode it without waiting for more.
#include <zlib.h>

#include <string>
#include <string_view>

namespace flumen::net {

class ZlibInflater {
 public:
  ZlibInflater();
  ~ZlibInflater();
  ZlibInflater(const ZlibInflater&) = delete;
  ZlibInflater& operator=(const ZlibInflater&) = delete;
  // Appends what `in` inflates to; false (with `error`) on a corrupt stream or when `out`
  // would grow past `max_out` (a small input announcing a huge output is refused as it goes).
  bool feed(std::string_view in, std::string& out, size_t max_out, std::string& error);

 private:
  z_stream z_{};
  bool ended_ = false;
};

class ZlibDeflater {
 public:
  explicit ZlibDeflater(int level = 6);
  ~ZlibDeflater();
  ZlibDeflater(const ZlibDeflater&) = delete;
  ZlibDeflater& operator=(const ZlibDeflater&) = delete;
  // Compresses `in` and appends it, sync-flushed, to `out`.
  void write(std::string_view in, std::string& out);

 private:
  z_stream z_{};
};

}  // namespace flumen::net
