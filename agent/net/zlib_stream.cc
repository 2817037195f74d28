#include "agent/net/zlib_stream.h"

#include <algorithm>

namespace flumen::net {

ZlibInflater::ZlibInflater() {
  inflateInit(&z_);
}

ZlibInflater::~ZlibInflater() {
  inflateEnd(&z_);
}

bool ZlibInflater::feed(std::string_view in, std::string& out, size_t max_out, std::string& error) {
  if (ended_) {
    if (in.empty()) return true;
    error = "bytes after the end of the compressed stream";
    return false;
  }
  z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z_.avail_in = static_cast<uInt>(in.size());
  while (z_.avail_in > 0) {
    if (out.size() >= max_out) {
      error = "inflates to more than " + std::to_string(max_out) + " bytes";
      return false;
    }
    const size_t room = std::min<size_t>(max_out - out.size(), 64 * 1024);
    const size_t before = out.size();
    out.resize(before + room);
    z_.next_out = reinterpret_cast<Bytef*>(out.data() + before);
    z_.avail_out = static_cast<uInt>(room);
    const int rc = inflate(&z_, Z_NO_FLUSH);
    out.resize(before + (room - z_.avail_out));
    if (rc == Z_STREAM_END) {
      ended_ = true;
      if (z_.avail_in > 0) {
        error = "bytes after the end of the compressed stream";
        return false;
      }
      break;
    }
    if (rc == Z_BUF_ERROR && z_.avail_out > 0) break;  // needs more input
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      error = std::string("corrupt deflate stream: ") + (z_.msg ? z_.msg : "inflate failed");
      return false;
    }
  }
  return true;
}

ZlibDeflater::ZlibDeflater(int level) {
  deflateInit(&z_, level);
}

ZlibDeflater::~ZlibDeflater() {
  deflateEnd(&z_);
}

void ZlibDeflater::write(std::string_view in, std::string& out) {
  z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z_.avail_in = static_cast<uInt>(in.size());
  do {
    const size_t before = out.size();
    const size_t room = deflateBound(&z_, z_.avail_in) + 64;
    out.resize(before + room);
    z_.next_out = reinterpret_cast<Bytef*>(out.data() + before);
    z_.avail_out = static_cast<uInt>(room);
    deflate(&z_, Z_SYNC_FLUSH);
    out.resize(before + (room - z_.avail_out));
  } while (z_.avail_out == 0);
}

}  // namespace flumen::net
