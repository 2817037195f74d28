// Load generator for the broker benchmark (librdkafka): produces --count messages of --size bytes
// with --acks, then consumes, and prints one line of figures per phase: "produce <msgs/s> <MB/s>"
// and "consume <msgs/s> <MB/s>".
// With --mock it starts librdkafka's in-process mock cluster and runs against that instead: the
// baseline of bench/broker_throughput.py.
//
// The consume phase reads the last --window messages of the partition --passes times, each pass
// from a fresh assignment, and reports the rate while messages flow: from each pass's first
// message to its last. A window, not the whole log, because the mock keeps only the last 5 MB of
// a partition (librdkafka's mock deletes older segments); the same window is read from both
// targets, and each pass's start (assignment, first fetch) is left out for both.
//
//   kafka_load (--brokers HOST:PORT | --mock) --topic T [--count N] [--size B] [--acks 1|all]
//              [--produce-only] [--window 40000] [--passes 10]
//              [--transaction-every N] [--read-committed]
// --transaction-every N: a transactional producer (acks=all), committing every N messages;
// --read-committed: the consumer reads with isolation.level=read_committed.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

using Clock = std::chrono::steady_clock;

void set(rd_kafka_conf_t* conf, const char* k, const std::string& v) {
  char err[512];
  if (rd_kafka_conf_set(conf, k, v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
    std::fprintf(stderr, "%s: %s\n", k, err);
    std::exit(2);
  }
}

long g_failed = 0;

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  if (m->err) ++g_failed;
}

}  // namespace

