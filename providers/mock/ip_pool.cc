// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "providers/mock/ip_pool.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace vkubelet::mock::internal {

std::optional<uint32_t> ParseIpv4(std::string_view text) {
  uint32_t out = 0;
  int parts = 0;
  size_t i = 0;
  while (parts < 4) {
    size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    size_t len = i - start;
    if (len == 0 || len > 3 || (len > 1 && text[start] == '0')) return std::nullopt;
    uint32_t octet = 0;
    for (size_t k = start; k < i; ++k) octet = octet * 10 + static_cast<uint32_t>(text[k] - '0');
    if (octet > 255) return std::nullopt;
    out = (out << 8) | octet;
    ++parts;
    if (parts < 4) {
      if (i >= text.size() || text[i] != '.') return std::nullopt;
      ++i;
    }
  }
  if (i != text.size()) return std::nullopt;
  return out;
}

std::string FormatIpv4(uint32_t a) {
  return absl::StrCat(a >> 24, ".", (a >> 16) & 0xff, ".", (a >> 8) & 0xff, ".", a & 0xff);
}

absl::StatusOr<IpPool> IpPool::Parse(std::string_view cidr) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("invalid pod CIDR \"",
                                                   absl::string_view(cidr.data(), cidr.size()),
                                                   "\": ", absl::string_view(why.data(), why.size())));
  };
  size_t slash = cidr.find('/');
  if (slash == std::string_view::npos) return bad("expected an IPv4 CIDR such as 10.244.0.0/16");
  std::optional<uint32_t> base = ParseIpv4(cidr.substr(0, slash));
  if (!base) return bad("the address is not an IPv4 address (IPv6 is not supported)");
  std::string_view prefix_text = cidr.substr(slash + 1);
  int prefix = 0;
  if (!absl::SimpleAtoi(absl::string_view(prefix_text.data(), prefix_text.size()), &prefix) || prefix < 8 ||
      prefix > 30) {
    return bad("the prefix length must be between 8 and 30");
  }
  uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  uint32_t network = *base & mask;
  uint32_t broadcast = network | ~mask;
  return IpPool(network + 2, broadcast - 1);
}

std::optional<std::string> IpPool::Allocate() {
  const uint64_t n = size();
  if (used_.size() >= n) return std::nullopt;
  for (uint64_t tried = 0; tried < n; ++tried) {
    uint32_t candidate = next_;
    next_ = next_ == last_ ? first_ : next_ + 1;
    if (used_.insert(candidate).second) return FormatIpv4(candidate);
  }
  return std::nullopt;
}

void IpPool::Release(const std::string& ip) {
  if (std::optional<uint32_t> a = ParseIpv4(ip)) used_.erase(*a);
}

}  // namespace vkubelet::mock::internal
