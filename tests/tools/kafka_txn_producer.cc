// librdkafka's transactional producer, for the broker's transaction tests: --transactions N
// transactions of --per-txn M messages "<prefix><txn>-<i>" each; every --abort-every K-th
// transaction (1-based) is aborted, the others committed. After each commit returns, its
// messages are appended to --out, so a test knows exactly what was committed. With --hold-open
// a last transaction is begun, its messages are flushed to the broker, "open" is printed and
// the program waits to be killed (the broker's crash tests).
// Exit code: 0 when every transaction ended as asked, 1 otherwise, 2 on bad usage.
//
//   kafka_txn_producer --brokers 127.0.0.1:9092 --topic t --txn-id app --transactions 10
//                      --per-txn 100 [--abort-every 3] [--prefix m-] [--out committed.txt]
//                      [--txn-timeout-ms 60000] [--hold-open]
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

bool ok(rd_kafka_error_t* e, const char* what) {
  if (!e) return true;
  std::fprintf(stderr, "%s: %s\n", what, rd_kafka_error_string(e));
  rd_kafka_error_destroy(e);
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  std::string brokers, topic, txn_id, prefix = "m-", out_path, txn_timeout = "60000";
  long transactions = 1, per_txn = 10, abort_every = 0;
  bool hold_open = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--brokers")
      brokers = next();
    else if (a == "--topic")
      topic = next();
    else if (a == "--txn-id")
      txn_id = next();
    else if (a == "--transactions")
      transactions = std::stol(next());
    else if (a == "--per-txn")
      per_txn = std::stol(next());
    else if (a == "--abort-every")
      abort_every = std::stol(next());
    else if (a == "--prefix")
      prefix = next();
    else if (a == "--out")
      out_path = next();
    else if (a == "--txn-timeout-ms")
      txn_timeout = next();
    else if (a == "--hold-open")
      hold_open = true;
    else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  if (brokers.empty() || topic.empty() || txn_id.empty()) {
    std::fprintf(stderr, "--brokers, --topic and --txn-id are required\n");
    return 2;
  }
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  auto set = [&](const char* k, const std::string& v) {
    if (rd_kafka_conf_set(conf, k, v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      std::fprintf(stderr, "%s\n", err);
      std::exit(2);
    }
  };
  set("bootstrap.servers", brokers);
  set("transactional.id", txn_id);
  set("transaction.timeout.ms", txn_timeout);
  set("linger.ms", "5");
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) {
    std::fprintf(stderr, "%s\n", err);
    return 2;
  }
  FILE* out = out_path.empty() ? nullptr : std::fopen(out_path.c_str(), "w");
  if (!ok(rd_kafka_init_transactions(rk, 30000), "init_transactions")) return 1;
  auto produce = [&](long t) {
    std::vector<std::string> sent;
    for (long i = 0; i < per_txn; ++i) {
      std::string v = prefix + std::to_string(t) + "-" + std::to_string(i);
      for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_VALUE(v.data(), v.size()),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) break;
        rd_kafka_poll(rk, 10);
      }
      sent.push_back(v);
    }
    return sent;
  };
  int failures = 0;
  for (long t = 1; t <= transactions; ++t) {
    if (!ok(rd_kafka_begin_transaction(rk), "begin_transaction")) return 1;
    std::vector<std::string> sent = produce(t);
    if (abort_every > 0 && t % abort_every == 0) {
      rd_kafka_flush(rk, 30000);  // the aborted records reach the log first
      if (!ok(rd_kafka_abort_transaction(rk, 30000), "abort_transaction")) ++failures;
      continue;
    }
    if (!ok(rd_kafka_commit_transaction(rk, 30000), "commit_transaction")) {
      ++failures;
      continue;
    }
    if (out) {
      for (const std::string& v : sent)
        std::fprintf(out, "%s\n", v.c_str());
      std::fflush(out);
    }
  }
  if (hold_open) {
    if (!ok(rd_kafka_begin_transaction(rk), "begin_transaction")) return 1;
    produce(transactions + 1);
    rd_kafka_flush(rk, 30000);
    std::printf("open\n");
    std::fflush(stdout);
    for (;;)
      ::pause();
  }
  rd_kafka_destroy(rk);
  if (out) std::fclose(out);
  std::fprintf(stderr, "%ld transactions, %d failed\n", transactions, failures);
  return failures == 0 ? 0 : 1;
}
