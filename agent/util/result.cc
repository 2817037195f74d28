#include "agent/util/result.h"

namespace flumen {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidConfig:
      return "InvalidConfig";
    case ErrorCode::kIo:
      return "Io";
    case ErrorCode::kTimeout:
      return "Timeout";
    case ErrorCode::kUnavailable:
      return "Unavailable";
    case ErrorCode::kRejected:
      return "Rejected";
    case ErrorCode::kChannelFull:
      return "ChannelFull";
    case ErrorCode::kCorruption:
      return "Corruption";
    case ErrorCode::kInternal:
      return "Internal";
  }
  return "Unknown";
}

}  // namespace flumen
