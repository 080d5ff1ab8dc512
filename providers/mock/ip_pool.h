// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Pod IP allocation for the mock provider: IPv4 addresses from a CIDR, handed
// out round-robin (a released address is not reused at once, as host-local
// IPAM does), unique among live pods. Private to the mock provider. Not
// thread-safe: the provider guards it with its own mutex.

#ifndef VKUBELET_PROVIDERS_MOCK_IP_POOL_H_
#define VKUBELET_PROVIDERS_MOCK_IP_POOL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"

namespace vkubelet::mock::internal {

class IpPool {
 public:
  // "10.244.0.0/16". The network address, the first host address (the
  // gateway by convention) and the broadcast address are never handed out.
  // Errors: InvalidArgument for anything but an IPv4 CIDR with a prefix of
  // 8 to 30 bits.
  static absl::StatusOr<IpPool> Parse(std::string_view cidr);

  // A free address, or nullopt when every address is in use.
  std::optional<std::string> Allocate();
  // Returns `ip` to the pool; unknown addresses are ignored.
  void Release(const std::string& ip);

  size_t size() const { return static_cast<size_t>(last_ - first_) + 1; }
  size_t in_use() const { return used_.size(); }

 private:
  IpPool(uint32_t first, uint32_t last) : first_(first), last_(last), next_(first) {}
  uint32_t first_;
  uint32_t last_;
  uint32_t next_;
  absl::flat_hash_set<uint32_t> used_;
};

// Parses a dotted quad; nullopt if it is not one.
std::optional<uint32_t> ParseIpv4(std::string_view text);
std::string FormatIpv4(uint32_t address);

}  // namespace vkubelet::mock::internal

#endif  // VKUBELET_PROVIDERS_MOCK_IP_POOL_H_
