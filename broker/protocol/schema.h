#pragma once
// The description of a Kafka message (one request or one response of an API, every version at
// once), in the terms of Kafka's own message specs: each field has the versions it exists in,
// the versions where it may be null, and, for tagged fields (KIP-482), its tag and the versions
// where it is tagged. The encoding follows from the description and the version: versions at or
// above `flexible` use compact strings, bytes and arrays and end each struct with a tag section.
// broker/protocol/message.h decodes and encodes by it; each API file under broker/api/ holds
// the description of its request and response.
#include <cstdint>
#include <string_view>
#include <vector>

namespace flumen::broker::schema {

// A version range written as the specs write it: "3+", "0-7", "5", or "none".
struct Versions {
  int16_t lo = 1;
  int16_t hi = 0;  // lo > hi: no version
  constexpr Versions() = default;
  Versions(const char* spec);  // NOLINT(google-explicit-constructor): written as in the specs
  bool has(int16_t v) const { return v >= lo && v <= hi; }
};

enum class Type : uint8_t {
  kBool,
  kInt8,
  kInt16,
  kUint16,
  kInt32,
  kInt64,
  kFloat64,
  kUuid,     // 16 bytes
  kString,   // int16 length (flexible: unsigned varint length + 1)
  kBytes,    // int32 length (flexible: unsigned varint length + 1)
  kRecords,  // a record set, encoded as bytes
  kStruct,   // one nested struct (`fields`)
  kArray,    // of `element` (kStruct: of `fields`)
};

struct Field {
  const char* name = nullptr;
  Type type = Type::kBool;
  Type element = Type::kStruct;
  Versions versions{};
  Versions nullable{};
  Versions tagged{};
  int tag = -1;
  const char* default_value = nullptr;  // as the spec writes it; nullptr: zero, empty
  std::vector<Field> fields{};
};

struct Message {
  Versions flexible{};
  std::vector<Field> fields{};
};

// For the descriptions: `.type = kInt32` instead of `.type = Type::kInt32`.
inline constexpr Type kBool = Type::kBool, kInt8 = Type::kInt8, kInt16 = Type::kInt16,
                      kUint16 = Type::kUint16, kInt32 = Type::kInt32, kInt64 = Type::kInt64,
                      kFloat64 = Type::kFloat64, kUuid = Type::kUuid, kString = Type::kString,
                      kBytes = Type::kBytes, kRecords = Type::kRecords, kStruct = Type::kStruct,
                      kArray = Type::kArray;

}  // namespace flumen::broker::schema
