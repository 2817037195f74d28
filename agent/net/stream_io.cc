#include "agent/net/stream_io.h"

#include <cstring>

namespace flumen::net {

uv_buf_t InputBuffer::space(size_t chunk) {
  if (buf_.size() - have_ < chunk) buf_.resize(have_ + chunk);
  return uv_buf_init(buf_.data() + have_, static_cast<unsigned>(buf_.size() - have_));
}

void InputBuffer::consume(size_t n) {
  if (n == 0) return;
  std::memmove(buf_.data(), buf_.data() + n, have_ - n);
  have_ -= n;
}

void InputBuffer::reserve(size_t total) {
  if (buf_.size() < total) buf_.resize(total);
}

void InputBuffer::trim(size_t keep_capacity) {
  if (have_ == 0 && buf_.size() > keep_capacity) std::string().swap(buf_);
}

namespace {

struct OwnedWrite {
  uv_write_t req;
  std::vector<std::string> data;
};

}  // namespace

int write_owned(uv_stream_t* stream, std::vector<std::string> data) {
  auto* w = new OwnedWrite;
  w->data = std::move(data);
  std::vector<uv_buf_t> bufs;
  bufs.reserve(w->data.size());
  for (std::string& d : w->data)
    bufs.push_back(uv_buf_init(d.data(), static_cast<unsigned>(d.size())));
  int rc = uv_write(&w->req, stream, bufs.data(), static_cast<unsigned>(bufs.size()),
                    [](uv_write_t* r, int) { delete reinterpret_cast<OwnedWrite*>(r); });
  if (rc != 0) delete w;
  return rc;
}

int write_owned(uv_stream_t* stream, std::string data) {
  std::vector<std::string> one;
  one.push_back(std::move(data));
  return write_owned(stream, std::move(one));
}

}  // namespace flumen::net
