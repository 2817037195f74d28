#pragma once
// The process exit codes every subcommand returns (documented in docs/guide.md, Operations; the
// systemd units do not restart after 1 or 2, a conf or option error a restart would not fix).

namespace flumen::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitBadConfig = 1;     // the configuration does not validate
inline constexpr int kExitUsage = 2;         // a bad command line (CLI11)
inline constexpr int kExitStartFailed = 3;   // port in use, unwritable directory, ...
inline constexpr int kExitDrainTimeout = 4;  // stopped, but the sinks did not drain in time

}  // namespace flumen::cli
