// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "api/router.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "vkubelet/internal/status_macros.h"

namespace vkubelet::api::internal {
namespace {

using vkubelet::internal::ToAbsl;

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.empty()) return out;
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    out.push_back(
        path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

bool IsVar(std::string_view seg) { return seg.size() >= 2 && seg.front() == '{' && seg.back() == '}'; }

// Two patterns match the same paths when their literals agree and their
// variables sit in the same places.
bool SameShape(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (IsVar(a[i]) != IsVar(b[i])) return false;
    if (!IsVar(a[i]) && a[i] != b[i]) return false;
  }
  return true;
}

}  // namespace

absl::Status Router::Add(Route route) {
  if (route.pattern.empty() || route.pattern.front() != '/') {
    return absl::InvalidArgumentError(absl::StrCat("route pattern must start with '/': ", route.pattern));
  }
  if (!route.handler)
    return absl::InvalidArgumentError(absl::StrCat("route without handler: ", route.pattern));
  if (route.methods.empty())
    return absl::InvalidArgumentError(absl::StrCat("route without methods: ", route.pattern));
  Entry e;
  std::set<std::string_view> names;
  for (std::string_view seg : SplitPath(route.pattern)) {
    if (seg.empty())
      return absl::InvalidArgumentError(absl::StrCat("empty segment in route ", route.pattern));
    if (IsVar(seg)) {
      std::string_view name = seg.substr(1, seg.size() - 2);
      if (name.empty() || !names.insert(name).second) {
        return absl::InvalidArgumentError(absl::StrCat("bad variable in route ", route.pattern));
      }
    }
    e.segments.emplace_back(seg);
  }
  for (const Entry& other : entries_) {
    if (!SameShape(other.segments, e.segments)) continue;
    for (const std::string& m : route.methods) {
      if (std::find(other.route.methods.begin(), other.route.methods.end(), m) != other.route.methods.end()) {
        return absl::AlreadyExistsError(
            absl::StrCat("route ", ToAbsl(m), " ", route.pattern, " already registered"));
      }
    }
  }
  e.route = std::move(route);
  entries_.push_back(std::move(e));
  return absl::OkStatus();
}

Router::Match Router::Find(std::string_view method, std::string_view path) const {
  Match m;
  std::vector<std::string_view> segs = SplitPath(path);
  std::set<std::string> allowed;
  for (const Entry& e : entries_) {
    if (e.segments.size() != segs.size()) continue;
    std::map<std::string, std::string, std::less<>> vars;
    bool ok = true;
    for (size_t i = 0; i < segs.size() && ok; ++i) {
      const std::string& p = e.segments[i];
      if (IsVar(p)) {
        if (segs[i].empty()) {
          ok = false;
        } else {
          vars.emplace(p.substr(1, p.size() - 2), std::string(segs[i]));
        }
      } else {
        ok = p == segs[i];
      }
    }
    if (!ok) continue;
    if (std::find(e.route.methods.begin(), e.route.methods.end(), method) != e.route.methods.end()) {
      m.result = Result::kFound;
      m.route = &e.route;
      m.vars = std::move(vars);
      return m;
    }
    allowed.insert(e.route.methods.begin(), e.route.methods.end());
  }
  if (!allowed.empty()) {
    m.result = Result::kMethodNotAllowed;
    m.allow = absl::StrJoin(allowed, ", ");
  }
  return m;
}

}  // namespace vkubelet::api::internal
