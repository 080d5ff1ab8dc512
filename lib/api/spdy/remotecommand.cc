// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "api/spdy/remotecommand.h"

#include <algorithm>
#include <array>
#include <limits>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "vkubelet/internal/status_macros.h"

namespace vkubelet::internal::spdy {
namespace {

constexpr std::array<std::string_view, 5> kServerProtocols = {
    kStreamProtocolV5, kStreamProtocolV4, kStreamProtocolV3, kStreamProtocolV2,
    kStreamProtocolV1,
};

constexpr absl::string_view kNonZeroExitPrefix = "command terminated with non-zero exit code: ";
constexpr absl::string_view kExecErrorPrefix = "error executing command in container: ";
constexpr absl::string_view kInternalErrorPrefix = "Internal error occurred: ";

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// Go's %v of a []string: [a b c].
template <typename T>
std::string GoList(std::span<const T> v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out.push_back(' ');
    out.append(v[i]);
  }
  out.push_back(']');
  return out;
}

// Length of the valid UTF-8 sequence at s[i], 0 if invalid.
size_t Utf8SequenceLength(std::string_view s, size_t i, uint32_t* cp) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  auto cont = [&](size_t k, unsigned char lo = 0x80, unsigned char hi = 0xbf) {
    return k < s.size() && byte(k) >= lo && byte(k) <= hi;
  };
  if (c >= 0xc2 && c <= 0xdf && cont(i + 1)) {
    *cp = (uint32_t{c} & 0x1f) << 6 | (byte(i + 1) & 0x3f);
    return 2;
  }
  unsigned char lo = 0x80, hi = 0xbf;
  if (c >= 0xe0 && c <= 0xef) {
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
    if (!cont(i + 1, lo, hi) || !cont(i + 2)) return 0;
    *cp = (uint32_t{c} & 0x0f) << 12 | (uint32_t{byte(i + 1)} & 0x3f) << 6 | (byte(i + 2) & 0x3f);
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
    if (!cont(i + 1, lo, hi) || !cont(i + 2) || !cont(i + 3)) return 0;
    *cp = (uint32_t{c} & 0x07) << 18 | (uint32_t{byte(i + 1)} & 0x3f) << 12 |
          (uint32_t{byte(i + 2)} & 0x3f) << 6 | (byte(i + 3) & 0x3f);
    return 4;
  }
  return 0;
}

std::string DefaultExitError(int exit_code) { return absl::StrCat("exit status ", exit_code); }

// Go's decoder matches struct fields case-insensitively (ASCII folding is
// enough for "Width"/"Height").
bool FieldIs(std::string_view key, std::string_view field) {
  return key.size() == field.size() &&
         std::equal(key.begin(), key.end(), field.begin(), [](char a, char b) {
           return absl::ascii_tolower(static_cast<unsigned char>(a)) ==
                  absl::ascii_tolower(static_cast<unsigned char>(b));
         });
}

}  // namespace

// ---- stream types -----------------------------------------------------------

StreamType ParseStreamType(std::string_view value) {
  if (value == "error") return StreamType::kError;
  if (value == "stdin") return StreamType::kStdin;
  if (value == "stdout") return StreamType::kStdout;
  if (value == "stderr") return StreamType::kStderr;
  if (value == "resize") return StreamType::kResize;
  if (value == "data") return StreamType::kData;
  return StreamType::kUnknown;
}

StreamType StreamTypeOf(const Headers& headers) {
  std::optional<std::string_view> v = headers.Get(kStreamTypeHeader);
  return v ? ParseStreamType(*v) : StreamType::kUnknown;
}

std::string_view StreamTypeName(StreamType type) {
  switch (type) {
    case StreamType::kError: return "error";
    case StreamType::kStdin: return "stdin";
    case StreamType::kStdout: return "stdout";
    case StreamType::kStderr: return "stderr";
    case StreamType::kResize: return "resize";
    case StreamType::kData: return "data";
    case StreamType::kUnknown: break;
  }
  return "unknown";
}

// ---- negotiation ------------------------------------------------------------

std::span<const std::string_view> ServerRemoteCommandProtocols() { return kServerProtocols; }

int RemoteCommandVersion(std::string_view protocol) {
  if (protocol == kStreamProtocolV1) return 1;
  if (protocol == kStreamProtocolV2) return 2;
  if (protocol == kStreamProtocolV3) return 3;
  if (protocol == kStreamProtocolV4) return 4;
  if (protocol == kStreamProtocolV5) return 5;
  return 0;
}

int ExpectedStreamCount(int version, bool with_stdin, bool with_stdout, bool with_stderr,
                        bool tty) {
  int n = 1;  // error
  if (with_stdin) ++n;
  if (with_stdout) ++n;
  if (with_stderr) ++n;
  if (tty && SupportsResize(version)) ++n;
  return n;
}

