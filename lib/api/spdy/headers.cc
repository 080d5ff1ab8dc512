// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "api/spdy/headers.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "api/spdy/protocol.h"
#include "vkubelet/internal/status_macros.h"

namespace vkubelet::internal::spdy {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = absl::ascii_tolower(static_cast<unsigned char>(c));
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return absl::ascii_tolower(static_cast<unsigned char>(x)) ==
                  absl::ascii_tolower(static_cast<unsigned char>(y));
         });
}

// Names Go's framer refuses in SYN_STREAM, SYN_REPLY or HEADERS (it drops the
// whole connection when it sees one).
bool IsForbiddenName(std::string_view name) {
  return name == "connection" || name == "host" || name == "keep-alive" ||
         name == "proxy-connection" || name == "transfer-encoding";
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&out, "\\x", absl::Hex(c, absl::kZeroPad2));
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace

Headers::Headers(std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  for (const auto& [name, value] : fields) Add(name, value);
}

void Headers::Add(std::string_view name, std::string_view value) {
  fields_.emplace_back(Lower(name), std::string(value));
}

void Headers::Set(std::string_view name, std::string_view value) {
  std::string lower = Lower(name);
  fields_.erase(std::remove_if(fields_.begin(), fields_.end(),
                               [&](const Field& f) { return f.first == lower; }),
                fields_.end());
  fields_.emplace_back(std::move(lower), std::string(value));
}

std::optional<std::string_view> Headers::Get(std::string_view name) const {
  for (const Field& f : fields_) {
    if (EqualsIgnoreCase(f.first, name)) return std::string_view(f.second);
  }
  return std::nullopt;
}

std::vector<std::string> Headers::GetAll(std::string_view name) const {
  std::vector<std::string> out;
  for (const Field& f : fields_) {
    if (EqualsIgnoreCase(f.first, name)) out.push_back(f.second);
  }
  return out;
}

absl::StatusOr<std::string> SerializeHeaderBlock(const Headers& headers) {
  // Group values by name, keeping the order of first appearance.
  std::vector<std::pair<std::string, std::vector<std::string_view>>> grouped;
  for (const auto& [name, value] : headers.fields()) {
    if (name.empty()) return absl::InvalidArgumentError("spdy: empty header name");
    if (name.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("spdy: NUL in header name ", Quote(name)));
    }
    if (value.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("spdy: NUL in the value of header ", Quote(name)));
    }
    if (IsForbiddenName(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("spdy: header ", Quote(name), " is not allowed in SPDY header blocks"));
    }
    auto it = std::find_if(grouped.begin(), grouped.end(),
                           [&](const auto& g) { return g.first == name; });
    if (it == grouped.end()) {
      grouped.emplace_back(name, std::vector<std::string_view>{value});
    } else {
      it->second.push_back(value);
    }
  }
  std::string out;
  if (grouped.size() > std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError("spdy: too many headers");
  }
  AppendU32(&out, static_cast<uint32_t>(grouped.size()));
  for (const auto& [name, values] : grouped) {
    std::string joined;
    for (size_t i = 0; i < values.size(); ++i) {
      if (values.size() > 1 && values[i].empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "spdy: header ", Quote(name), " has an empty value among several values"));
      }
      if (i > 0) joined.push_back('\0');
      joined.append(values[i]);
    }
    if (name.size() > std::numeric_limits<uint32_t>::max() ||
        joined.size() > std::numeric_limits<uint32_t>::max()) {
      return absl::InvalidArgumentError("spdy: header too large");
    }
    AppendU32(&out, static_cast<uint32_t>(name.size()));
    out.append(name);
    AppendU32(&out, static_cast<uint32_t>(joined.size()));
    out.append(joined);
  }
  return out;
}

absl::StatusOr<Headers> ParseHeaderBlock(std::string_view block) {
  size_t pos = 0;
  auto read_u32 = [&](std::string_view what) -> absl::StatusOr<uint32_t> {
    if (block.size() - pos < 4) {
      return absl::InvalidArgumentError(
          absl::StrCat("spdy: header block truncated while reading ", ToAbsl(what)));
    }
    uint32_t v = ReadU32(block, pos);
    pos += 4;
    return v;
  };
  auto read_bytes = [&](uint32_t n, std::string_view what) -> absl::StatusOr<std::string_view> {
    if (block.size() - pos < n) {
      return absl::InvalidArgumentError(absl::StrCat("spdy: header block truncated in ", ToAbsl(what),
                                                     " (", n, " bytes declared, ",
                                                     block.size() - pos, " left)"));
    }
    std::string_view out = block.substr(pos, n);
    pos += n;
    return out;
  };

  VK_ASSIGN_OR_RETURN(uint32_t count, read_u32("the header count"));
  // Every pair needs at least two length fields: a bogus count must not make
  // us reserve memory or loop for long.
  if (count > (block.size() - pos) / 8) {
    return absl::InvalidArgumentError(absl::StrCat(
        "spdy: header block declares ", count, " headers but has only ", block.size() - pos,
        " bytes left"));
  }
  Headers headers;
  absl::flat_hash_set<std::string_view> seen;
  for (uint32_t i = 0; i < count; ++i) {
    VK_ASSIGN_OR_RETURN(uint32_t name_len, read_u32("a name length"));
    VK_ASSIGN_OR_RETURN(std::string_view name, read_bytes(name_len, "a header name"));
    if (name.empty()) return absl::InvalidArgumentError("spdy: zero-length header name");
    for (char c : name) {
      if (c >= 'A' && c <= 'Z') {
        return absl::InvalidArgumentError(
            absl::StrCat("spdy: header name ", Quote(name), " is not lower-case"));
      }
    }
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("spdy: duplicate header name ", Quote(name)));
    }
    VK_ASSIGN_OR_RETURN(uint32_t value_len, read_u32("a value length"));
    VK_ASSIGN_OR_RETURN(std::string_view value, read_bytes(value_len, "a header value"));
    if (value.empty()) {
      headers.Add(name, "");
      continue;
    }
    if (value.front() == '\0' || value.back() == '\0' ||
        value.find(std::string_view("\0\0", 2)) != std::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("spdy: malformed NUL-separated value of header ", Quote(name)));
    }
    size_t start = 0;
    while (true) {
      size_t nul = value.find('\0', start);
      headers.Add(name, value.substr(start, nul == std::string_view::npos ? value.npos
                                                                           : nul - start));
      if (nul == std::string_view::npos) break;
      start = nul + 1;
    }
  }
  if (pos != block.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("spdy: ", block.size() - pos, " trailing bytes after the header block"));
  }
  return headers;
}

}  // namespace vkubelet::internal::spdy
