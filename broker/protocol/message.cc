#include "broker/protocol/message.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace flumen::broker {

namespace schema {

Versions::Versions(const char* spec) {
  std::string_view s(spec);
  if (s.empty() || s == "none") return;
  char* end = nullptr;
  lo = static_cast<int16_t>(std::strtol(spec, &end, 10));
  if (*end == '+') {
    hi = INT16_MAX;
  } else if (*end == '-') {
    hi = static_cast<int16_t>(std::strtol(end + 1, nullptr, 10));
  } else {
    hi = lo;
  }
}

}  // namespace schema

namespace {

using schema::Field;
using schema::Type;

Value default_value(const Field& f) {
  Value v;
  const char* d = f.default_value;
  if (d && std::strcmp(d, "null") == 0) {
    v.null = true;
    return v;
  }
  switch (f.type) {
    case Type::kBool:
      v.i = d && std::strcmp(d, "true") == 0;
      break;
    case Type::kInt8:
    case Type::kInt16:
    case Type::kUint16:
    case Type::kInt32:
    case Type::kInt64:
      v.i = d ? std::strtoll(d, nullptr, 0) : 0;
      break;
    case Type::kFloat64:
      v.f = d ? std::strtod(d, nullptr) : 0;
      break;
    case Type::kString:
      if (d) {
        v.own = d;
        v.owned = true;
      }
      break;
    case Type::kStruct:
      v.items.emplace_back(f.fields);
      break;
    default:
      break;
  }
  return v;
}

// A length or count that cannot fit in what is left of the input (each element takes a byte at
// least) fails the read instead of allocating for it.
bool fits(WireReader& in, uint64_t n) {
  return n <= in.remaining();
}

void decode_fields(const std::vector<Field>& fields, int16_t version, bool flexible, WireReader& in,
                   Struct& s);

// Length of a string (int16) or bytes (int32) field, or its compact form; -1 for null.
int64_t read_length(WireReader& in, bool flexible, bool wide) {
  if (flexible) {
    uint64_t n = in.uvarint();
    return static_cast<int64_t>(n) - 1;
  }
  return wide ? in.i32() : in.i16();
}

void decode_primitive(Type type, bool flexible, WireReader& in, Value& v) {
  v.present = true;
  switch (type) {
    case Type::kBool:
    case Type::kInt8:
      v.i = in.i8();
      break;
    case Type::kInt16:
      v.i = in.i16();
      break;
    case Type::kUint16:
      v.i = static_cast<uint16_t>(in.i16());
      break;
    case Type::kInt32:
      v.i = in.i32();
      break;
    case Type::kInt64:
      v.i = in.i64();
      break;
    case Type::kFloat64:
      v.f = std::bit_cast<double>(in.i64());
      break;
    case Type::kUuid:
      v.view = in.raw(16);
      v.owned = false;
      break;
    case Type::kString:
    case Type::kBytes:
    case Type::kRecords: {
      const int64_t n = read_length(in, flexible, type != Type::kString);
      if (in.failed()) return;
      // Null where the spec does not allow it reads as empty: clients disagree on it and
      // nothing is lost.
      if (n < 0) {
        v.null = true;
        v.owned = false;
        v.view = {};
        if (n < -1) in.raw(in.remaining() + 1);  // fails the read
        return;
      }
      if (!fits(in, static_cast<uint64_t>(n))) {
        in.raw(in.remaining() + 1);
        return;
      }
      v.view = in.raw(static_cast<size_t>(n));
      v.owned = false;  // the decoded bytes replace a default
      v.null = false;
      break;
    }
    default:
      break;
  }
}

void decode_value(const Field& f, int16_t version, bool flexible, WireReader& in, Value& v) {
  if (f.type == Type::kStruct) {
    v.present = true;
    if (f.nullable.has(version) && in.i8() < 0) {
      v.null = true;
      return;
    }
    decode_fields(f.fields, version, flexible, in, v.items.front());
    return;
  }
  if (f.type != Type::kArray) {
    decode_primitive(f.type, flexible, in, v);
    return;
  }
  v.present = true;
  const int64_t n = flexible ? static_cast<int64_t>(in.uvarint()) - 1 : in.i32();
  if (in.failed()) return;
  if (n < 0) {
    v.null = true;  // null arrays are read as empty (and marked null) whatever the spec says
    if (n < -1) in.raw(in.remaining() + 1);
    return;
  }
  v.null = false;
  if (!fits(in, static_cast<uint64_t>(n))) {
    in.raw(in.remaining() + 1);
    return;
  }
  if (f.element == Type::kStruct) {
    v.items.reserve(static_cast<size_t>(n));
    for (int64_t k = 0; k < n && !in.failed(); ++k) {
      v.items.emplace_back(f.fields);
      decode_fields(f.fields, version, flexible, in, v.items.back());
    }
  } else {
    v.elems.reserve(static_cast<size_t>(n));
    for (int64_t k = 0; k < n && !in.failed(); ++k) {
      v.elems.emplace_back();
      decode_primitive(f.element, flexible, in, v.elems.back());
    }
  }
}

void decode_fields(const std::vector<Field>& fields, int16_t version, bool flexible, WireReader& in,
                   Struct& s) {
  for (size_t k = 0; k < fields.size() && !in.failed(); ++k) {
    const Field& f = fields[k];
    if (!f.versions.has(version) || (flexible && f.tagged.has(version))) continue;
    decode_value(f, version, flexible, in, s.values()[k]);
  }
  if (!flexible || in.failed()) return;
  const uint64_t tags = in.uvarint();
  for (uint64_t t = 0; t < tags && !in.failed(); ++t) {
    const uint64_t tag = in.uvarint();
    const uint64_t size = in.uvarint();
    if (in.failed() || !fits(in, size)) {
      in.raw(in.remaining() + 1);
      return;
    }
    WireReader sub(in.raw(static_cast<size_t>(size)));
    for (size_t k = 0; k < fields.size(); ++k) {
      const Field& f = fields[k];
      if (f.tag >= 0 && static_cast<uint64_t>(f.tag) == tag && f.tagged.has(version) &&
          f.versions.has(version)) {
        decode_value(f, version, flexible, sub, s.values()[k]);
        if (sub.failed()) in.raw(in.remaining() + 1);
        break;
      }
    }
    // An unknown tag is skipped: that is what tags are for.
  }
}

void encode_fields(const std::vector<Field>& fields, int16_t version, bool flexible,
                   const Struct& s, WireWriter& out);

void write_length(WireWriter& out, bool flexible, bool wide, int64_t n) {
  if (flexible) {
    out.uvarint(static_cast<uint64_t>(n + 1));
  } else if (wide) {
    out.i32(static_cast<int32_t>(n));
  } else {
    out.i16(static_cast<int16_t>(n));
  }
}

void encode_primitive(Type type, bool nullable, bool flexible, const Value& v, WireWriter& out) {
  switch (type) {
    case Type::kBool:
      out.boolean(v.i != 0);
      break;
    case Type::kInt8:
      out.i8(static_cast<int8_t>(v.i));
      break;
    case Type::kInt16:
    case Type::kUint16:
      out.i16(static_cast<int16_t>(v.i));
      break;
    case Type::kInt32:
      out.i32(static_cast<int32_t>(v.i));
      break;
    case Type::kInt64:
      out.i64(v.i);
      break;
    case Type::kFloat64:
      out.i64(std::bit_cast<int64_t>(v.f));
      break;
    case Type::kUuid: {
      std::string_view b = v.bytes();
      if (b.size() == 16) {
        out.raw(b);
      } else {
        out.raw(std::string_view("\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16));
      }
      break;
    }
    case Type::kString:
    case Type::kBytes:
    case Type::kRecords: {
      const bool wide = type != Type::kString;
      if (v.null && nullable) {
        write_length(out, flexible, wide, -1);
        break;
      }
      std::string_view b = v.bytes();
      write_length(out, flexible, wide, static_cast<int64_t>(b.size()));
      out.raw(b);
      break;
    }
    default:
      break;
  }
}

void encode_value(const Field& f, int16_t version, bool flexible, const Value& v, WireWriter& out) {
  const bool nullable = f.nullable.has(version);
  if (f.type == Type::kStruct) {
    if (nullable) {
      out.i8(v.null ? -1 : 1);
      if (v.null) return;
    }
    encode_fields(f.fields, version, flexible, v.items.front(), out);
    return;
  }
  if (f.type != Type::kArray) {
    encode_primitive(f.type, nullable, flexible, v, out);
    return;
  }
  if (v.null && nullable) {
    write_length(out, flexible, true, -1);
    return;
  }
  if (f.element == Type::kStruct) {
    write_length(out, flexible, true, static_cast<int64_t>(v.items.size()));
    for (const Struct& item : v.items)
      encode_fields(f.fields, version, flexible, item, out);
  } else {
    write_length(out, flexible, true, static_cast<int64_t>(v.elems.size()));
    for (const Value& e : v.elems)
      encode_primitive(f.element, false, flexible, e, out);
  }
}

void encode_fields(const std::vector<Field>& fields, int16_t version, bool flexible,
                   const Struct& s, WireWriter& out) {
  std::vector<size_t> tagged;
  for (size_t k = 0; k < fields.size(); ++k) {
    const Field& f = fields[k];
    if (!f.versions.has(version)) continue;
    if (flexible && f.tagged.has(version)) {
      if (s.values()[k].present) tagged.push_back(k);
      continue;
    }
    encode_value(f, version, flexible, s.values()[k], out);
  }
  if (!flexible) return;
  std::sort(tagged.begin(), tagged.end(),
            [&](size_t a, size_t b) { return fields[a].tag < fields[b].tag; });
  out.uvarint(tagged.size());
  for (size_t k : tagged) {
    std::string data;
    WireWriter w(data);
    encode_value(fields[k], version, flexible, s.values()[k], w);
    out.uvarint(static_cast<uint64_t>(fields[k].tag));
    out.uvarint(data.size());
    out.raw(data);
  }
}

}  // namespace

Struct::Struct(const std::vector<schema::Field>& fields) : fields_(&fields) {
  values_.reserve(fields.size());
  for (const Field& f : fields)
    values_.push_back(default_value(f));
}

size_t Struct::index(std::string_view name) const {
  for (size_t k = 0; k < fields_->size(); ++k)
    if (name == (*fields_)[k].name) return k;
  // A handler naming a field its description lacks: a programming error every test of that
  // API hits at once.
  std::fprintf(stderr, "broker: no field %.*s in this message\n", static_cast<int>(name.size()),
               name.data());
  std::abort();
}

std::vector<int64_t> Struct::ints(std::string_view name) const {
  std::vector<int64_t> out;
  for (const Value& e : get(name).elems)
    out.push_back(e.i);
  return out;
}

std::vector<std::string_view> Struct::strings(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const Value& e : get(name).elems)
    out.push_back(e.bytes());
  return out;
}

Struct& Struct::set_int(std::string_view name, int64_t v) {
  Value& x = get(name);
  x.i = v;
  x.null = false;
  x.present = true;
  return *this;
}

Struct& Struct::set(std::string_view name, std::string v) {
  Value& x = get(name);
  x.own = std::move(v);
  x.owned = true;
  x.null = false;
  x.present = true;
  return *this;
}

Struct& Struct::set_view(std::string_view name, std::string_view v) {
  Value& x = get(name);
  x.view = v;
  x.owned = false;
  x.null = false;
  x.present = true;
  return *this;
}

Struct& Struct::set_null(std::string_view name) {
  Value& x = get(name);
  x.null = true;
  x.present = true;
  return *this;
}

Struct& Struct::set_ints(std::string_view name, const std::vector<int64_t>& v) {
  Value& x = get(name);
  x.elems.clear();
  for (int64_t e : v) {
    x.elems.emplace_back();
    x.elems.back().i = e;
  }
  x.null = false;
  x.present = true;
  return *this;
}

Struct& Struct::set_strings(std::string_view name, const std::vector<std::string>& v) {
  Value& x = get(name);
  x.elems.clear();
  for (const std::string& e : v) {
    x.elems.emplace_back();
    x.elems.back().own = e;
    x.elems.back().owned = true;
  }
  x.null = false;
  x.present = true;
  return *this;
}

Struct& Struct::add(std::string_view name) {
  const size_t k = index(name);
  Value& x = values_[k];
  x.null = false;
  x.present = true;
  x.items.emplace_back((*fields_)[k].fields);
  return x.items.back();
}

Struct& Struct::nested(std::string_view name) {
  Value& x = get(name);
  x.null = false;
  x.present = true;
  return x.items.front();
}

Struct decode(const schema::Message& m, int16_t version, WireReader& in) {
  Struct s(m.fields);
  decode_fields(m.fields, version, m.flexible.has(version), in, s);
  return s;
}

void encode(const schema::Message& m, int16_t version, const Struct& s, WireWriter& out) {
  encode_fields(m.fields, version, m.flexible.has(version), s, out);
}

std::string encoded(const schema::Message& m, int16_t version, const Struct& s) {
  std::string body;
  WireWriter out(body);
  encode(m, version, s, out);
  return body;
}

}  // namespace flumen::broker
