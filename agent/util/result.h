#pragma once
// Expected-style error handling for the data plane: no exceptions cross component boundaries.
// Callers act on the code; the message is for humans (logs, HTTP bodies, CLI output).

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace flumen {

enum class ErrorCode {
  kInvalidConfig,  // refuse to start; never retried
  kIo,             // a file or socket failed; usually retried
  kTimeout,        // a peer or a wait ran out of time; retried
  kUnavailable,    // a peer or component is down or stopping; retried
  kRejected,       // permanent: the data itself is unacceptable; never retried
  kChannelFull,    // backpressure: try again later
  kCorruption,     // stored data failed a check
  kInternal,       // a bug
};

const char* error_code_name(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string message;
};

// Status carries success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error e) : error_(std::move(e)) {}  // NOLINT: implicit on purpose
  static Status ok() { return {}; }

  bool is_ok() const { return !error_.has_value(); }
  explicit operator bool() const { return is_ok(); }
  const Error& error() const { return *error_; }
  ErrorCode code() const { return error_->code; }
  const std::string& message() const { return error_->message; }

 private:
  std::optional<Error> error_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT
  Result(Error e) : v_(std::move(e)) {}      // NOLINT

  bool is_ok() const { return v_.index() == 0; }
  explicit operator bool() const { return is_ok(); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& value() const& { return std::get<0>(v_); }
  const Error& error() const { return std::get<1>(v_); }
  Status status() const { return is_ok() ? Status{} : Status{error()}; }

 private:
  std::variant<T, Error> v_;
};

inline Error make_error(ErrorCode code, std::string message) {
  return {code, std::move(message)};
}

}  // namespace flumen
