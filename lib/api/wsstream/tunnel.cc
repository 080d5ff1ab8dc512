// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "api/wsstream/tunnel.h"

#include <algorithm>

#include "api/wsstream/channel.h"

namespace vkubelet::internal::wsstream {

std::optional<std::string> SelectTunnelProtocol(std::span<const std::string> client_offers,
                                                std::span<const std::string_view> spdy_protocols) {
  for (const std::string& offer : client_offers) {
    if (offer.rfind(kSpdyTunnelPrefix, 0) != 0) continue;
    const std::string_view inner = std::string_view(offer).substr(kSpdyTunnelPrefix.size());
    if (std::find(spdy_protocols.begin(), spdy_protocols.end(), inner) != spdy_protocols.end()) {
      return offer;
    }
  }
  return std::nullopt;
}

SpdyWebSocketTunnel::SpdyWebSocketTunnel(spdy::SpdySession* session, size_t max_message_size)
    : session_(session), max_message_size_(max_message_size) {}

absl::Status SpdyWebSocketTunnel::OnMessage(bool binary, std::string_view payload) {
  if (!binary) {
    return absl::InvalidArgumentError(
        "wsstream: text message in a SPDY tunnel (only binary messages carry SPDY)");
  }
  return session_->Feed(payload);
}

absl::Status SpdyWebSocketTunnel::OnClose(bool normal_closure) {
  absl::Status s = session_->FinishInput();
  if (s.ok() && !normal_closure) {
    return absl::UnavailableError("wsstream: SPDY tunnel WebSocket closed abnormally");
  }
  return s;
}

std::vector<std::string> SpdyWebSocketTunnel::TakeMessages() {
  std::string out = session_->TakeOutput();
  std::vector<std::string> messages;
  if (out.empty()) return messages;
  if (max_message_size_ == 0 || out.size() <= max_message_size_) {
    messages.push_back(std::move(out));
    return messages;
  }
  for (size_t pos = 0; pos < out.size(); pos += max_message_size_) {
    messages.push_back(out.substr(pos, max_message_size_));
  }
  return messages;
}

}  // namespace vkubelet::internal::wsstream
