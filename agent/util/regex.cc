#include "agent/util/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace flumen {

struct Regex::Code {
  pcre2_code* code = nullptr;
  pcre2_code* anchored = nullptr;  // the same pattern wrapped for whole-subject matches
  pcre2_match_context* context = nullptr;
  ~Code() {
    pcre2_code_free(code);
    pcre2_code_free(anchored);
    pcre2_match_context_free(context);
  }
};

namespace {
pcre2_code* compile_one(const std::string& pattern, std::string& error) {
  int code = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* re = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                 PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &offset, nullptr);
  if (!re) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(code, msg, sizeof msg);
    error =
        std::string(reinterpret_cast<const char*>(msg)) + " at offset " + std::to_string(offset);
    return nullptr;
  }
  pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);  // best effort: falls back to the interpreter
  return re;
}

bool run(pcre2_code* re, pcre2_match_context* ctx, std::string_view subject) {
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(re, nullptr);
  int rc =
      pcre2_match(re, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), 0, 0, md, ctx);
  pcre2_match_data_free(md);
  return rc >= 0;  // a hit match limit counts as no match, never as a hang
}
}  // namespace

std::optional<Regex> Regex::compile(const std::string& pattern, std::string& error) {
  auto c = std::make_shared<Code>();
  c->code = compile_one(pattern, error);
  if (!c->code) return std::nullopt;
  c->anchored = compile_one("(?:" + pattern + ")\\z", error);
  if (!c->anchored) return std::nullopt;
  c->context = pcre2_match_context_create(nullptr);
  pcre2_set_match_limit(c->context, 1'000'000);
  pcre2_set_depth_limit(c->context, 10'000);
  Regex r;
  r.code_ = std::move(c);
  r.pattern_ = pattern;
  return r;
}

bool Regex::full_match(std::string_view subject) const {
  // Anchored at the start by the match option, at the end by \z in the wrapped pattern.
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(code_->anchored, nullptr);
  int rc = pcre2_match(code_->anchored, reinterpret_cast<PCRE2_SPTR>(subject.data()),
                       subject.size(), 0, PCRE2_ANCHORED, md, code_->context);
  pcre2_match_data_free(md);
  return rc >= 0;
}

int Regex::group_count() const {
  uint32_t n = 0;
  pcre2_pattern_info(code_->code, PCRE2_INFO_CAPTURECOUNT, &n);
  return static_cast<int>(n);
}

bool Regex::find(std::string_view subject, std::vector<std::string_view>& groups) const {
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(code_->code, nullptr);
  int rc = pcre2_match(code_->code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), 0,
                       0, md, code_->context);
  groups.clear();
  if (rc >= 0) {
    PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    uint32_t pairs = pcre2_get_ovector_count(md);
    for (uint32_t i = 0; i < pairs && i <= static_cast<uint32_t>(group_count()); ++i) {
      if (ov[2 * i] == PCRE2_UNSET)
        groups.emplace_back();
      else
        groups.push_back(subject.substr(ov[2 * i], ov[2 * i + 1] - ov[2 * i]));
    }
  }
  pcre2_match_data_free(md);
  return rc >= 0;
}

bool Regex::replace_all(std::string_view subject, std::string_view replacement,
                        std::string& out) const {
  PCRE2_SIZE size = subject.size() + subject.size() / 2 + 64;
  for (int attempt = 0; attempt < 2; ++attempt) {
    out.resize(size);
    PCRE2_SIZE len = size;
    int rc = pcre2_substitute(
        code_->code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), 0,
        PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH | PCRE2_SUBSTITUTE_UNSET_EMPTY,
        nullptr, code_->context, reinterpret_cast<PCRE2_SPTR>(replacement.data()),
        replacement.size(), reinterpret_cast<PCRE2_UCHAR*>(out.data()), &len);
    if (rc >= 0) {
      out.resize(len);
      return true;
    }
    if (rc != PCRE2_ERROR_NOMEMORY) return false;
    size = len;  // the length it needs
  }
  return false;
}

bool Regex::search(std::string_view subject) const {
  return run(code_->code, code_->context, subject);
}

}  // namespace flumen
