#pragma once

#include <cstddef>
#include <cstdint>

namespace flumen::util {

// Raises the soft limit on open descriptors to the hard one, as daemons that hold a descriptor
// per connection, per tailed file and per log segment do (Go's runtime does it for every
// program). The soft limit of 1,024 that most shells and systemd units start with is what a
// broker with a few hundred partitions, or an agent tailing a thousand files, runs out of.
// Returns the soft limit in force afterwards (0 if it cannot be read).
uint64_t raise_open_files_limit();

// The soft limit on open descriptors now (UINT64_MAX if unlimited, 0 if it cannot be read).
uint64_t open_files_limit();

// How many descriptors the process has open (the entries of /proc/self/fd); 0 if unknown.
size_t open_descriptor_count();

}  // namespace flumen::util
