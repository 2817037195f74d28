#include "simulator/smartcar.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>
#include <thread>
#include <vector>

namespace flumen::sim {

namespace {

namespace fs = std::filesystem;
using Rng = std::mt19937_64;

// Picks an index with probability proportional to its weight (the book's weighted draws).
size_t pick(Rng& rng, std::initializer_list<double> weights) {
  double total = 0;
  for (double w : weights)
    total += w;
  double r = std::uniform_real_distribution<double>(0, total)(rng);
  size_t i = 0;
  for (double w : weights) {
    if (r < w) return i;
    r -= w;
    ++i;
  }
  return weights.size() - 1;
}

int uniform(Rng& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

// "HHmmss" of a simulated second of the day; 86400 is the book's "240000".
void clock_text(int second, char (&out)[8]) {
  // Unsigned: gcc at -O1 (the ASan build) otherwise warns that a negative second would not fit.
  const unsigned s = static_cast<unsigned>(second);
  std::snprintf(out, sizeof out, "%02u%02u%02u", (s / 3600) % 100, s / 60 % 60, s % 60);
}

std::string car_number(Rng& rng, int index) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%c%04d", 'A' + uniform(rng, 0, 25), index % 10000);
  return buf;
}

class Writer {
 public:
  Status open(const std::string& path, bool truncate) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0),
                 0644);
    if (fd_ < 0)
      return make_error(ErrorCode::kIo, "cannot open " + path + ": " + std::strerror(errno));
    path_ = path;
    return Status::ok();
  }
  Status write(const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0)
        return make_error(ErrorCode::kIo, "cannot write " + path_ + ": " + std::strerror(errno));
      done += static_cast<size_t>(n);
    }
    return Status::ok();
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int fd() const { return fd_; }
  ~Writer() { close(); }

 private:
  int fd_ = -1;
  std::string path_;
};

void maybe_corrupt(Rng& rng, double faults, std::string& line, uint64_t& malformed) {
  if (faults <= 0 || std::uniform_real_distribution<double>(0, 1)(rng) >= faults) return;
  ++malformed;
  switch (uniform(rng, 0, 2)) {
    case 0:
      line = line.substr(0, line.size() / 2);
      break;  // truncated
    case 1:
      line = "\x01\xff garbage " + std::to_string(rng() % 1000);
      break;  // binary junk
    default:
      line += ",EXTRA,FIELDS";
      break;  // too many fields
  }
}

struct CarState {
  std::string number;
  int tires[4] = {0, 0, 0, 0};
  int lights[4] = {1, 1, 1, 1};
  char engine = 'A', brake = 'A';
  int battery = 100;
  bool tire_stuck[4] = {}, light_stuck[4] = {}, engine_stuck = false, brake_stuck = false,
       battery_stuck = false;
};

void next_status(Rng& rng, CarState& c) {
  for (int t = 0; t < 4; ++t) {
    if (c.tire_stuck[t]) continue;
    size_t band = pick(rng, {80, 19.9998, 0.0002});
    c.tires[t] = band == 0   ? uniform(rng, 80, 100)
                 : band == 1 ? uniform(rng, 70, 79)
                             : uniform(rng, 0, 69);
    c.tire_stuck[t] = c.tires[t] <= 69;
  }
  for (int l = 0; l < 4; ++l) {
    if (c.light_stuck[l]) continue;
    c.lights[l] = pick(rng, {99.9998, 0.0002}) == 0 ? 1 : 2;
    c.light_stuck[l] = c.lights[l] == 2;
  }
  if (!c.engine_stuck) {
    c.engine = "ABC"[pick(rng, {80, 19.9998, 0.0002})];
    c.engine_stuck = c.engine == 'C';
  }
  if (!c.brake_stuck) {
    c.brake = "ABC"[pick(rng, {80, 19.9998, 0.0002})];
    c.brake_stuck = c.brake == 'C';
  }
  if (!c.battery_stuck) {
    size_t band = pick(rng, {90, 9.9998, 0.0002});
    c.battery = band == 0   ? uniform(rng, 80, 100)
                : band == 1 ? uniform(rng, 50, 79)
                            : uniform(rng, 0, 49);
    c.battery_stuck = c.battery <= 49;
  }
}

}  // namespace

