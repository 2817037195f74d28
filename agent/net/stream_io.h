#pragma once
// Two things every framed TCP protocol on a libuv loop needs (the forward source, the broker):
//  - InputBuffer: reads go straight into one growing buffer, after the bytes still unparsed; a
//    parser consumes whole frames from the front. No allocation per read, one move per batch of
//    frames, and a frame announced as large can reserve its room at once.
//  - write_owned: hands strings to uv_write and frees them when the write completes, as several
//    buffers of one write (no concatenation copy).
#include <uv.h>

#include <string>
#include <string_view>
#include <vector>

namespace flumen::net {

class InputBuffer {
 public:
  // Room for the next read (at least `chunk` bytes) after what the buffer holds.
  uv_buf_t space(size_t chunk);
  void commit(size_t n) { have_ += n; }
  std::string_view data() const { return {buf_.data(), have_}; }
  size_t size() const { return have_; }
  bool empty() const { return have_ == 0; }
  // Drops the first n bytes (the frames just handled).
  void consume(size_t n);
  // Makes room for `total` bytes in all: a frame whose length is known before it arrived.
  void reserve(size_t total);
  // Gives a big buffer back once it is empty (one large frame must not pin memory forever).
  void trim(size_t keep_capacity);

 private:
  std::string buf_;
  size_t have_ = 0;
};

// Queues `data` on the stream; they are freed when the write completes (or fails). Returns
// uv_write's result.
int write_owned(uv_stream_t* stream, std::vector<std::string> data);
int write_owned(uv_stream_t* stream, std::string data);

}  // namespace flumen::net
