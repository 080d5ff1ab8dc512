// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "api/wsstream/channel.h"

#include <algorithm>
#include <array>

#include "absl/strings/str_cat.h"
#include "vkubelet/internal/status_macros.h"

namespace vkubelet::internal::wsstream {
namespace {

constexpr std::array<ChannelProtocol, 6> kRemoteCommandProtocols = {{
    {kV5ChannelProtocol, ProtocolUse::kRemoteCommand, Encoding::kBinary, 5, true},
    {kV4ChannelProtocol, ProtocolUse::kRemoteCommand, Encoding::kBinary, 4, false},
    {kV4Base64ChannelProtocol, ProtocolUse::kRemoteCommand, Encoding::kBase64, 4, false},
    {kChannelProtocol, ProtocolUse::kRemoteCommand, Encoding::kBinary, 1, false},
    {kBase64ChannelProtocol, ProtocolUse::kRemoteCommand, Encoding::kBase64, 1, false},
    {kLegacyProtocol, ProtocolUse::kRemoteCommand, Encoding::kBinary, 1, false},
}};

constexpr std::array<ChannelProtocol, 3> kPortForwardProtocols = {{
    {kV4ChannelProtocol, ProtocolUse::kPortForward, Encoding::kBinary, 0, false},
    {kV4Base64ChannelProtocol, ProtocolUse::kPortForward, Encoding::kBase64, 0, false},
    {kLegacyProtocol, ProtocolUse::kPortForward, Encoding::kBinary, 0, false},
}};

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr size_t kMaxPortForwardPorts = 127;

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Go's %v of a []string.
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

}  // namespace

// ---- protocol table -----------------------------------------------------------

std::span<const ChannelProtocol> Protocols(ProtocolUse use) {
  if (use == ProtocolUse::kRemoteCommand) return kRemoteCommandProtocols;
  return kPortForwardProtocols;
}

const ChannelProtocol* FindProtocol(ProtocolUse use, std::string_view name) {
  for (const ChannelProtocol& p : Protocols(use)) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::vector<std::string_view> ProtocolNames(ProtocolUse use) {
  std::vector<std::string_view> names;
  for (const ChannelProtocol& p : Protocols(use)) names.push_back(p.name);
  return names;
}

std::vector<std::string> ParseSubprotocols(std::span<const std::string> header_values) {
  std::vector<std::string> out;
  for (const std::string& line : header_values) {
    size_t start = 0;
    while (start <= line.size()) {
      size_t comma = line.find(',', start);
      if (comma == std::string::npos) comma = line.size();
      std::string_view item = std::string_view(line).substr(start, comma - start);
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
      if (!item.empty()) out.emplace_back(item);
      start = comma + 1;
    }
  }
  return out;
}

absl::StatusOr<std::string> NegotiateSubprotocol(std::span<const std::string> client_offers,
                                                 std::span<const std::string_view> supported) {
  std::vector<std::string> offers(client_offers.begin(), client_offers.end());
  if (offers.empty()) offers.emplace_back("");
  for (const std::string& offer : offers) {
    if (std::find(supported.begin(), supported.end(), offer) != supported.end()) return offer;
  }
  return absl::PermissionDeniedError(
      absl::StrCat("requested protocol(s) are not supported: ",
                   GoList<std::string>(client_offers), "; supports ",
                   GoList<std::string_view>(supported)));
}

// ---- messages -------------------------------------------------------------------

absl::StatusOr<std::string> EncodeMessage(Encoding encoding, uint8_t channel,
                                          std::string_view payload) {
  if (channel == kCloseSignal) {
    return absl::InvalidArgumentError("wsstream: channel 255 is reserved for CLOSE");
  }
  std::string out;
  if (encoding == Encoding::kBinary) {
    out.reserve(payload.size() + 1);
    out.push_back(static_cast<char>(channel));
    out.append(payload);
    return out;
  }
  if (channel > 79) {
    return absl::InvalidArgumentError(
        absl::StrCat("wsstream: channel ", channel, " cannot be written as an ASCII digit"));
  }
  out.push_back(static_cast<char>('0' + channel));
  out.append(Base64Encode(payload));
  return out;
}

std::string EncodeClose(uint8_t channel) {
  return std::string{static_cast<char>(kCloseSignal), static_cast<char>(channel)};
}

absl::StatusOr<DecodedMessage> DecodeMessage(Encoding encoding, std::string_view message,
                                             uint8_t channels, bool supports_close) {
  if (message.empty()) return absl::InvalidArgumentError("wsstream: empty message");
  const uint8_t first = static_cast<uint8_t>(message[0]);
  DecodedMessage out;
  if (supports_close && first == kCloseSignal) {
    if (message.size() != 2) {
      return absl::InvalidArgumentError(absl::StrCat(
          "wsstream: CLOSE message must be 2 bytes, got ", message.size()));
    }
    const uint8_t target = static_cast<uint8_t>(message[1]);
    if (target >= channels) {
      return absl::InvalidArgumentError(
          absl::StrCat("wsstream: CLOSE for unknown channel ", target));
    }
    out.kind = DecodedMessage::Kind::kClose;
    out.channel = target;
    return out;
  }
  // Base64 ids are ASCII digits; Go subtracts '0' in byte arithmetic, so
  // anything below '0' wraps to a large, unknown channel.
  const uint8_t channel = encoding == Encoding::kBase64 ? static_cast<uint8_t>(first - '0') : first;
  if (channel >= channels) {
    return absl::InvalidArgumentError(absl::StrCat("wsstream: message for unknown channel ",
                                                   channel, " (", channels, " channels)"));
  }
  out.channel = channel;
  if (encoding == Encoding::kBinary) {
    out.payload.assign(message.substr(1));
  } else {
    VK_ASSIGN_OR_RETURN(out.payload, Base64Decode(message.substr(1)));
  }
  return out;
}

uint8_t ReadyChannel(bool with_stdout, bool with_stderr) {
  if (with_stdout) return kStdoutChannel;
  if (with_stderr) return kStderrChannel;
  return kErrorChannel;
}

// ---- base64 -----------------------------------------------------------------------

std::string Base64Encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(data[k])); };
  for (; i + 3 <= data.size(); i += 3) {
    const uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out.push_back(kBase64Alphabet[v >> 18]);
    out.push_back(kBase64Alphabet[(v >> 12) & 63]);
    out.push_back(kBase64Alphabet[(v >> 6) & 63]);
    out.push_back(kBase64Alphabet[v & 63]);
  }
  if (data.size() - i == 1) {
    const uint32_t v = byte(i) << 16;
    out.push_back(kBase64Alphabet[v >> 18]);
    out.push_back(kBase64Alphabet[(v >> 12) & 63]);
    out += "==";
  } else if (data.size() - i == 2) {
    const uint32_t v = byte(i) << 16 | byte(i + 1) << 8;
    out.push_back(kBase64Alphabet[v >> 18]);
    out.push_back(kBase64Alphabet[(v >> 12) & 63]);
    out.push_back(kBase64Alphabet[(v >> 6) & 63]);
    out.push_back('=');
  }
  return out;
}