Result<Summary> write_status_day(const StatusOptions& o, const Progress& progress) {
  Summary sum;
  std::error_code ec;
  const fs::path staging = fs::path(o.out_dir) / ".staging";
  fs::create_directories(staging, ec);
  if (ec)
    return make_error(ErrorCode::kIo, "cannot create " + staging.string() + ": " + ec.message());
  const std::string name = "SmartCarStatusInfo_" + o.date + ".txt";
  Writer w;
  if (Status s = w.open((staging / name).string(), true); !s) return s.error();
  Rng rng(o.seed);
  std::vector<CarState> cars(static_cast<size_t>(o.cars));
  for (int i = 0; i < o.cars; ++i)
    cars[static_cast<size_t>(i)].number = car_number(rng, i + 1);
  std::string buf, line;
  buf.reserve(1 << 20);
  if (o.header)
    for (int i = 0; i < o.cars; ++i)
      buf +=
          "SmartCar Status Information,CarNum,TireFL,TireFR,TireBL,TireBR,LightFL,LightFR,"
          "LightBL,LightBR,EngineInfo,BreakInfo,BatteryInfo\n";
  char hms[8];
  for (int second = 0; second <= 86400; second += 4) {
    clock_text(second, hms);
    for (CarState& c : cars) {
      next_status(rng, c);
      char text[96];
      int n = std::snprintf(text, sizeof text, "%s%s,%s,%d,%d,%d,%d,%d,%d,%d,%d,%c,%c,%d",
                            o.date.c_str(), hms, c.number.c_str(), c.tires[0], c.tires[1],
                            c.tires[2], c.tires[3], c.lights[0], c.lights[1], c.lights[2],
                            c.lights[3], c.engine, c.brake, c.battery);
      line.assign(text, static_cast<size_t>(n));
      maybe_corrupt(rng, o.faults, line, sum.malformed);
      buf += line;
      buf += '\n';
      ++sum.lines;
    }
    if (buf.size() >= (1 << 20)) {
      if (Status s = w.write(buf); !s) return s.error();
      sum.bytes += buf.size();
      buf.clear();
      if (progress) progress(sum);
    }
  }
  if (Status s = w.write(buf); !s) return s.error();
  sum.bytes += buf.size();
  if (::fsync(w.fd()) != 0)
    return make_error(ErrorCode::kIo, "cannot sync " + name + ": " + std::strerror(errno));
  w.close();
  // The hand-off the book does by hand: a complete file appears in one rename.
  fs::rename(staging / name, fs::path(o.out_dir) / name, ec);
  if (ec) return make_error(ErrorCode::kIo, "cannot move " + name + " into place: " + ec.message());
  sum.files = 1;
  if (progress) progress(sum);
  return sum;
}

namespace {

struct Driver {
  std::string number;
  bool wild = false;
  char area = 'A';
  int speed = 0;
};

std::string next_drive(Rng& rng, Driver& d) {
  static const char* kWheel[] = {"F", "L1", "L2", "L3", "R1", "R2", "R3"};
  static const char* kCongested[] = {"A10", "B02", "C04", "D05", "E10", "F06"};
  int acc, brk = 0;
  if (d.wild) {
    acc = static_cast<int>(pick(rng, {10, 10, 10, 30, 25, 15}));
    static const int kAdd[] = {0, 5, 10, 20, 30, 40};
    d.speed += kAdd[acc];
    if (acc == 0) {
      brk = static_cast<int>(pick(rng, {10, 10, 50, 30}));
      static const int kSub[] = {0, 5, 10, 20};
      d.speed -= kSub[brk];
    }
  } else {
    acc = static_cast<int>(pick(rng, {30, 30, 10, 20, 5, 5}));
    d.speed += acc * 5;
    if (acc == 0) {
      brk = static_cast<int>(pick(rng, {30, 45, 20, 5}));
      d.speed -= brk * 10;
    }
  }
  d.speed = std::clamp(d.speed, 0, 250);
  // A separate area draw: landing on the driver's congested area slows the car down.
  // A separate draw in the driver's area type: its one congested area is hit one time in ten.
  char probe[8];
  std::snprintf(probe, sizeof probe, "%c%02d", d.area, uniform(rng, 1, 10));
  if (std::strcmp(kCongested[d.area - 'A'], probe) == 0) d.speed = d.speed * 3 / 10;
  size_t wheel =
      d.wild ? pick(rng, {40, 10, 10, 10, 10, 10, 10}) : pick(rng, {70, 5, 5, 5, 5, 5, 5});
  char light;
  if (d.wild)
    light = "NLR"[pick(rng, {60, 20, 20})];
  else
    light = wheel == 0 ? 'N' : wheel <= 3 ? 'L' : 'R';
  char text[64];
  int n = std::snprintf(text, sizeof text, "%s,%d,%d,%s,%c,%d,%c%02d", d.number.c_str(), acc, brk,
                        kWheel[wheel], light, d.speed, d.area, uniform(rng, 1, 10));
  return std::string(text, static_cast<size_t>(n));
}

}  // namespace

