// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// SPDY/3 name/value header blocks: an ordered list of (name, value) pairs and
// the uncompressed wire encoding (compression lives in compression.h).
//
// Wire format (all counts and lengths 32-bit big-endian):
//   count | (name-length name value-length value) * count
// Names are lower-case, non-empty and unique within a block; a name with
// several values carries them joined by single NUL bytes. Go's framer
// (moby/spdystream/spdy) treats an upper-case or repeated name as a fatal
// connection error, so the encoder here never produces either. Internal.

#ifndef VKUBELET_LIB_API_SPDY_HEADERS_H_
#define VKUBELET_LIB_API_SPDY_HEADERS_H_

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace vkubelet::internal::spdy {

// Ordered header fields. A name may appear several times (one entry per
// value). Names are stored lower-cased; lookups ignore ASCII case.
// Not thread-safe (a plain value type).
class Headers {
 public:
  using Field = std::pair<std::string, std::string>;

  Headers() = default;
  Headers(std::initializer_list<std::pair<std::string_view, std::string_view>> fields);

  // Appends a value; `name` is lower-cased.
  void Add(std::string_view name, std::string_view value);
  // Replaces every value of `name` by `value`.
  void Set(std::string_view name, std::string_view value);
  // First value of `name`, or nullopt. The view is valid until the next change.
  std::optional<std::string_view> Get(std::string_view name) const;
  // All values of `name` in order.
  std::vector<std::string> GetAll(std::string_view name) const;

  const std::vector<Field>& fields() const { return fields_; }
  bool empty() const { return fields_.empty(); }
  size_t size() const { return fields_.size(); }

  friend bool operator==(const Headers&, const Headers&) = default;

 private:
  std::vector<Field> fields_;
};

// Encodes `headers` as an uncompressed name/value block. Fields with the same
// name are merged into one NUL-joined entry at the position of the first.
// Errors (InvalidArgument): empty name; NUL in a name or value; an empty
// value next to other values of the same name; a hop-by-hop name Go's framer
// rejects (connection, host, keep-alive, proxy-connection,
// transfer-encoding); a block larger than 4 GiB.
absl::StatusOr<std::string> SerializeHeaderBlock(const Headers& headers);

// Decodes an uncompressed name/value block, splitting NUL-joined values into
// separate fields. Errors (InvalidArgument, message names the problem):
// truncated block, trailing bytes, a count larger than the block can hold,
// empty/upper-case/duplicate names, values starting or ending with NUL or
// containing an empty value between NULs.
absl::StatusOr<Headers> ParseHeaderBlock(std::string_view block);

}  // namespace vkubelet::internal::spdy

#endif  // VKUBELET_LIB_API_SPDY_HEADERS_H_
