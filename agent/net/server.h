#pragma once
// The connection layer every TCP listener runs on (netcat, syslog, forward, http, metrics,
// broker), as Fluent Bit's downstream and Vector's tcp source do it: the plugin supplies a
// handler per connection (its framer: which bytes make a frame, and its acker: what it answers
// once a frame was committed); the layer owns everything else:
//   - the libuv handles (listeners, connections, one sweep timer), freed in one close path;
//   - a bounded input buffer per connection, filled only with bytes that arrived (an idle
//     connection holds none: reads land in a buffer shared by the server and only a partial
//     frame is kept per connection);
//   - pausing: reading stops while the handler has paused the connection (its channel is full),
//     while more replies are queued than the peer takes, or while the buffer is full;
//   - limits and timeouts from ListenerLimits (connections, buffer, pending replies, idle,
//     handshake, partial frame), with the time read from an injected util::Clock;
//   - one set of counters (ServerCounters) and throttled logs for every way a connection ends.
//
// Threads: everything runs on the loop thread of the loop given to the Server (construct,
// listen, close and destroy it there too). Handlers are called on that thread only.
//
// Lifecycle of a connection: accepted -> handler created by the factory -> on_data() for each
// run of received bytes (and once more with eof when the peer closes its side) -> close() by
// anyone (the handler, the peer, a timeout, the server stopping) -> on_close() once -> queued
// replies are flushed (at most `linger`) -> handles closed -> handler and connection freed.
#include <uv.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/metrics/component_metrics.h"
#include "agent/net/limits.h"
#include "agent/net/tls.h"
#include "agent/util/clock.h"
#include "agent/util/log_throttle.h"
#include "agent/util/result.h"

namespace flumen::net {

class Connection;
class Server;

// Why a connection ended; decides which counter moves.
enum class CloseReason {
  kPeerClosed,        // EOF or a read/write error from the peer
  kDone,              // the handler finished the exchange (e.g. "Connection: close")
  kProtocolError,     // bad input: malformed, oversized, announced length above the limit
  kIdle,              // idle_timeout
  kHandshakeTimeout,  // handshake_timeout
  kFrameTimeout,      // frame_timeout (counted as a protocol error too)
  kShed,              // made room for a new connection at the cap
  kStopping,          // the server closes
  kTlsError,          // the TLS handshake or a record failed (counted as a protocol error too)
};

// Per-connection protocol logic, created for each accepted connection.
class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;
  // `data`: every received byte not consumed yet, oldest first. Returns how many bytes from the
  // front it consumed (whole frames, or bytes it skipped); the rest is offered again, with what
  // arrives next, on the next call. `eof`: the peer closed its side; nothing more will come, and
  // unless the handler pauses, the connection closes after this call (after queued replies).
  // The handler may write, pause, or close the connection from here.
  virtual size_t on_data(Connection& c, std::string_view data, bool eof) = 0;
  // Once, when the connection closes for any reason (the handler's own close included). The
  // connection may not be written to any more.
  virtual void on_close(Connection& /*c*/, CloseReason /*reason*/) {}
};

// Counters a server moves; each may be null. make_server_counters registers the standard set.
struct ServerCounters {
  metrics::Counter* open = nullptr;             // gauge: connections open now (Flume's name)
  metrics::Counter* accepted = nullptr;         // connections accepted
  metrics::Counter* refused = nullptr;          // refused at the cap (nothing idle to shed)
  metrics::Counter* shed = nullptr;             // idle connections closed to make room
  metrics::Counter* timed_out = nullptr;        // closed by the idle or handshake timeout
  metrics::Counter* protocol_errors = nullptr;  // closed for bad input (frame timeouts too)
  metrics::Counter* tls_errors = nullptr;       // closed for a failed TLS handshake or record
};
// OpenConnectionCount is the gauge given (sources already have Flume's one); the others are
// ConnectionAcceptedCount, ConnectionRefusedCount, ConnectionShedCount,
// ConnectionTimeoutCount and ProtocolErrorCount in `m`.
ServerCounters make_server_counters(metrics::ComponentMetrics& m, metrics::Counter* open_gauge);
// For a listener with TLS: TlsErrorCount in `m` (a listener without TLS does not show it).
void add_tls_counters(ServerCounters& c, metrics::ComponentMetrics& m);

class Connection {
 public:
  // Queues bytes to the peer (in order; freed once written). Ignored once closing.
  void write(std::string data);
  void write(std::vector<std::string> data);
  // The handler's consumer is full: stop reading; the buffered bytes wait for resume().
  void pause();
  // Start again: the buffered bytes (even none) are offered to on_data first (possibly from
  // inside this call), then reading resumes.
  void resume();
  bool paused() const { return handler_paused_; }
  // A handler that parses as bytes arrive (and so consumes them at once) says here whether it
  // holds a started frame: frame_timeout then applies as if the bytes were buffered.
  void in_frame(bool started);
  // The handshake (if the protocol has one) succeeded: handshake_timeout no longer applies.
  void established() { established_ = true; }
  bool is_established() const { return established_; }
  // Closes the connection: reading stops, on_close runs, queued replies still go out (at most
  // `linger`), then the handles close. `why` is logged (throttled) for errors and timeouts.
  void close(CloseReason reason, std::string_view why = {});
  bool closing() const { return closing_; }
  // Bytes of replies queued and not yet written.
  size_t pending_write_bytes() const { return pending_write_; }
  // True while more replies are queued than max_pending_write_bytes: a handler that can stop
  // consuming (pipelined requests) should, rather than queue more.
  bool write_backlogged() const;

