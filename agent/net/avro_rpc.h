#pragma once
// Apache Flume's Avro RPC on the wire: Avro IPC (the Avro specification, "Protocol Wire Format")
// over Avro's Netty transport, for Flume's `AvroSourceProtocol` (append / appendBatch of
// AvroFlumeEvent {headers: map<string>, body: bytes}, answered with a Status enum).
//  - Netty framing: serial:u32, count:u32, then count buffers of length:u32 + bytes (big endian).
//    A request's buffers, concatenated, are one Avro IPC message.
//  - The first request of a connection starts with a HandshakeRequest (client and server
//    protocol MD5s, optionally the client's protocol text); the answer starts with a
//    HandshakeResponse (BOTH, CLIENT or NONE). After a NONE the client sends again with its
//    protocol text, and the call is answered only then.
//  - deflate (Flume's compression-type = deflate) compresses each direction as one zlib stream
//    (zlib_stream.h); it is below this framing.
// Pure functions over byte buffers, shared by the avro source and sink, unit-tested and fuzzed.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "agent/event/event_batch.h"
#include "agent/net/avro_binary.h"

namespace flumen::net::avro_rpc {

// The MD5 Flume's own clients and servers send for AvroSourceProtocol (Flume 1.x, Avro 1.11).
inline constexpr std::string_view kFlumeProtocolHash{
    "\x86\xaa\xda\xe2\xc4\x54\x74\xc0\xfe\x93\xff\xd0\xf2\x35\x0a\x65", 16};
// AvroSourceProtocol's schemas as JSON, sent when a peer does not know the hash above.
std::string_view protocol_text();
// Whether a protocol text a client sent is Flume's AvroSourceProtocol (the messages we serve).
bool is_flume_protocol(std::string_view text);

enum class Split { kNeedMore, kPack, kTooLarge, kMalformed };
// A complete Netty frame at the front of `buf`: its serial and its buffers concatenated into
// `payload`. The announced sizes are checked against `max_bytes` before anything is kept.
Split split_pack(std::string_view buf, size_t max_bytes, uint32_t& serial, std::string& payload,
                 size_t& consumed);
// One frame of one buffer.
void append_pack(std::string& out, uint32_t serial, std::string_view payload);
// The same, written in place: begin_pack leaves room for the header and returns where it is,
// the message is written after it, end_pack fills in the length (no copy of the message).
size_t begin_pack(std::string& out, uint32_t serial);
void end_pack(std::string& out, size_t at);

enum class Match : int32_t { kBoth = 0, kClient = 1, kNone = 2 };
enum class Status : int32_t { kOk = 0, kFailed = 1, kUnknown = 2 };

struct HandshakeRequest {
  std::string_view client_hash;  // 16 bytes
  std::optional<std::string_view> client_protocol;
  std::string_view server_hash;  // 16 bytes
};
struct HandshakeResponse {
  Match match = Match::kNone;
  std::optional<std::string_view> server_protocol;
  std::optional<std::string_view> server_hash;
  // The server is a flumen agent, which also speaks the forward protocol (its handshake meta
  // says so under kFlumenForwardMeta; Flume's servers send no meta).
  bool flumen_forward = false;
};
inline constexpr std::string_view kFlumenForwardMeta = "flumen.forward";

// Server side.
bool read_handshake_request(avro::Reader& r, HandshakeRequest& out);
// With kClient and kNone the server's protocol and hash go along; a flumen listener says in
// the meta that it speaks the forward protocol too.
void write_handshake_response(std::string& out, Match m, bool flumen_forward = true);
// A call's metadata and message name; then the parameters, read by read_events.
bool read_call_header(avro::Reader& r, std::string_view& message);
// The parameters of `append` (one event) or `appendBatch` (an array of them), appended to
// `events`. More than `max_events` events, or bytes left over, fail.
bool read_events(avro::Reader& r, std::string_view message, size_t max_events, EventBatch& events);
void write_status_response(std::string& out, Status s);
// An error answer (Avro's system error: a string), for a call the server cannot serve.
void write_error_response(std::string& out, std::string_view message);

// Client side.
void write_handshake_request(std::string& out, bool with_protocol);
// appendBatch of events [begin, end) of `batch`.
void write_append_batch(std::string& out, const EventBatch& batch, size_t begin, size_t end);
bool read_handshake_response(avro::Reader& r, HandshakeResponse& out);
// A call's answer: its Status, or the error message a server sent instead.
bool read_call_response(avro::Reader& r, Status& status, std::string& error);

// Whether the first bytes of a connection look like Avro IPC over Netty (or its zlib stream):
// lets a listener tell Flume's avro sink from a flumen forward sink.
bool looks_like_netty_pack(std::string_view first_bytes);
bool looks_like_zlib_stream(std::string_view first_bytes);

}  // namespace flumen::net::avro_rpc