absl::StatusOr<std::string> Base64Decode(std::string_view text) {
  std::string clean;
  clean.reserve(text.size());
  for (char c : text) {
    if (c != '\r' && c != '\n') clean.push_back(c);
  }
  if (clean.size() % 4 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("wsstream: bad base64 payload: length ", clean.size(),
                     " is not a multiple of 4"));
  }
  std::string out;
  out.reserve(clean.size() / 4 * 3);
  for (size_t i = 0; i < clean.size(); i += 4) {
    const bool last = i + 4 == clean.size();
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = clean[i + k];
      if (c == '=' && last && k >= 2) {
        v[k] = 0;
        ++pad;
        continue;
      }
      if (pad > 0 || (v[k] = Base64Value(c)) < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("wsstream: bad base64 payload at byte ", i + k));
      }
    }
    const uint32_t word = uint32_t(v[0]) << 18 | uint32_t(v[1]) << 12 | uint32_t(v[2]) << 6 |
                          uint32_t(v[3]);
    out.push_back(static_cast<char>(word >> 16));
    if (pad < 2) out.push_back(static_cast<char>((word >> 8) & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(word & 0xff));
  }
  return out;
}

// ---- port-forward -------------------------------------------------------------------

std::string PortPrefix(uint16_t port) {
  return std::string{static_cast<char>(port & 0xff), static_cast<char>(port >> 8)};
}

absl::StatusOr<std::vector<uint16_t>> ParsePortForwardPorts(
    std::span<const std::string> query_values) {
  if (query_values.empty()) {
    return absl::InvalidArgumentError("query parameter \"port\" is required");
  }
  std::vector<uint16_t> ports;
  for (const std::string& value : query_values) {
    if (value.empty()) {
      return absl::InvalidArgumentError("query parameter \"port\" cannot be empty");
    }
    size_t start = 0;
    while (start <= value.size()) {
      size_t comma = value.find(',', start);
      if (comma == std::string::npos) comma = value.size();
      const std::string_view item = std::string_view(value).substr(start, comma - start);
      uint32_t port = 0;
      bool ok = !item.empty();
      for (char c : item) {
        if (c < '0' || c > '9' || port > 65535) {
          ok = false;
          break;
        }
        port = port * 10 + static_cast<uint32_t>(c - '0');
      }
      if (!ok || port > 65535) {
        return absl::InvalidArgumentError(
            absl::StrCat("unable to parse \"", ToAbsl(item), "\" as a port"));
      }
      if (port == 0) {
        return absl::InvalidArgumentError(absl::StrCat("port \"", ToAbsl(item), "\" must be > 0"));
      }
      ports.push_back(static_cast<uint16_t>(port));
      start = comma + 1;
    }
  }
  if (ports.size() > kMaxPortForwardPorts) {
    return absl::InvalidArgumentError(absl::StrCat(
        "at most ", kMaxPortForwardPorts, " ports can be forwarded over one WebSocket"));
  }
  return ports;
}

absl::StatusOr<std::vector<std::string>> PortForwardOpeningMessages(
    Encoding encoding, std::span<const uint16_t> ports) {
  if (ports.size() > kMaxPortForwardPorts) {
    return absl::InvalidArgumentError("too many ports for one WebSocket");
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < ports.size(); ++i) {
    VK_ASSIGN_OR_RETURN(std::string data,
                        EncodeMessage(encoding, PortForwardDataChannel(i), PortPrefix(ports[i])));
    VK_ASSIGN_OR_RETURN(std::string error, EncodeMessage(encoding, PortForwardErrorChannel(i),
                                                         PortPrefix(ports[i])));
    out.push_back(std::move(data));
    out.push_back(std::move(error));
  }
  return out;
}

absl::StatusOr<PortForwardChannel> ClassifyPortForwardChannel(uint8_t channel,
                                                              size_t port_count) {
  if (channel / 2 >= port_count) {
    return absl::InvalidArgumentError(absl::StrCat("wsstream: channel ", channel,
                                                   " does not belong to any of ", port_count,
                                                   " forwarded ports"));
  }
  return PortForwardChannel{static_cast<size_t>(channel / 2), (channel % 2) == 1};
}

}  // namespace vkubelet::internal::wsstream
