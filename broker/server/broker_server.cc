#include "broker/server/broker_server.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "agent/util/byte_order.h"
#include "agent/util/thread_name.h"
#include "broker/api/api.h"
#include "broker/server/sasl.h"

namespace flumen::broker {

namespace {

// Kafka has no cap by default (max.connections); a thousand keeps a storm of idle connections
// from exhausting descriptors, and idle ones are shed first.
constexpr size_t kMaxConnections = 1024;
// Requests of one connection waiting for their answer (Kafka clients keep at most 5 in flight);
// beyond this the connection is not read until half are answered.
constexpr size_t kMaxQueuedRequests = 64;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

// One request whose response is not written yet, in its connection's order.
struct BrokerServer::Pending {
  Connection* conn = nullptr;
  Request req;
  std::string request;   // the request body, kept to run a parked Fetch again
  std::string response;  // the whole frame once ready
  bool ready = false;
  bool parked = false;
  ReplyHandle slot;  // a JoinGroup or SyncGroup the coordinator answers later
  int64_t deadline_ms = 0;
};

// A client connection's Kafka side: the requests in its order. The bytes, limits and closing
// belong to the net::Connection it handles.
struct BrokerServer::Connection : net::ConnectionHandler {
  BrokerServer* server = nullptr;
  net::Connection* link = nullptr;
  const Listener* listener = nullptr;
  std::string peer;
  std::deque<Pending*> queue;
  bool closing = false;
  // SASL listeners: nothing but ApiVersions and the SASL requests until authenticated.
  std::unique_ptr<SaslSession> sasl;
  bool authenticated = false;
  bool raw_sasl = false;  // after SaslHandshake v0: the next frames are bare tokens

