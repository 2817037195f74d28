#include "cli/top_view.h"

#include <doctest/doctest.h>

#include <string>

namespace flumen::cli::top {
namespace {

using Json = nlohmann::ordered_json;

Json metrics_at(int64_t received, int64_t size, const std::string& sink_state = "idle") {
  Json m;
  m["SOURCE.r1"] = {{"Type", "SOURCE"},
                    {"StartTime", "1000"},
                    {"StopTime", "0"},
                    {"EventReceivedCount", std::to_string(received)},
                    {"EventAcceptedCount", std::to_string(received)},
                    {"ChannelWriteFail", "2"},
                    {"FileGroup.f1.LineCount", std::to_string(received)},
                    {"FileGroup.f1.LagBytes", "2048"},
                    {"FileGroup.f1.OpenFiles", "3"}};
  m["CHANNEL.c1"] = {{"Type", "CHANNEL"},
                     {"StartTime", "1000"},
                     {"StopTime", "0"},
                     {"ChannelSize", std::to_string(size)},
                     {"ChannelCapacity", "1000"},
                     {"EventPutSuccessCount", std::to_string(received)},
                     {"EventTakeSuccessCount", std::to_string(received - size)},
                     {"ChannelFillPercentage", std::to_string(size / 10.0)}};
  m["SINK.k1"] = {{"Type", "SINK"},
                  {"StartTime", "1000"},
                  {"StopTime", "0"},
                  {"EventDrainAttemptCount", std::to_string(received - size)},
                  {"EventDrainSuccessCount", std::to_string(received - size)},
                  {"EventRejectedCount", "4"},
                  {"EventWriteFail", "0"},
                  {"State", sink_state}};
  m["SINKGROUP.g1"] = {{"Type", "SINKGROUP"},
                       {"StartTime", "0"},
                       {"StopTime", "0"},
                       {"ProcessorType", "failover"},
                       {"State", "active=k1 penalised:k2=2900ms"},
                       {"RunnerState", "idle"}};
  return m;
}

Json topology() {
  return Json::parse(R"({"agent":"edge","nodes":[
    {"id":"s","kind":"source","name":"r1","type":"taildir","metrics":"SOURCE.r1"},
    {"id":"c","kind":"channel","name":"c1","type":"memory","metrics":"CHANNEL.c1"},
    {"id":"g","kind":"sinkgroup","name":"g1","type":"failover","metrics":"SINKGROUP.g1"},
    {"id":"k","kind":"sink","name":"k1","type":"forward","metrics":"SINK.k1"}],
    "edges":[{"from":"s","to":"c","label":""},{"from":"c","to":"g","label":""},
             {"from":"g","to":"k","label":"priority 10"}]})");
}

const Row* find(const AgentView& v, const std::string& key) {
  for (const auto& r : v.rows)
    if (r.key == key) return &r;
  return nullptr;
}

TEST_CASE("top model: rates are counter deltas over the time between two answers") {
  Model m;
  const auto t0 = Clock::now();
  Json topo = topology();
  m.update("127.0.0.1:1", metrics_at(1000, 100), &topo, t0);
  m.update("127.0.0.1:1", metrics_at(3000, 300), nullptr, t0 + std::chrono::seconds(2));
  auto views = m.views();
  REQUIRE(views.size() == 1);
  CHECK(views[0].label == "edge");
  const Row* src = find(views[0], "SOURCE.r1");
  REQUIRE(src);
  CHECK(*src->in_rate == doctest::Approx(1000));
  CHECK(src->errors == 2);
  CHECK(src->type == "taildir");
  const Row* fg = find(views[0], "SOURCE.r1/f1");
  REQUIRE(fg);
  CHECK(*fg->backlog == 2048);
  CHECK(fg->backlog_bytes);
  CHECK(fg->state == "files 3");
  CHECK(*fg->in_rate == doctest::Approx(1000));
  const Row* ch = find(views[0], "CHANNEL.c1");
  REQUIRE(ch);
  CHECK(*ch->fill == doctest::Approx(30));
  CHECK(*ch->backlog == 300);
  CHECK(*ch->out_rate == doctest::Approx(900));
  const Row* k = find(views[0], "SINK.k1");
  CHECK(k->rejected == 4);
  const Row* g = find(views[0], "SINKGROUP.g1");
  REQUIRE(g);
  CHECK(*g->out_rate == doctest::Approx(900));  // its sinks' sum
  CHECK(g->state == "on k1, pen k2 2.9s");
  CHECK_FALSE(g->failing);
  CHECK(g->order < k->order);
}

