// A librdkafka producer for the broker's integration tests: sends --count messages
// "<prefix><i>" and writes each message whose delivery report came back good to --out, one per
// line, flushed as it comes, so a test that kills the broker knows exactly what was acknowledged.
// Exit code: 0 when every message was delivered, 1 otherwise, 2 on bad usage.
//
//   kafka_test_producer --brokers 127.0.0.1:9092 --topic t --count 10000 --acks all
//                       [--idempotent] [--prefix m-] [--out delivered.txt] [--timeout-ms 10000]
#include <librdkafka/rdkafka.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace {

struct State {
  FILE* out = nullptr;
  long delivered = 0;
  long failed = 0;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* st = static_cast<State*>(opaque);
  if (m->err) {
    ++st->failed;
    return;
  }
  ++st->delivered;
  if (st->out) {
    std::fwrite(m->payload, 1, m->len, st->out);
    std::fputc('\n', st->out);
    std::fflush(st->out);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string brokers, topic, acks = "all", prefix = "m-", out_path;
  long count = 1000, timeout_ms = 10000;
  bool idempotent = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--brokers")
      brokers = next();
    else if (a == "--topic")
      topic = next();
    else if (a == "--count")
      count = std::stol(next());
    else if (a == "--acks")
      acks = next();
    else if (a == "--prefix")
      prefix = next();
    else if (a == "--out")
      out_path = next();
    else if (a == "--timeout-ms")
      timeout_ms = std::stol(next());
    else if (a == "--idempotent")
      idempotent = true;
    else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  if (brokers.empty() || topic.empty()) {
    std::fprintf(stderr, "--brokers and --topic are required\n");
    return 2;
  }
  State st;
  if (!out_path.empty()) st.out = std::fopen(out_path.c_str(), "w");
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  auto set = [&](const char* k, const std::string& v) {
    if (rd_kafka_conf_set(conf, k, v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      std::fprintf(stderr, "%s\n", err);
      std::exit(2);
    }
  };
  set("bootstrap.servers", brokers);
  set("acks", acks);
  set("linger.ms", "5");
  set("message.timeout.ms", std::to_string(timeout_ms));
  if (idempotent) set("enable.idempotence", "true");
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_opaque(conf, &st);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) {
    std::fprintf(stderr, "%s\n", err);
    return 2;
  }
  for (long i = 0; i < count; ++i) {
    std::string v = prefix + std::to_string(i);
    for (;;) {
      rd_kafka_resp_err_t e = rd_kafka_producev(
          rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_VALUE(v.data(), v.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) break;
      rd_kafka_poll(rk, 10);
    }
    rd_kafka_poll(rk, 0);
  }
  rd_kafka_flush(rk, static_cast<int>(timeout_ms) + 5000);
  rd_kafka_poll(rk, 0);
  std::fprintf(stderr, "delivered %ld, failed %ld\n", st.delivered, st.failed);
  rd_kafka_destroy(rk);
  if (st.out) std::fclose(st.out);
  return st.delivered == count ? 0 : 1;
}