HandshakeResult NegotiateStreamProtocol(std::span<const std::string> request_header_values,
                                        std::span<const std::string_view> server_protocols) {
  std::vector<std::string> offers;
  for (const std::string& line : request_header_values) {
    size_t start = 0;
    while (start <= line.size()) {
      size_t comma = line.find(',', start);
      if (comma == std::string::npos) comma = line.size();
      std::string_view p = TrimSpaces(std::string_view(line).substr(start, comma - start));
      if (!p.empty()) offers.emplace_back(p);
      start = comma + 1;
    }
  }
  HandshakeResult result;
  if (offers.empty()) {
    result.http_status = 400;
    result.body = absl::StrCat("unable to upgrade: ", ToAbsl(kProtocolVersionHeader), " is required\n");
    return result;
  }
  for (const std::string& offer : offers) {
    if (std::find(server_protocols.begin(), server_protocols.end(), offer) !=
        server_protocols.end()) {
      result.protocol = offer;
      result.headers.emplace_back(std::string(kProtocolVersionHeader), offer);
      return result;
    }
  }
  result.http_status = 403;
  for (std::string_view p : server_protocols) {
    result.headers.emplace_back(std::string(kAcceptedProtocolVersionsHeader), std::string(p));
  }
  result.body = absl::StrCat("unable to upgrade: unable to negotiate protocol: client supports ",
                             GoList<std::string>(offers), ", server accepts ",
                             GoList<std::string_view>(server_protocols), "\n");
  return result;
}

// ---- error stream -----------------------------------------------------------

std::string GoJsonQuote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
          if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            out += "\\u00";
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xf]);
          } else {
            out.push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    uint32_t cp = 0;
    const size_t len = Utf8SequenceLength(s, i, &cp);
    if (len == 0) {
      out += "\\ufffd";
      ++i;
    } else if (cp == 0x2028 || cp == 0x2029) {
      out += cp == 0x2028 ? "\\u2028" : "\\u2029";
      i += len;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  out.push_back('"');
  return out;
}

std::string SuccessStatusJson() { return R"({"metadata":{},"status":"Success"})"; }

std::string NonZeroExitStatusJson(int exit_code, std::string_view error) {
  const std::string err = error.empty() ? DefaultExitError(exit_code) : std::string(error);
  return absl::StrCat(R"({"metadata":{},"status":"Failure","message":)",
                      GoJsonQuote(absl::StrCat(kNonZeroExitPrefix, err)),
                      R"(,"reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":)",
                      GoJsonQuote(absl::StrCat(exit_code)), "}]}}");
}

std::string InternalErrorStatusJson(std::string_view error) {
  const std::string cause = absl::StrCat(kExecErrorPrefix, ToAbsl(error));
  return absl::StrCat(R"({"metadata":{},"status":"Failure","message":)",
                      GoJsonQuote(absl::StrCat(kInternalErrorPrefix, cause)),
                      R"(,"reason":"InternalError","details":{"causes":[{"message":)",
                      GoJsonQuote(cause), R"(}]},"code":500})");
}

std::string ErrorStreamPayload(int version, const ExecResult& result) {
  const bool success = result.exit_code == 0 && result.error.empty();
  if (UsesStatusJson(version)) {
    if (success) return SuccessStatusJson();
    if (result.exit_code != 0) return NonZeroExitStatusJson(result.exit_code, result.error);
    return InternalErrorStatusJson(result.error);
  }
  // v1-v3 write status.Error(), i.e. the Status message, and nothing on
  // success.
  if (success) return "";
  if (result.exit_code != 0) {
    return absl::StrCat(kNonZeroExitPrefix, result.error.empty()
                                                ? DefaultExitError(result.exit_code)
                                                : result.error);
  }
  return absl::StrCat(kInternalErrorPrefix, kExecErrorPrefix, result.error);
}

absl::StatusOr<ExecResult> ParseErrorStream(int version, std::string_view payload) {
  if (!UsesStatusJson(version)) {
    return ExecResult{0, std::string(payload)};
  }
  const nlohmann::json j = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("error stream: payload is not a JSON object");
  }
  auto str = [](const nlohmann::json& obj, const char* key) -> std::string {
    auto it = obj.find(key);
    return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const std::string status = str(j, "status");
  if (status == "Success") return ExecResult{};
  if (status != "Failure") {
    return absl::InvalidArgumentError(
        absl::StrCat("error stream: unexpected status ", GoJsonQuote(status)));
  }
  const std::string message = str(j, "message");
  if (str(j, "reason") == "NonZeroExitCode") {
    auto details = j.find("details");
    if (details != j.end() && details->is_object()) {
      auto causes = details->find("causes");
      if (causes != details->end() && causes->is_array()) {
        for (const nlohmann::json& cause : *causes) {
          if (!cause.is_object() || str(cause, "reason") != "ExitCode") continue;
          int code = 0;
          // client-go parses the code with ParseUint(.., 10, 8).
          if (!absl::SimpleAtoi(str(cause, "message"), &code) || code < 0 || code > 255) {
            return absl::InvalidArgumentError("error stream: bad exit code in status");
          }
          std::string err = message;
          if (absl::StartsWith(err, kNonZeroExitPrefix)) err.erase(0, kNonZeroExitPrefix.size());
          return ExecResult{code, err};
        }
      }
    }
    return absl::InvalidArgumentError("error stream: NonZeroExitCode without an ExitCode cause");
  }
  return ExecResult{0, message.empty() ? std::string("unknown error") : message};
}

// ---- resize stream ----------------------------------------------------------

TerminalSizeDecoder::TerminalSizeDecoder(size_t max_object_size)
    : max_object_size_(max_object_size) {}

absl::Status TerminalSizeDecoder::Feed(std::string_view bytes, std::vector<TerminalSize>* out) {
  if (!status_.ok()) return status_;
  buf_.append(bytes);
  while (scanned_ < buf_.size()) {
    const char c = buf_[scanned_];
    if (depth_ == 0) {
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        // Whitespace between objects is dropped.
        buf_.erase(0, scanned_ + 1);
        scanned_ = 0;
        continue;
      }
      if (c != '{') {
        status_ = absl::InvalidArgumentError(
            "resize stream: expected a JSON object like {\"Width\":80,\"Height\":24}");
        return status_;
      }
    }
    ++scanned_;
    if (in_string_) {
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        in_string_ = false;
      }
      continue;
    }
    if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      ++depth_;
    } else if (c == '}' || c == ']') {
      if (--depth_ == 0) {
        const std::string object = buf_.substr(0, scanned_);
        buf_.erase(0, scanned_);
        scanned_ = 0;
        if (absl::Status s = Complete(object, out); !s.ok()) {
          status_ = s;
          return status_;
        }
      }
    }
  }
  if (buf_.size() > max_object_size_) {
    status_ = absl::ResourceExhaustedError(absl::StrCat(
        "resize stream: JSON object longer than ", max_object_size_, " bytes"));
  }
  return status_;
}

