// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// A small bounded map whose entries expire, for cached authentication and
// authorization answers. Time comes from a Clock so tests drive expiry.
// Private to the library.

#ifndef VKUBELET_LIB_API_TTL_CACHE_H_
#define VKUBELET_LIB_API_TTL_CACHE_H_

#include <cstddef>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "vkubelet/clock.h"

namespace vkubelet::api::internal {

// Thread-safe.
template <typename V>
class TtlCache {
 public:
  TtlCache(const Clock* clock, size_t max_entries)
      : clock_(clock), max_entries_(max_entries < 1 ? 1 : max_entries) {}

  std::optional<V> Get(const std::string& key) {
    absl::Time now = clock_->Now();
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    if (now >= it->second.expires) {
      entries_.erase(it);
      return std::nullopt;
    }
    return it->second.value;
  }

  void Put(const std::string& key, V value, absl::Duration ttl) {
    if (ttl <= absl::ZeroDuration()) return;
    absl::Time now = clock_->Now();
    absl::MutexLock lock(&mu_);
    if (entries_.size() >= max_entries_ && !entries_.contains(key)) Evict(now);
    entries_[key] = Entry{std::move(value), now + ttl};
  }

  size_t size() const {
    absl::MutexLock lock(&mu_);
    return entries_.size();
  }

 private:
  struct Entry {
    V value;
    absl::Time expires;
  };

  // Drops expired entries; if that is not enough, drops entries (in no
  // particular order) until the map is half full, so a flood of distinct
  // keys costs O(1) amortised per insert.
  void Evict(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    absl::erase_if(entries_, [now](const auto& kv) { return now >= kv.second.expires; });
    if (entries_.size() <= max_entries_ / 2) return;
    size_t drop = entries_.size() - max_entries_ / 2;
    absl::erase_if(entries_, [&drop](const auto&) {
      if (drop == 0) return false;
      --drop;
      return true;
    });
  }

  const Clock* clock_;
  const size_t max_entries_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vkubelet::api::internal

#endif  // VKUBELET_LIB_API_TTL_CACHE_H_