  const std::string& peer() const { return peer_; }  // "ip:port"
  std::string peer_ip() const;                       // "ip"
  int local_port() const { return local_port_; }     // the listener's port it came in on
  // The connection's TLS session when it came in on a TLS listener (peer_subject() after the
  // handshake), else null. Handlers see plaintext either way.
  const TlsSession* tls() const { return tls_.get(); }
  ConnectionHandler* handler() const { return handler_.get(); }

 private:
  friend class Server;
  Connection(Server* server, uv_loop_t* loop, int local_port);
  ~Connection();
  void start();
  void update_reading();
  void deliver();  // offers the buffered bytes to the handler
  void settle();   // after the handler ran: limits, partial-frame clock, reading on or off
  void finish_close();
  // The read path shared by plain and TLS connections: `n` fresh bytes at `data`, in the
  // server's scratch buffer (read_into_scratch_) or at the end of buffer_.
  void ingest(char* data, size_t n);
  // Where the next bytes go: the server's scratch when nothing is buffered, else buffer_.
  void choose_buffer(uv_buf_t* buf);
  void raw_write(std::vector<std::string> data, bool even_closing = false);
  // TLS: drives the handshake, then moves plaintext out of the session into the read path
  // while the handler takes it; ciphertext is read from the socket only once this is drained,
  // so a paused connection holds at most one read of ciphertext.
  void tls_pump();
  void tls_flush(bool even_closing = false);
  void reset_now();  // close the handles without waiting for replies

  static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
  // After our FIN: what the peer still sends is read and dropped until its FIN, so that closing
  // does not turn into a reset that destroys the last answer in flight.
  void discard_until_eof();

  Server* server_;  // null once the server is gone
  uv_tcp_t tcp_{};
  std::unique_ptr<ConnectionHandler> handler_;
  std::unique_ptr<TlsSession> tls_;
  bool tls_pumping_ = false;
  std::string peer_;
  int local_port_ = 0;
  // Input: [begin_, end_) of buffer_ holds unconsumed bytes.
  std::string buffer_;
  size_t begin_ = 0, end_ = 0;
  bool read_into_scratch_ = false;
  size_t pending_write_ = 0;
  bool reading_ = false;
  bool handler_paused_ = false;
  bool write_paused_ = false;
  bool eof_ = false;
  bool established_ = false;
  bool closing_ = false;
  bool in_deliver_ = false;
  bool redeliver_ = false;
  // resume() offers on_data a call even with nothing buffered: a handler that consumed its
  // input into its own buffer (a decompressor) goes on from there.
  bool offer_empty_ = false;
  bool handles_closing_ = false;
  bool handler_in_frame_ = false;
  int outstanding_writes_ = 0;
  util::Clock::time_point accepted_at_{};
  util::Clock::time_point last_read_{};
  util::Clock::time_point partial_since_{};  // zero: no partial frame waiting
  util::Clock::time_point closing_since_{};
};

class Server {
 public:
  using HandlerFactory = std::function<std::unique_ptr<ConnectionHandler>(Connection&)>;

  // `name` prefixes log lines ("netcat source r1"). The clock decides every timeout.
  Server(uv_loop_t* loop, std::string name, ListenerLimits limits, ServerCounters counters,
         HandlerFactory factory, const util::Clock& clock = util::Clock::steady());
  ~Server();  // closes everything (loop thread)

  // Binds host:port (a name, an IPv4 or IPv6 address, "[::1]") and listens; may be called for
  // several ports (multiport syslog). Returns the bound port (port 0 picks a free one).
  Result<int> listen(const std::string& host, int port, int backlog = 511);
  // The same with TLS on every connection of this port (a server context); null = plain. The
  // TLS handshake must finish within handshake_timeout (tls_handshake_timeout when that is 0);
  // a failed one closes the connection as kTlsError.
  Result<int> listen_tls(const std::string& host, int port, std::shared_ptr<const TlsContext> tls,
                         int backlog = 511);
  // Stops accepting and closes every connection at once (queued replies are dropped).
  void close();

  const ListenerLimits& limits() const { return limits_; }
  size_t connection_count() const { return connections_.size(); }
  const std::vector<Connection*>& connections() const { return connections_; }
  const std::string& name() const { return name_; }
  // Applies the timeouts now (the sweep timer calls it every second; tests call it after
  // moving a ManualClock).
  void sweep();

 private:
  friend class Connection;
  struct Listener {
    Server* server;
    uv_tcp_t tcp;
    int port;
    std::shared_ptr<const TlsContext> tls;
  };
  static void on_connection(uv_stream_t* s, int status);
  void accept(Listener* l);
  bool make_room();
  void forget(Connection* c);  // removes a closing connection from connections_
  void log_close(Connection* c, CloseReason reason, std::string_view why);
  // One throttle per kind of message (its text without digits), so that a flood of one kind of
  // bad input does not hide the first line of another.
  util::LogThrottle& throttle_for(std::string_view why);

  uv_loop_t* loop_;
  std::string name_;
  ListenerLimits limits_;
  ServerCounters counters_;
  HandlerFactory factory_;
  const util::Clock* clock_;
  std::vector<Listener*> listeners_;
  std::vector<Connection*> connections_;  // open (not closing)
  std::vector<Connection*> lingering_;    // closing, replies still going out
  uv_timer_t* sweeper_ = nullptr;
  std::string scratch_;          // reads of connections with an empty buffer land here
  util::LogThrottle error_log_;  // for kinds beyond kMaxLogKinds
  std::map<std::string, std::unique_ptr<util::LogThrottle>> kind_logs_;
  util::LogThrottle refuse_log_;
  util::LogThrottle accept_log_;
};

}  // namespace flumen::net