TEST_CASE("top model: the first answer shows the endpoint's one-minute rate") {
  Model m;
  Json j = metrics_at(10, 0);
  j["SOURCE.r1"]["EventReceivedOneMinuteRate"] = "12.5";
  m.update("a:1", j, nullptr, Clock::now());
  CHECK(*find(m.views()[0], "SOURCE.r1")->in_rate == doctest::Approx(12.5));
}

TEST_CASE("top model: a backing-off sink is failing, an unreachable agent says why") {
  Model m;
  m.update("a:1", metrics_at(10, 0, "backoff (3 failures, next try in 800 ms)"), nullptr,
           Clock::now());
  m.fail("b:2", "Connection refused");
  auto v = m.views();
  REQUIRE(v.size() == 2);
  const Row* k = find(v[0], "SINK.k1");
  CHECK(k->failing);
  CHECK(k->state == "backoff 3x 0.8s");
  CHECK(v[1].error == "Connection refused");
  CHECK(v[1].rows.empty());
}

TEST_CASE("top render: fits the width, every component on a line, sorts") {
  Model m;
  const auto t0 = Clock::now();
  Json topo = topology();
  m.update("127.0.0.1:1", metrics_at(1000, 950), &topo, t0);
  m.update("127.0.0.1:1", metrics_at(1500, 980), nullptr, t0 + std::chrono::seconds(1));
  Frame f;
  f.clock = "12:00:00";
  auto lines = render(m.views(), f);
  std::string all;
  for (const auto& l : lines) {
    CHECK_MESSAGE(l.text.size() <= 80, l.text);
    all += l.text + "\n";
  }
  CHECK(lines[0].text.find("12:00:00") != std::string::npos);
  CHECK(lines[1].text.rfind("KIND COMPONENT", 0) == 0);
  CHECK(all.find("== edge (127.0.0.1:1) ==") != std::string::npos);
  for (const char* part :
       {"src  r1 taildir", " fg   f1", "chan c1 memory", "grp  g1 failover", "sink k1 forward"})
    CHECK_MESSAGE(all.find(part) != std::string::npos, part);
  // Pipeline order: source, its file group, channel, group, sink.
  CHECK(all.find("src  r1") < all.find(" fg   f1"));
  CHECK(all.find(" fg   f1") < all.find("chan c1"));
  CHECK(all.find("chan c1") < all.find("grp  g1"));
  CHECK(all.find("grp  g1") < all.find("sink k1"));
  // A channel at 98% is a warning.
  for (const auto& l : lines)
    if (l.text.rfind("chan", 0) == 0) CHECK(l.style == Line::Style::kWarning);

  f.sort = SortKey::kFill;
  auto by_fill = render(m.views(), f);
  CHECK(by_fill[3].text.rfind("chan c1", 0) == 0);  // title, header, agent, then the fullest

  f.height = 5;
  auto cut = render(m.views(), f);
  CHECK(cut.size() == 5);
  CHECK(cut.back().text.find("more lines") != std::string::npos);

  f.height = 0;
  f.width = 132;
  for (const auto& l : render(m.views(), f))
    CHECK(l.text.size() <= 132);
}

TEST_CASE("top: short numbers and states") {
  CHECK(short_number(0) == "0");
  CHECK(short_number(2.5) == "2.5");
  CHECK(short_number(950) == "950");
  CHECK(short_number(12345) == "12.3k");
  CHECK(short_number(2.5e6) == "2.5M");
  CHECK(short_bytes(2048) == "2KB");
  CHECK(short_bytes(3.5 * 1024 * 1024) == "3.5MB");
  CHECK(short_state("round_robin backoff:k3=800ms") == "rr, off k3 0.8s");
  CHECK(short_state("delivering") == "delivering");
  CHECK(parse_sort("fill") == SortKey::kFill);
  CHECK_FALSE(parse_sort("size").has_value());
  CHECK(next_sort(SortKey::kErrors) == SortKey::kPipeline);
}

}  // namespace
}  // namespace flumen::cli::top
