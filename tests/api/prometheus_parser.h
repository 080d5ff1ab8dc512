// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// A strict parser of the Prometheus text exposition format 0.0.4, for tests:
// it rejects anything a real scraper might choke on (bad names, bad escapes,
// TYPE after samples, a family split in two, duplicate series, malformed
// numbers, missing final newline), so output that passes it is safe for
// Prometheus and metrics-server.

#ifndef VKUBELET_TESTS_API_PROMETHEUS_PARSER_H_
#define VKUBELET_TESTS_API_PROMETHEUS_PARSER_H_

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace vkubelet::test {

struct PromSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
  std::optional<int64_t> timestamp_ms;
};

struct PromFamily {
  std::string name;
  std::string help;
  std::string type = "untyped";
  std::vector<PromSample> samples;
};

struct PromExposition {
  std::vector<PromFamily> families;  // in order of appearance
  const PromFamily* Find(std::string_view name) const {
    for (const auto& f : families) {
      if (f.name == name) return &f;
    }
    return nullptr;
  }
};

namespace prom_internal {

inline bool NameStart(char c, bool colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
}
inline bool NameChar(char c, bool colon) { return NameStart(c, colon) || (c >= '0' && c <= '9'); }

inline size_t ReadName(std::string_view s, size_t i, bool colon) {
  if (i >= s.size() || !NameStart(s[i], colon)) return i;
  ++i;
  while (i < s.size() && NameChar(s[i], colon)) ++i;
  return i;
}

inline std::optional<double> ParseValue(std::string_view v) {
  if (v == "NaN") return std::nan("");
  if (v == "+Inf") return INFINITY;
  if (v == "-Inf") return -INFINITY;
  if (v.empty()) return std::nullopt;
  for (char c : v) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'))
      return std::nullopt;
  }
  std::string tmp(v);
  char* end = nullptr;
  double d = std::strtod(tmp.c_str(), &end);
  if (end != tmp.c_str() + tmp.size()) return std::nullopt;
  return d;
}

// The family a sample name belongs to, given the declared types.
inline std::string FamilyOf(const std::string& sample, const std::map<std::string, std::string>& types) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    std::string_view sv(sample);
    std::string_view suf(suffix);
    if (sv.size() > suf.size() && sv.substr(sv.size() - suf.size()) == suf) {
      std::string base(sv.substr(0, sv.size() - suf.size()));
      auto it = types.find(base);
      if (it != types.end() && (it->second == "histogram" || it->second == "summary")) return base;
    }
  }
  return sample;
}

}  // namespace prom_internal

inline absl::StatusOr<PromExposition> ParsePrometheusText(std::string_view text) {
  using namespace prom_internal;
  PromExposition out;
  if (!text.empty() && text.back() != '\n') return absl::InvalidArgumentError("missing final newline");
  std::map<std::string, std::string> types;
  std::set<std::string> finished;  // families whose block ended
  std::set<std::string> series;
  std::string current;
  auto family = [&](const std::string& name) -> PromFamily& {
    if (current != name) {
      if (!current.empty()) finished.insert(current);
      current = name;
      out.families.push_back(PromFamily{name, "", "untyped", {}});
    }
    return out.families.back();
  };
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    auto err = [&](std::string_view what) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_no, ": ", std::string(what), ": ", std::string(line)));
    };
    if (line.empty()) continue;
    if (line[0] == '#') {
      if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
        bool help = line[2] == 'H';
        std::string_view rest = line.substr(7);
        size_t e = ReadName(rest, 0, true);
        if (e == 0 || (e < rest.size() && rest[e] != ' ')) return err("bad metric name in comment");
        std::string name(rest.substr(0, e));
        std::string_view arg = e < rest.size() ? rest.substr(e + 1) : std::string_view();
        if (finished.count(name)) return err("family appears twice");
        PromFamily& f = family(name);
        if (help) {
          if (!f.help.empty()) return err("second HELP");
          if (!f.samples.empty()) return err("HELP after samples");
          std::string h;
          for (size_t i = 0; i < arg.size(); ++i) {
            if (arg[i] == '\\') {
              if (i + 1 >= arg.size()) return err("dangling escape in HELP");
              char c = arg[++i];
              if (c == 'n') {
                h.push_back('\n');
              } else if (c == '\\') {
                h.push_back('\\');
              } else {
                return err("bad escape in HELP");
              }
            } else {
              h.push_back(arg[i]);
            }
          }
          f.help = h;
        } else {
          if (types.count(name)) return err("second TYPE");
          if (!f.samples.empty()) return err("TYPE after samples");
          static const std::set<std::string_view> kTypes = {"counter", "gauge", "histogram", "summary",
                                                            "untyped"};
          if (!kTypes.count(arg)) return err("unknown type");
          types[name] = std::string(arg);
          f.type = std::string(arg);
        }
      }
      continue;  // other comments are allowed
    }
    // A sample.
    size_t e = ReadName(line, 0, true);
    if (e == 0) return err("bad metric name");
    PromSample s;
    s.name = std::string(line.substr(0, e));
    size_t i = e;
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (true) {
        if (i < line.size() && line[i] == '}') {
          ++i;
          break;
        }
        size_t ne = ReadName(line, i, false);
        if (ne == i) return err("bad label name");
        std::string lname(line.substr(i, ne - i));
        i = ne;
        if (i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"') return err("expected =\"");
        i += 2;
        std::string value;
        while (true) {
          if (i >= line.size()) return err("unterminated label value");
          char c = line[i++];
          if (c == '"') break;
          if (c == '\\') {
            if (i >= line.size()) return err("dangling escape");
            char x = line[i++];
            if (x == 'n') {
              value.push_back('\n');
            } else if (x == '\\' || x == '"') {
              value.push_back(x);
            } else {
              return err("bad escape in label value");
            }
          } else {
            value.push_back(c);
          }
        }
        if (!s.labels.emplace(lname, value).second) return err("duplicate label");
        if (i < line.size() && line[i] == ',') {
          ++i;
          continue;
        }
        if (i < line.size() && line[i] == '}') {
          ++i;
          break;
        }
        return err("expected , or }");
      }
    }
    if (i >= line.size() || line[i] != ' ') return err("expected a space before the value");
    ++i;
    size_t sp = line.find(' ', i);
    std::string_view value = line.substr(i, sp == std::string_view::npos ? std::string_view::npos : sp - i);
    std::optional<double> v = ParseValue(value);
    if (!v) return err("bad value");
    s.value = *v;
    if (sp != std::string_view::npos) {
      std::string_view ts = line.substr(sp + 1);
      int64_t t = 0;
      auto r = std::from_chars(ts.data(), ts.data() + ts.size(), t);
      if (ts.empty() || r.ec != std::errc() || r.ptr != ts.data() + ts.size()) return err("bad timestamp");
      s.timestamp_ms = t;
    }
    std::string fam = FamilyOf(s.name, types);
    if (finished.count(fam)) return err("family appears twice");
    std::string key = s.name;
    for (const auto& [k, val] : s.labels) absl::StrAppend(&key, "\x1f", k, "=", val);
    if (!series.insert(key).second) return err("duplicate series");
    family(fam).samples.push_back(std::move(s));
  }
  return out;
}

}  // namespace vkubelet::test

#endif  // VKUBELET_TESTS_API_PROMETHEUS_PARSER_H_