int main(int argc, char** argv) {
  std::string brokers, topic = "bench", acks = "1";
  long count = 1000000, size = 100;
  bool mock = false;
  bool produce_only = false;
  long window = 40000, passes = 10;
  long transaction_every = 0;  // > 0: a transactional producer committing every N messages
  bool read_committed = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--brokers")
      brokers = next();
    else if (a == "--topic")
      topic = next();
    else if (a == "--count")
      count = std::stol(next());
    else if (a == "--size")
      size = std::stol(next());
    else if (a == "--acks")
      acks = next();
    else if (a == "--mock")
      mock = true;
    else if (a == "--window")
      window = std::stol(next());
    else if (a == "--passes")
      passes = std::stol(next());
    else if (a == "--produce-only")
      produce_only = true;
    else if (a == "--transaction-every")
      transaction_every = std::stol(next());
    else if (a == "--read-committed")
      read_committed = true;
    else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // figures appear as each phase ends
  char err[512];
  rd_kafka_t* mock_rk = nullptr;
  rd_kafka_mock_cluster_t* mcluster = nullptr;
  if (mock) {
    rd_kafka_conf_t* c = rd_kafka_conf_new();
    mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
    mcluster = rd_kafka_mock_cluster_new(mock_rk, 1);
    brokers = rd_kafka_mock_cluster_bootstraps(mcluster);
    rd_kafka_mock_topic_create(mcluster, topic.c_str(), 1, 1);
  }
  if (brokers.empty()) {
    std::fprintf(stderr, "--brokers or --mock\n");
    return 2;
  }
  const std::string payload(static_cast<size_t>(size), 'x');

  // Produce.
  rd_kafka_conf_t* pc = rd_kafka_conf_new();
  set(pc, "bootstrap.servers", brokers);
  set(pc, "acks", acks);
  set(pc, "linger.ms", "5");
  set(pc, "batch.num.messages", "10000");
  set(pc, "queue.buffering.max.messages", "1000000");
  if (const char* d = std::getenv("KAFKA_LOAD_DEBUG")) set(pc, "debug", d);
  if (transaction_every > 0)
    set(pc, "transactional.id", "kafka-load-" + topic + "-" + std::to_string(::getpid()));
  rd_kafka_conf_set_dr_msg_cb(pc, on_delivery);
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, pc, err, sizeof err);
  auto txn_check = [](const char* what, rd_kafka_error_t* e) {
    if (!e) return;
    std::fprintf(stderr, "%s: %s\n", what, rd_kafka_error_string(e));
    std::exit(1);
  };
  // A transactional producer registers once (coordinator lookup, InitProducerId) before the
  // clock starts: that is start-up, not throughput.
  if (transaction_every > 0)
    txn_check("init_transactions", rd_kafka_init_transactions(producer, 30000));
  auto t0 = Clock::now();
  if (transaction_every > 0) txn_check("begin_transaction", rd_kafka_begin_transaction(producer));
  for (long i = 0; i < count; ++i) {
    if (transaction_every > 0 && i > 0 && i % transaction_every == 0) {
      txn_check("commit_transaction", rd_kafka_commit_transaction(producer, 60000));
      txn_check("begin_transaction", rd_kafka_begin_transaction(producer));
    }
    while (rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(0),
                             RD_KAFKA_V_VALUE(const_cast<char*>(payload.data()), payload.size()),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
      rd_kafka_poll(producer, 1);
    if ((i & 1023) == 0) rd_kafka_poll(producer, 0);
  }
  if (transaction_every > 0)
    txn_check("commit_transaction", rd_kafka_commit_transaction(producer, 60000));
  rd_kafka_flush(producer, 120000);
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  rd_kafka_destroy(producer);
  if (g_failed) {
    std::fprintf(stderr, "%ld deliveries failed\n", g_failed);
    return 1;
  }
  std::printf("produce %.0f %.1f\n", count / secs, count * size / secs / 1e6);
  if (produce_only) {
    if (mcluster) rd_kafka_mock_cluster_destroy(mcluster);
    if (mock_rk) rd_kafka_destroy(mock_rk);
    return 0;
  }

  // Consume the last `window` messages `passes` times (partition 0, no group).
  rd_kafka_conf_t* cc = rd_kafka_conf_new();
  set(cc, "bootstrap.servers", brokers);
  set(cc, "group.id", "bench");
  set(cc, "enable.auto.commit", "false");
  if (const char* d = std::getenv("KAFKA_LOAD_DEBUG")) set(cc, "debug", d);
  // read_committed never sees the last offset (a transaction marker): a pass ends at the
  // partition's end-of-file event instead.
  set(cc, "enable.partition.eof", read_committed ? "true" : "false");
  set(cc, "isolation.level", read_committed ? "read_committed" : "read_uncommitted");
  set(cc, "fetch.max.bytes", "52428800");
  // A pass ends at the log end, where a long-polling fetch would hold up the next pass.
  set(cc, "fetch.wait.max.ms", "10");
  rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cc, err, sizeof err);
  rd_kafka_poll_set_consumer(consumer);
  int64_t low = 0, high = 0;
  if (rd_kafka_resp_err_t e =
          rd_kafka_query_watermark_offsets(consumer, topic.c_str(), 0, &low, &high, 10000)) {
    std::fprintf(stderr, "watermarks: %s\n", rd_kafka_err2str(e));
    return 1;
  }
  const int64_t from = std::max(low, high - window);
  long got = 0;
  bool stalled = false;
  double flowing_secs = 0;
  const auto consume_start = Clock::now();
  for (long pass = 0; pass < passes && !stalled; ++pass) {
    rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, topic.c_str(), 0)->offset = from;
    rd_kafka_assign(consumer, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    const auto pass_start = Clock::now();
    Clock::time_point first{}, last{};
    for (int64_t next_offset = from; next_offset < high;) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer, 1000);
      if (m && !m->err) {
        last = Clock::now();
        if (first == Clock::time_point{})
          first = last;
        else
          ++got;  // messages after the first one, over the time since the first one
        next_offset = m->offset + 1;
      } else if (m && m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF && read_committed) {
        rd_kafka_message_destroy(m);
        break;
      } else if (m && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        std::fprintf(stderr, "consume: %s\n", rd_kafka_message_errstr(m));
      }
      if (m) rd_kafka_message_destroy(m);
      if (std::chrono::duration<double>(Clock::now() - pass_start).count() > 60) {
        std::fprintf(stderr, "consume: stalled at offset %lld of %lld\n",
                     static_cast<long long>(next_offset), static_cast<long long>(high));
        stalled = true;
        break;
      }
    }
    flowing_secs += std::chrono::duration<double>(last - first).count();
    rd_kafka_assign(consumer, nullptr);
  }
  const double all_secs = std::chrono::duration<double>(Clock::now() - consume_start).count();
  secs = flowing_secs;
  std::printf("consume %.0f %.1f\n", got / secs, got * size / secs / 1e6);
  // The same passes timed whole, assignments and end-of-log fetches included.
  std::printf("consume-with-starts %.0f %.1f\n", got / all_secs, got * size / all_secs / 1e6);
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  if (mcluster) rd_kafka_mock_cluster_destroy(mcluster);
  if (mock_rk) rd_kafka_destroy(mock_rk);
  return stalled ? 1 : 0;
}