absl::Status TerminalSizeDecoder::Complete(std::string_view object,
                                           std::vector<TerminalSize>* out) {
  try {
    const nlohmann::ordered_json j =
        nlohmann::ordered_json::parse(object, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat("resize stream: malformed JSON object ", GoJsonQuote(object)));
    }
    TerminalSize size;
    for (const auto& [key, value] : j.items()) {
      uint16_t* field = nullptr;
      if (FieldIs(key, "Width")) field = &size.width;
      if (FieldIs(key, "Height")) field = &size.height;
      if (field == nullptr || value.is_null()) continue;  // Go ignores both
      if (!value.is_number_unsigned() ||
          value.get<uint64_t>() > std::numeric_limits<uint16_t>::max()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "resize stream: ", key, " must be an integer in 0..65535, got ", value.dump()));
      }
      *field = static_cast<uint16_t>(value.get<uint64_t>());
    }
    out->push_back(size);
    return absl::OkStatus();
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("resize stream: ", e.what()));
  }
}

// ---- port-forward -----------------------------------------------------------

std::string PortForwardRequestId(const Headers& headers, uint32_t stream_id) {
  std::optional<std::string_view> id = headers.Get(kPortForwardRequestIdHeader);
  if (id && !id->empty()) return std::string(*id);
  switch (StreamTypeOf(headers)) {
    case StreamType::kError: return absl::StrCat(stream_id);
    case StreamType::kData: return absl::StrCat(static_cast<int64_t>(stream_id) - 2);
    default: return "";
  }
}

absl::StatusOr<uint16_t> ParsePortHeader(const Headers& headers) {
  std::optional<std::string_view> value = headers.Get(kPortHeader);
  if (!value || value->empty()) {
    return absl::InvalidArgumentError(absl::StrCat("\"", ToAbsl(kPortHeader), "\" header is required"));
  }
  uint32_t port = 0;
  for (char c : *value) {
    if (c < '0' || c > '9' || port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("unable to parse ", GoJsonQuote(*value), " as a port"));
    }
    port = port * 10 + static_cast<uint32_t>(c - '0');
  }
  if (port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("unable to parse ", GoJsonQuote(*value), " as a port"));
  }
  if (port == 0) {
    return absl::InvalidArgumentError(absl::StrCat("port ", GoJsonQuote(*value), " must be > 0"));
  }
  return static_cast<uint16_t>(port);
}

std::string PortForwardErrorMessage(uint16_t port, std::string_view pod, std::string_view uid,
                                    std::string_view error) {
  return absl::StrCat("error forwarding port ", port, " to pod ", ToAbsl(pod), ", uid ",
                      ToAbsl(uid), ": ", ToAbsl(error));
}

}  // namespace vkubelet::internal::spdy
