#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

#include "agent/util/units.h"
#include "cli/commands.h"
#include "simulator/smartcar.h"

namespace flumen::cli {

namespace {

void print_progress(const sim::Summary& s) {
  std::fprintf(stderr, "\r%llu lines, %.1f MB, %llu file(s)",
               static_cast<unsigned long long>(s.lines), static_cast<double>(s.bytes) / 1e6,
               static_cast<unsigned long long>(s.files));
}

int finish(const Result<sim::Summary>& r) {
  std::fprintf(stderr, "\n");
  if (!r) {
    std::cerr << "sim: " << r.error().message << "\n";
    return kExitStartFailed;
  }
  const auto& s = r.value();
  std::cout << "lines " << s.lines << ", bytes " << s.bytes << ", files " << s.files
            << ", malformed " << s.malformed << "\n";
  return kExitOk;
}

}  // namespace

void add_sim_commands(CLI::App& app, SimArgs& args) {
  auto* sim = app.add_subcommand("sim", "Smart-car log simulator");
  sim->require_subcommand(1);
  auto* status = sim->add_subcommand("status", "Write one day of car status logs");
  status->add_option("--date", args.status.date, "Simulated day, yyyyMMdd")->capture_default_str();
  status->add_option("--cars", args.status.cars, "Number of cars")->capture_default_str();
  status->add_option("--seed", args.status.seed, "Random seed")->capture_default_str();
  status->add_option("--out", args.status.out_dir, "Directory the finished file is moved into")
      ->required();
  status->add_flag("--header", args.status.header, "Write the book's per-car header lines");
  status->add_option("--faults", args.status.faults, "Share of malformed lines (0..1)")
      ->check(CLI::Range(0.0, 1.0));
  args.status_cmd = status;

  auto* drive = sim->add_subcommand("drive", "Write real-time driving logs");
  drive->add_option("--date", args.drive.date, "Simulated day, yyyyMMdd")->capture_default_str();
  drive->add_option("--drivers", args.drive.drivers, "Number of drivers")->capture_default_str();
  drive->add_option("--seed", args.drive.seed, "Random seed")->capture_default_str();
  drive->add_option("--out", args.drive.out_file, "The log file")->required();
  drive
      ->add_option("--duration", args.duration,
                   "Wall-clock limit, e.g. 500ms, 10s, 2m (bare numbers are seconds; default: the "
                   "whole simulated day)")
      ->check(CLI::Validator(
          [](const std::string& v) {
            auto d = util::parse_duration(v);
            return d ? std::string() : d.error().message;
          },
          "DURATION", "duration"));
  drive->add_option("--speedup", args.drive.speedup, "Multiple of the book's 10 lines/s per driver")
      ->capture_default_str();
  drive->add_option("--rate", args.drive.rate,
                    "Total lines/s (overrides --speedup; -1 = as fast "
                    "as possible)");
  drive->add_option("--rotate", args.drive.rotate, "none, rename or copytruncate")
      ->check(CLI::IsMember({"none", "rename", "copytruncate"}))
      ->capture_default_str();
  drive->add_option("--rotate-size", args.drive.rotate_bytes, "Rotate at this many bytes");
  drive->add_option("--rotate-interval", args.drive.rotate_seconds,
                    "Rotate after this many seconds");
  drive->add_flag("--header", args.drive.header, "Write the book's per-driver header lines");
  drive->add_option("--faults", args.drive.faults, "Share of malformed lines (0..1)")
      ->check(CLI::Range(0.0, 1.0));
  args.drive_cmd = drive;
}

int run_sim(SimArgs& args) {
  if (args.status_cmd && *args.status_cmd)
    return finish(sim::write_status_day(args.status, print_progress));
  // Validated by the option's check, so this parse succeeds.
  args.drive.duration_s =
      args.duration.empty()
          ? 0
          : static_cast<double>(util::parse_duration(args.duration).value().count()) / 1000.0;
  return finish(sim::run_driving_log(args.drive, print_progress));
}

}  // namespace flumen::cli