Result<Summary> run_driving_log(const DriveOptions& o, const Progress& progress) {
  using Clock = std::chrono::steady_clock;
  Summary sum;
  std::error_code ec;
  fs::path out(o.out_file);
  if (out.has_parent_path()) fs::create_directories(out.parent_path(), ec);
  Rng rng(o.seed);
  std::vector<Driver> drivers(static_cast<size_t>(o.drivers));
  std::set<int> wild;
  const int wild_count = static_cast<int>(o.drivers * 0.1);
  for (int i = 0; i < wild_count; ++i)
    wild.insert(uniform(rng, 0, o.drivers - 1));
  for (int i = 0; i < o.drivers; ++i) {
    Driver& d = drivers[static_cast<size_t>(i)];
    d.number = car_number(rng, i + 1);
    d.wild = wild.count(i) > 0;
    d.area = static_cast<char>('A' + uniform(rng, 0, 5));
  }
  Writer w;
  if (Status s = w.open(o.out_file, true); !s) return s.error();
  sum.files = 1;
  uint64_t file_bytes = 0;
  auto file_opened = Clock::now();
  int rotation = 0;
  auto rotate = [&]() -> Status {
    ++rotation;
    std::string rotated = o.out_file + "." + std::to_string(rotation);
    if (o.rotate == "rename") {
      // logrotate without copytruncate: rename, then a new file under the old name.
      w.close();
      if (::rename(o.out_file.c_str(), rotated.c_str()) != 0)
        return make_error(ErrorCode::kIo,
                          "cannot rename " + o.out_file + ": " + std::strerror(errno));
      if (Status s = w.open(o.out_file, true); !s) return s;
    } else {
      // copytruncate: copy the content away, then cut the original to zero in place.
      fs::copy_file(o.out_file, rotated, fs::copy_options::overwrite_existing, ec);
      if (ec) return make_error(ErrorCode::kIo, "cannot copy " + o.out_file + ": " + ec.message());
      if (::ftruncate(w.fd(), 0) != 0)
        return make_error(ErrorCode::kIo,
                          "cannot truncate " + o.out_file + ": " + std::strerror(errno));
    }
    ++sum.files;
    file_bytes = 0;
    file_opened = Clock::now();
    return Status::ok();
  };
  std::string buf;
  if (o.header) {
    for (int i = 0; i < o.drivers; ++i)
      buf +=
          "Driver Status Infomation,CarNum,AccStep,BrkStep,WheelStep,DirLightStep,Speed,AreaNum\n";
  }
  // Pacing: one round (a line per driver) per tick. The book's tick is 100 ms.
  double ticks_per_s = 10.0 * std::max(o.speedup, 1e-9);
  if (o.rate > 0) ticks_per_s = o.rate / std::max(o.drivers, 1);
  const bool unlimited = o.rate < 0;
  const auto start = Clock::now();
  auto next_tick = start;
  auto last_progress = start;
  char hms[8];
  std::string line;
  for (int second = 0; second <= 86400; second += 2) {
    if (o.duration_s > 0 && Clock::now() - start >= std::chrono::duration<double>(o.duration_s))
      break;
    clock_text(second, hms);
    for (Driver& d : drivers) {
      line = o.date + hms + "," + next_drive(rng, d);
      maybe_corrupt(rng, o.faults, line, sum.malformed);
      buf += line;
      buf += '\n';
      ++sum.lines;
    }
    if (Status s = w.write(buf); !s) return s.error();
    sum.bytes += buf.size();
    file_bytes += buf.size();
    buf.clear();
    if (o.rotate != "none" &&
        ((o.rotate_bytes > 0 && file_bytes >= o.rotate_bytes) ||
         (o.rotate_seconds > 0 &&
          Clock::now() - file_opened >= std::chrono::duration<double>(o.rotate_seconds)))) {
      if (Status s = rotate(); !s) return s.error();
    }
    if (progress && Clock::now() - last_progress >= std::chrono::seconds(1)) {
      last_progress = Clock::now();
      progress(sum);
    }
    if (!unlimited) {
      next_tick += std::chrono::duration_cast<Clock::duration>(
          std::chrono::duration<double>(1.0 / ticks_per_s));
      std::this_thread::sleep_until(next_tick);
    }
  }
  if (progress) progress(sum);
  return sum;
}

bool is_status_line(const std::string& line) {
  int commas = 0;
  for (char c : line)
    commas += c == ',';
  if (commas != 12 || line.size() < 15) return false;
  for (int i = 0; i < 14; ++i)
    if (!std::isdigit(static_cast<unsigned char>(line[static_cast<size_t>(i)]))) return false;
  return line[14] == ',';
}

bool is_driving_line(const std::string& line) {
  int commas = 0;
  for (char c : line)
    commas += c == ',';
  if (commas != 7 || line.size() < 15) return false;
  for (int i = 0; i < 14; ++i)
    if (!std::isdigit(static_cast<unsigned char>(line[static_cast<size_t>(i)]))) return false;
  return line[14] == ',';
}

}  // namespace flumen::sim