  size_t on_data(net::Connection&, std::string_view data, bool) override {
    return server->on_readable(this, data);
  }
  void on_close(net::Connection&, net::CloseReason) override { server->forget(this); }
};

BrokerServer::BrokerServer(BrokerConfig config) : config_(std::move(config)), loop_("broker") {
  metrics_ = registry_.create("BROKER", "broker");
  protocol_errors_ = &metrics_->counter("ProtocolErrorCount");
  open_connections_ = &metrics_->counter("OpenConnectionCount", metrics::MetricKind::kGauge);
  requests_ = &metrics_->counter("RequestCount");
  records_appended_ = &metrics_->counter("BatchAppendCount");
  fsyncs_ = &metrics_->counter("FsyncCount");
  duplicate_batches_ = &metrics_->counter("DuplicateBatchCount");
  parked_fetches_ = &metrics_->counter("ParkedFetchCount", metrics::MetricKind::kGauge);
  topics_ = &metrics_->counter("TopicCount", metrics::MetricKind::kGauge);
  auth_failures_ = &metrics_->counter("AuthenticationFailureCount");
  cleaner_counters_ = {&metrics_->counter("CleanerRunCount"),
                       &metrics_->counter("CleanerBytesReadCount"),
                       &metrics_->counter("CleanerBytesWrittenCount"),
                       &metrics_->counter("CleanerRecordsRemovedCount"),
                       &metrics_->counter("CleanerTombstonesRemovedCount"),
                       &metrics_->counter("CleanerMarkersRemovedCount"),
                       &metrics_->counter("CleanerAbortedCount"),
                       &metrics_->counter("CleanerMaxSwapMicros", metrics::MetricKind::kGauge)};
}

BrokerServer::~BrokerServer() {
  stop();
}

Status BrokerServer::start() {
  util::ThreadNameScope naming("broker");  // the stores' worker threads (RocksDB's timer)
  auto store = TopicStore::open(config_.data_dir, config_.log);
  if (!store) return store.status();
  store_ = std::move(store).value();
  auto offsets = OffsetStore::open(config_.data_dir + "/group-offsets");
  if (!offsets) return offsets.status();
  offsets_ = std::move(offsets).value();
  auto ids = ProducerIds::open(config_.data_dir);
  if (!ids) return ids.status();
  producer_ids_ = std::move(ids).value();
  auto txn = TxnCoordinator::open(config_.data_dir);
  if (!txn) return txn.status();
  txn_ = std::move(txn).value();
  dynamic_configs_ = std::make_unique<DynamicBrokerConfigs>(config_.node_id);
  if (Status s = dynamic_configs_->load(config_.data_dir + "/broker-configs.json"); !s) return s;
  store_->set_broker_defaults(dynamic_configs_->log_defaults());  // kept across restarts
  if (Status s = txn_->recover(*store_, *offsets_, wall_ms()); !s) return s;
  cleaner_ = std::make_unique<LogCleaner>(config_.cleaner, wall_ms);
  return loop_.start([this] { return listen_on_loop(); });
}

Status BrokerServer::listen_on_loop() {
  net::ListenerLimits limits;
  limits.max_connections = kMaxConnections;
  limits.max_buffer_bytes = static_cast<size_t>(config_.max_request_bytes) + 4;
  limits.max_pending_write_bytes = 4 << 20;
  limits.idle_timeout = std::chrono::milliseconds(config_.idle_timeout_ms);
  net::ServerCounters counters;
  counters.open = open_connections_;
  counters.protocol_errors = protocol_errors_;
  counters.accepted = &metrics_->counter("ConnectionAcceptedCount");
  counters.refused = &metrics_->counter("ConnectionRefusedCount");
  counters.shed = &metrics_->counter("ConnectionShedCount");
  counters.timed_out = &metrics_->counter("ConnectionTimeoutCount");
  counters.tls_errors = &metrics_->counter("TlsErrorCount");
  server_ = std::make_unique<net::Server>(
      loop_.loop(), "broker", limits, counters, [this](net::Connection& link) {
        auto c = std::make_unique<Connection>();
        c->server = this;
        c->link = &link;
        c->peer = link.peer();
        for (const Listener& l : listeners_)
          if (l.bound_port == link.local_port()) c->listener = &l;
        if (c->listener == nullptr) c->listener = &listeners_.front();
        if (c->listener->conf.sasl)
          c->sasl = std::make_unique<SaslSession>(config_.sasl_users, config_.sasl_mechanisms);
        return c;
      });
  if (Status s = listen_all(); !s) {
    server_.reset();
    return s;
  }
  bound_port_ = listeners_.front().bound_port;
  advertised_host_ = listeners_.front().advertised_host;
  advertised_port_ = listeners_.front().advertised_port;
  ticker_ = new uv_timer_t;
  uv_timer_init(loop_.loop(), ticker_);
  ticker_->data = this;
  uv_timer_start(
      ticker_, [](uv_timer_t* t) { static_cast<BrokerServer*>(t->data)->tick(); }, 50, 50);
  flusher_ = new uv_timer_t;
  uv_timer_init(loop_.loop(), flusher_);
  park_timer_ = new uv_timer_t;
  uv_timer_init(loop_.loop(), park_timer_);
  park_timer_->data = this;
  flusher_->data = this;
  last_retention_ms_ = last_flush_ms_ = now_ms();
  if (config_.metrics_port >= 0) {
    metrics_endpoint_ = std::make_unique<metrics::HttpEndpoint>(
        loop_.loop(), "broker", [this] { return registry_.snapshot(); });
    if (Status s = metrics_endpoint_->listen(config_.listen_host, config_.metrics_port); !s) {
      // Everything this opened goes, or the loop (kept alive by the timers) never ends and
      // the failed start waits for it forever.
      close_on_loop();
      return s;
    }
    spdlog::info("broker metrics on http://{}:{}/metrics", config_.listen_host,
                 metrics_endpoint_->bound_port());
  }
  spdlog::info("broker listening on {}:{} (advertised as {}:{}), data in {}", config_.listen_host,
               bound_port_, advertised_host_, advertised_port_, config_.data_dir);
  return Status::ok();
}

Status BrokerServer::listen_all() {
  std::vector<BrokerListener> wanted = config_.listeners;
  if (wanted.empty()) {
    BrokerListener plain;
    plain.name = "PLAINTEXT";
    plain.host = config_.listen_host;
    plain.port = config_.listen_port;
    wanted.push_back(plain);
  }
  // --advertised names the first listener when advertised.listeners does not.
  if (wanted.front().advertised_host.empty() && !config_.advertised_host.empty()) {
    wanted.front().advertised_host = config_.advertised_host;
    wanted.front().advertised_port = config_.advertised_port;
  }
  listeners_.clear();
  listeners_.reserve(wanted.size());  // connections point at these: no reallocation later
  for (const BrokerListener& w : wanted) {
    std::shared_ptr<const net::TlsContext> tls;
    if (w.tls) {
      if (!tls_) {
        auto ctx = net::TlsContext::make(net::TlsRole::kServer, config_.tls);
        if (!ctx) return ctx.status();
        tls_ = ctx.value();
      }
      tls = tls_;
    }
    const std::string host = w.host.empty() ? "0.0.0.0" : w.host;
    auto port = server_->listen_tls(host, w.port, tls, 1024);
    if (!port) return port.status();
    Listener l;
    l.conf = w;
    l.bound_port = port.value();
    l.advertised_host = w.advertised_host.empty() ? host : w.advertised_host;
    if (l.advertised_host == "0.0.0.0" || l.advertised_host == "::")
      l.advertised_host = "127.0.0.1";
    l.advertised_port = w.advertised_port > 0 ? w.advertised_port : l.bound_port;
    if (w.sasl && w.tls == false)
      spdlog::warn("broker: listener {} takes SASL passwords in plain text (use SASL_SSL)", w.name);
    spdlog::info("broker listener {} on {}:{}{}", w.name, host, l.bound_port,
                 w.sasl ? " (SASL " +
                              [&] {
                                std::string m;
                                for (const auto& x : config_.sasl_mechanisms)
                                  m += (m.empty() ? "" : ",") + x;
                                return m;
                              }() +
                              ")"
                        : "");
    listeners_.push_back(std::move(l));
  }
  return Status::ok();
}

size_t BrokerServer::on_readable(Connection* c, std::string_view data) {
  size_t start = 0;
  // Requests are taken while the answers keep up: too many waiting, or answers the client does
  // not read, and the rest stays in the layer's buffer (which stops reading).
  while (!c->closing && c->queue.size() < kMaxQueuedRequests && !c->link->write_backlogged()) {
    std::string_view avail = data.substr(start);
    if (avail.size() < 4) break;
    const int32_t size = util::load_be<int32_t>(avail.data());
    if (size < 8 || size > config_.max_request_bytes) {
      // Refused from the 4 bytes of its size: nothing is held for what it announced.
      close_connection(c, "request size " + std::to_string(size) + " is out of bounds", true);
      return start;
    }
    const size_t whole = 4 + static_cast<size_t>(size);
    if (avail.size() < whole) break;  // buffered by the layer as its bytes arrive
    if (c->raw_sasl) {
      if (!handle_raw_sasl(c, avail.substr(4, static_cast<size_t>(size)))) return start;
      start += whole;
      continue;
    }
    if (!handle_request(c, avail.substr(4, static_cast<size_t>(size)))) return start;
    start += whole;
  }
  if (c->closing) return start;
  if (c->queue.size() >= kMaxQueuedRequests) c->link->pause();
  write_ready(c);
  return start;
}

bool BrokerServer::handle_request(Connection* c, std::string_view frame) {
  WireReader in(frame);
  Request req;
  req.api_key = in.i16();
  req.api_version = in.i16();
  req.correlation_id = in.i32();
  req.client_id = in.nullable_string();
  if (in.failed()) {
    close_connection(c, "malformed request header", true);
    return false;
  }
  requests_->inc();
  const ApiInfo* api = find_api(req.api_key);
  const bool supported =
      api && req.api_version >= api->min_version && req.api_version <= api->max_version;
  auto* p = new Pending;
  p->conn = c;
  p->req = req;
  c->queue.push_back(p);
  if (!supported) {
    if (req.api_key == 18) {
      // ApiVersions above our range: answer in the v0 layout with UNSUPPORTED_VERSION and our
      // ranges, so the client retries at a version we speak (KIP-511).
      std::string body;
      WireWriter out(body);
      out.i16(kafka_error::kUnsupportedVersion);
      out.i32(static_cast<int32_t>(api_table().size()));
      for (const ApiInfo& a : api_table()) {
        out.i16(a.key);
        out.i16(a.min_version);
        out.i16(a.max_version);
      }
      p->req.flexible = false;
      complete(p, body);
      return true;
    }
    close_connection(c,
                     "unsupported request: api key " + std::to_string(req.api_key) + " version " +
                         std::to_string(req.api_version),
                     true);
    return false;
  }
  p->req.flexible = req.api_version >= api->first_flexible;
  if (p->req.flexible) in.skip_tagged_fields();  // request header v2
  p->request.assign(in.rest());
  if (in.failed()) {
    close_connection(c, "malformed request header", true);
    return false;
  }
  if (c->sasl && !c->authenticated) {
    if (req.api_key == 17 || req.api_key == 36) {
      WireReader body(p->request);
      return handle_sasl(c, p, body);
    }
    if (req.api_key != 18) {
      auth_failures_->inc();
      close_connection(c,
                       std::string(api->name) + " request before SASL authentication on " +
                           c->listener->conf.name,
                       true);
      return false;
    }
  }
  if (!run(p, false) && c->closing) return false;
  return !c->closing;
}

bool BrokerServer::run(Pending* p, bool final_attempt) {
  const ApiInfo* api = find_api(p->req.api_key);
  std::string_view host(p->conn->peer);
  host = host.substr(0, host.rfind(':'));
  const Listener* via = p->conn->listener;
  ApiContext ctx{config_, *store_, groups_, *offsets_, via->advertised_host, via->advertised_port,
                 host};
  ctx.now_ms = now_ms();
  ctx.wall_ms = wall_ms();
  ctx.producer_ids = &*producer_ids_;
  ctx.txn = txn_.get();
  ctx.dynamic_configs = dynamic_configs_.get();
  ctx.final_attempt = final_attempt;
  WireReader in(p->request);
  // Handlers write the body after the response header: the frame is built in place.
  std::string frame = start_frame(p->req);
  WireWriter out(frame);
  Reply reply = api->handle(ctx, p->req, in, out);
  if (in.failed()) {
    close_connection(p->conn, std::string("malformed ") + api->name + " request", true);
    return false;
  }
  if (ctx.appended_batches > 0) {
    records_appended_->inc(ctx.appended_batches);
    wake_parked();
  }
  if (ctx.duplicate_batches > 0) duplicate_batches_->inc(ctx.duplicate_batches);
  switch (reply) {
    case Reply::kNow:
      finish(p, std::move(frame));
      return true;
    case Reply::kNone: {
      auto& q = p->conn->queue;
      q.erase(std::remove(q.begin(), q.end(), p), q.end());
      delete p;
      return true;
    }
    case Reply::kAfterFlush:
      p->response = std::move(frame);  // finished by flush_now
      awaiting_flush_.push_back(p);
      schedule_flush();
      return false;
    case Reply::kDeferred: {
      p->slot = ctx.deferred;
      if (p->slot->early) {
        complete(p, *p->slot->early);
        p->slot->early.reset();
        return true;
      }
      p->slot->deliver = [this, p](std::string body) {
        complete(p, body);
        write_ready(p->conn);
      };
      return false;
    }
    case Reply::kWaitForData:
      if (!p->parked) {
        p->parked = true;
        p->deadline_ms = now_ms() + ctx.wait_ms;
        parked_.push_back(p);
        arm_park_timer();
      }
      return false;
  }
  return false;
}

std::string BrokerServer::start_frame(const Request& req) {
  std::string f;
  WireWriter out(f);
  out.i32(0);  // size, set by finish()
  out.i32(req.correlation_id);
  // Flexible responses carry a header tag section, except ApiVersions (its header is always v0).
  if (req.flexible && req.api_key != 18) out.uvarint(0);
  return f;
}

void BrokerServer::finish(Pending* p, std::string frame) {
  WireWriter(frame).patch_i32(0, static_cast<int32_t>(frame.size() - 4));
  p->response = std::move(frame);
  p->ready = true;
}

void BrokerServer::complete(Pending* p, std::string_view body) {
  std::string f = start_frame(p->req);
  f += body;
  finish(p, std::move(f));
}

void BrokerServer::write_ready(Connection* c) {
  if (c->closing) return;
  // The responses ready at the front of the queue leave in one write, each its own buffer.
  std::vector<std::string> frames;
  while (!c->queue.empty() && c->queue.front()->ready) {
    Pending* p = c->queue.front();
    c->queue.pop_front();
    frames.push_back(std::move(p->response));
    delete p;
  }
  if (!frames.empty()) c->link->write(std::move(frames));
  // After the write: resuming handles the requests held back, whose answers go after these.
  if (c->link->paused() && c->queue.size() <= kMaxQueuedRequests / 2) c->link->resume();
}

void BrokerServer::wake_parked() {
  if (parked_.empty()) return;
  std::vector<Pending*> still;
  std::vector<Connection*> touched;
  for (Pending* p : std::vector<Pending*>(parked_)) {
    if (run(p, false)) {
      touched.push_back(p->conn);
    } else {
      still.push_back(p);
    }
  }
  parked_.swap(still);
  for (Connection* c : touched)
    write_ready(c);
}

void BrokerServer::schedule_flush() {
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  // After the requests of this loop turn: one sync round (an fdatasync per partition written
  // since the last round) answers them all.
  uv_timer_start(
      flusher_, [](uv_timer_t* t) { static_cast<BrokerServer*>(t->data)->flush_now(); }, 0, 0);
}

void BrokerServer::flush_now() {
  flush_scheduled_ = false;
  if (!syncing_ && !awaiting_flush_.empty()) start_sync();
}

namespace {

struct SyncJob {
  uv_work_t req;
  BrokerServer* server;
  std::vector<int> fds;
  int error = 0;
};

}  // namespace

void BrokerServer::start_sync() {
  // The fsyncs run on libuv's thread pool: the loop goes on serving fetches and acks=1 produces
  // meanwhile, and the acks=all requests arriving meanwhile make up the next round.
  auto* job = new SyncJob;
  job->req.data = job;
  job->server = this;
  job->fds = store_->take_dirty_fds();
  in_sync_.swap(awaiting_flush_);
  syncing_ = true;
  if (!job->fds.empty()) fsyncs_->inc();  // rounds that synced something
  uv_queue_work(
      loop_.loop(), &job->req,
      [](uv_work_t* r) {
        auto* j = static_cast<SyncJob*>(r->data);
        for (int fd : j->fds) {
          if (::fdatasync(fd) != 0 && j->error == 0) j->error = errno;
          ::close(fd);
        }
      },
      [](uv_work_t* r, int) {
        auto* j = static_cast<SyncJob*>(r->data);
        j->server->after_sync(j->error);
        delete j;
      });
}

void BrokerServer::after_sync(int error) {
  syncing_ = false;
  last_flush_ms_ = now_ms();
  // The logs of a failed round were marked clean when their descriptors were taken; without
  // this, a retried batch would be answered "already written" by a round that syncs nothing.
  if (error != 0 && store_) store_->mark_all_dirty();
  std::vector<Connection*> touched;
  while (!in_sync_.empty()) {
    Pending* p = in_sync_.back();
    in_sync_.pop_back();
    if (error != 0) {
      // Not durable: the client must not take it as acknowledged. Closing makes it retry (and
      // drops that connection's other waiting requests from in_sync_).
      close_connection(p->conn, std::string("fsync failed: ") + std::strerror(error), true);
      continue;
    }
    finish(p, std::move(p->response));
    if (std::find(touched.begin(), touched.end(), p->conn) == touched.end())
      touched.push_back(p->conn);
  }
  for (Connection* c : touched)
    write_ready(c);
  if (!awaiting_flush_.empty() && !stopping_) schedule_flush();
}

void BrokerServer::arm_park_timer() {
  // A timer for the earliest max_wait among the parked fetches: consumers ask for waits of a few
  // milliseconds, which the 50 ms tick would stretch (and a consumer's next fetch queues behind).
  if (parked_.empty() || !park_timer_) return;
  int64_t earliest = parked_.front()->deadline_ms;
  for (Pending* p : parked_)
    earliest = std::min(earliest, p->deadline_ms);
  const auto due_in = static_cast<uint64_t>(std::max<int64_t>(0, earliest - now_ms()));
  // Already armed for that deadline or an earlier one: it re-arms for the rest when it fires.
  if (uv_is_active(reinterpret_cast<uv_handle_t*>(park_timer_)) &&
      uv_timer_get_due_in(park_timer_) <= due_in)
    return;
  uv_timer_start(
      park_timer_, [](uv_timer_t* t) { static_cast<BrokerServer*>(t->data)->expire_parked(); },
      due_in, 0);
}

void BrokerServer::expire_parked() {
  const int64_t now = now_ms();
  // Parked fetches past their max_wait answer with what there is.
  std::vector<Pending*> due;
  for (Pending* p : parked_)
    if (p->deadline_ms <= now) due.push_back(p);
  if (!due.empty()) {
    parked_.erase(std::remove_if(parked_.begin(), parked_.end(),
                                 [&](Pending* p) { return p->deadline_ms <= now; }),
                  parked_.end());
    for (Pending* p : due) {
      if (run(p, true)) write_ready(p->conn);
    }
  }
  arm_park_timer();
}

void BrokerServer::tick() {
  const int64_t now = now_ms();
  expire_parked();  // normally done by the park timer already
  groups_.tick(now);
  if (txn_->expire(*store_, *offsets_, wall_ms()) > 0) wake_parked();  // transaction.timeout.ms
  parked_fetches_->set(static_cast<int64_t>(parked_.size()));
  topics_->set(static_cast<int64_t>(store_->topics().size()));
  if (config_.flush_interval_ms >= 0 && now - last_flush_ms_ >= config_.flush_interval_ms &&
      !syncing_)
    start_sync();
  cleaner_->poll(*store_);
  const CleanerStats& cs = cleaner_->stats();
  cleaner_counters_.cleans->set(cs.cleans);
  cleaner_counters_.bytes_read->set(cs.bytes_read);
  cleaner_counters_.bytes_written->set(cs.bytes_written);
  cleaner_counters_.records_removed->set(cs.records_removed);
  cleaner_counters_.tombstones_removed->set(cs.tombstones_removed);
  cleaner_counters_.markers_removed->set(cs.markers_removed);
  cleaner_counters_.aborted->set(cs.aborted);
  cleaner_counters_.max_swap_us->set(cs.max_swap_us);
  if (now - last_retention_ms_ >= config_.retention_check_ms) {
    last_retention_ms_ = now;
    if (int n = store_->enforce_retention(wall_ms()); n > 0)
      spdlog::info("broker: retention deleted {} segment(s)", n);
  }
}

bool BrokerServer::handle_sasl(Connection* c, Pending* p, WireReader& in) {
  constexpr int16_t kUnsupportedSaslMechanism = 33, kIllegalSaslState = 34,
                    kSaslAuthenticationFailed = 58;
  const ApiInfo* api = find_api(p->req.api_key);
  Struct body = decode(*api->request, p->req.api_version, in);
  if (in.failed()) {
    close_connection(c, std::string("malformed ") + api->name + " request", true);
    return false;
  }
  Struct answer(api->response->fields);
  std::string failure;
  if (p->req.api_key == 17) {
    const std::string mech(body.s("Mechanism"));
    const bool ok = c->sasl->select(mech);
    answer.set("ErrorCode", ok ? kafka_error::kNone : kUnsupportedSaslMechanism);
    answer.set_strings("Mechanisms", c->sasl->enabled());
    if (!ok) failure = "SASL mechanism " + mech + " is not enabled";
    // Handshake v0: the tokens follow as bare frames; v1: in SaslAuthenticate requests.
    if (ok && p->req.api_version == 0) c->raw_sasl = true;
  } else if (!c->sasl->selected()) {
    answer.set("ErrorCode", kIllegalSaslState);
    answer.set("ErrorMessage", "SaslAuthenticate before SaslHandshake");
    failure = "SaslAuthenticate before SaslHandshake";
  } else {
    std::string out, why;
    SaslSession::Step step = c->sasl->step(body.s("AuthBytes"), out, why);
    if (step == SaslSession::Step::kFailed) {
      answer.set("ErrorCode", kSaslAuthenticationFailed);
      // Kafka's wording: the client learns no more than that.
      answer.set("ErrorMessage", "Authentication failed: Invalid username or password");
      failure = why;
    } else {
      answer.set("ErrorCode", kafka_error::kNone);
      answer.set("AuthBytes", out);
      if (step == SaslSession::Step::kDone) {
        c->authenticated = true;
        spdlog::debug("broker: {} authenticated as {}", c->peer, c->sasl->user());
      }
    }
  }
  std::string encoded_body;
  WireWriter w(encoded_body);
  encode(*api->response, p->req.api_version, answer, w);
  complete(p, encoded_body);
  write_ready(c);
  if (!failure.empty()) {
    auth_failures_->inc();
    close_connection(c, "SASL: " + failure, true);
    return false;
  }
  return true;
}

bool BrokerServer::handle_raw_sasl(Connection* c, std::string_view token) {
  std::string out, why;
  SaslSession::Step step = c->sasl->step(token, out, why);
  if (step == SaslSession::Step::kFailed) {
    auth_failures_->inc();
    close_connection(c, "SASL: " + why, true);
    return false;
  }
  std::string frame;
  WireWriter w(frame);
  w.i32(static_cast<int32_t>(out.size()));
  w.raw(out);
  c->link->write(std::move(frame));
  if (step == SaslSession::Step::kDone) {
    c->authenticated = true;
    c->raw_sasl = false;
  }
  return true;
}

void BrokerServer::close_connection(Connection* c, const std::string& why, bool count) {
  if (c->closing) return;
  // The layer counts (ProtocolErrorCount), logs and closes; forget() drops the requests.
  c->link->close(count ? net::CloseReason::kProtocolError : net::CloseReason::kDone, why);
}

void BrokerServer::forget(Connection* c) {
  c->closing = true;
  for (Pending* p : c->queue) {
    if (p->slot) p->slot->deliver = nullptr;  // the coordinator may still answer: nobody listens
    parked_.erase(std::remove(parked_.begin(), parked_.end(), p), parked_.end());
    awaiting_flush_.erase(std::remove(awaiting_flush_.begin(), awaiting_flush_.end(), p),
                          awaiting_flush_.end());
    in_sync_.erase(std::remove(in_sync_.begin(), in_sync_.end(), p), in_sync_.end());
    delete p;
  }
  c->queue.clear();
}

void BrokerServer::close_on_loop() {
  stopping_ = true;
  server_.reset();  // closes every connection
  metrics_endpoint_.reset();
  for (uv_timer_t** t : {&ticker_, &flusher_, &park_timer_}) {
    if (*t)
      uv_close(reinterpret_cast<uv_handle_t*>(*t),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    *t = nullptr;
  }
}

void BrokerServer::stop() {
  loop_.stop([this] { close_on_loop(); });
  if (cleaner_) cleaner_->stop();  // before the logs it reads go
  if (store_) {
    (void)store_->flush_all();
    store_.reset();
  }
  offsets_.reset();
}

}  // namespace flumen::broker
