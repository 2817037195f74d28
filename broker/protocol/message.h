#pragma once
// One decoded request, or one response being built, as a tree of values laid out by its
// schema::Message (broker/protocol/schema.h). Fields are reached by their spec names
// ("PartitionIndex"); a field the version does not have reads as its default, and one set on a
// response is simply not written in a version that lacks it, so a handler is written once for
// every version of its API.
//
// Strings and bytes decoded from a request are views into the request buffer: the Struct must
// not outlive it. Values set on a response are owned, except set_view() (caller keeps the bytes
// alive until the response is encoded). add() returns a reference that stays valid until the
// next add() to the same array.
//
// decode() never reads past its input: a short or malformed request sets in.failed() and the
// server closes the connection, as Kafka does.
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "broker/protocol/schema.h"
#include "broker/protocol/wire.h"

namespace flumen::broker {

class Struct;

struct Value {
  int64_t i = 0;  // bool, integers
  double f = 0;
  bool null = false;
  bool present = false;  // set or decoded: a tagged field is written only then
  bool owned = false;
  std::string_view view;  // strings, bytes, records, uuid (when not owned)
  std::string own;
  std::vector<Struct> items;  // struct arrays; a single struct is items[0]
  std::vector<Value> elems;   // arrays of primitives
  std::string_view bytes() const { return owned ? std::string_view(own) : view; }
};

class Struct {
 public:
  explicit Struct(const std::vector<schema::Field>& fields);

  int64_t i(std::string_view name) const { return get(name).i; }
  int32_t i32(std::string_view name) const { return static_cast<int32_t>(get(name).i); }
  int16_t i16(std::string_view name) const { return static_cast<int16_t>(get(name).i); }
  bool b(std::string_view name) const { return get(name).i != 0; }
  std::string_view s(std::string_view name) const { return get(name).bytes(); }
  bool is_null(std::string_view name) const { return get(name).null; }
  const std::vector<Struct>& array(std::string_view name) const { return get(name).items; }
  const Struct& child(std::string_view name) const { return get(name).items.front(); }
  // Elements of an array of integers or strings.
  std::vector<int64_t> ints(std::string_view name) const;
  std::vector<std::string_view> strings(std::string_view name) const;

  template <std::integral T>
  Struct& set(std::string_view name, T v) {
    return set_int(name, static_cast<int64_t>(v));
  }
  Struct& set_int(std::string_view name, int64_t v);
  Struct& set(std::string_view name, std::string v);
  Struct& set(std::string_view name, std::string_view v) { return set(name, std::string(v)); }
  Struct& set(std::string_view name, const char* v) { return set(name, std::string(v)); }
  Struct& set_view(std::string_view name, std::string_view v);
  Struct& set_null(std::string_view name);
  Struct& set_ints(std::string_view name, const std::vector<int64_t>& v);
  Struct& set_strings(std::string_view name, const std::vector<std::string>& v);
  // A new element of a struct array, with its defaults.
  Struct& add(std::string_view name);
  // The single nested struct of a kStruct field (marked present).
  Struct& nested(std::string_view name);

  const std::vector<schema::Field>& fields() const { return *fields_; }
  std::vector<Value>& values() { return values_; }
  const std::vector<Value>& values() const { return values_; }

 private:
  size_t index(std::string_view name) const;
  const Value& get(std::string_view name) const { return values_[index(name)]; }
  Value& get(std::string_view name) { return values_[index(name)]; }

  const std::vector<schema::Field>* fields_;
  std::vector<Value> values_;
};

// Reads a whole message of `version` into a Struct of `m`'s layout.
Struct decode(const schema::Message& m, int16_t version, WireReader& in);
// Writes `s` as `version` of `m`.
void encode(const schema::Message& m, int16_t version, const Struct& s, WireWriter& out);
// The same into a new string (a response body encoded later, for a parked request).
std::string encoded(const schema::Message& m, int16_t version, const Struct& s);

}  // namespace flumen::broker
