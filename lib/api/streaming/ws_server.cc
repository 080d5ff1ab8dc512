// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "api/streaming/ws_server.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "vkubelet/internal/status_macros.h"
#include "vkubelet/log.h"

namespace vkubelet::api::internal {

namespace http = ::vkubelet::internal::http;
namespace wsstream = ::vkubelet::internal::wsstream;

namespace {
// Payload bytes per outgoing message (io.Copy's buffer size in Go clients).
constexpr size_t kMaxMessagePayload = 32 * 1024;
}  // namespace

http::WebSocketOptions StreamingWebSocketOptions(const StreamingOptions& options) {
  http::WebSocketOptions o;
  o.max_message_bytes = options.max_websocket_message_bytes;
  o.idle_timeout = options.stream_idle_timeout;
  o.keep_alive_pings = true;
  return o;
}

std::shared_ptr<http::WebSocketConnection> AcceptStreamingWebSocket(http::Response& response,
                                                                    const std::string& subprotocol,
                                                                    const StreamingOptions& options,
                                                                    const Context& log_ctx) {
  absl::StatusOr<std::shared_ptr<http::WebSocketConnection>> ws =
      response.AcceptWebSocket(subprotocol, StreamingWebSocketOptions(options));
  if (ws.ok()) return *std::move(ws);
  log::Info(log_ctx, "WebSocket upgrade failed", {{"err", ws.status()}});
  if (!response.started()) SendPlainError(response, 400, StatusText(ws.status()));
  return nullptr;
}

const wsstream::ChannelProtocol* NegotiateChannelProtocol(http::Response& response,
                                                          const std::vector<std::string>& offers,
                                                          wsstream::ProtocolUse use) {
  std::vector<std::string_view> names = wsstream::ProtocolNames(use);
  absl::StatusOr<std::string> chosen = wsstream::NegotiateSubprotocol(offers, names);
  if (!chosen.ok()) {
    SendPlainError(response, 403, StatusText(chosen.status()));
    return nullptr;
  }
  const wsstream::ChannelProtocol* protocol = wsstream::FindProtocol(use, *chosen);
  if (protocol == nullptr) SendPlainError(response, 403, absl::StrCat("unsupported subprotocol ", *chosen));
  return protocol;
}

WsChannelSession::WsChannelSession(std::shared_ptr<StreamingRuntime> rt,
                                   std::shared_ptr<http::WebSocketConnection> ws,
                                   const wsstream::ChannelProtocol& protocol, uint8_t channels,
                                   Context log_ctx, std::shared_ptr<void> scope)
    : rt_(std::move(rt)),
      protocol_(protocol),
      channels_(channels),
      log_ctx_(std::move(log_ctx)),
      ws_(std::move(ws)),
      scope_(std::move(scope)) {
  auto [ctx, cancel] = ws_->context().WithCancel();
  ctx_ = ctx;
  cancel_ = cancel;
  ++rt_->counters.active_sessions;
}

WsChannelSession::~WsChannelSession() {
  root_reg_.Reset();
  self_reg_.Reset();
  if (cancel_) cancel_();
  --rt_->counters.active_sessions;
}

void WsChannelSession::Start() {
  std::weak_ptr<WsChannelSession> weak = shared_from_this();
  self_reg_ = ctx_.OnCancel([weak] {
    if (auto s = weak.lock())
      s->Shutdown(absl::CancelledError("streaming session cancelled"), /*graceful=*/true);
  });
  CancelFn cancel = cancel_;
  root_reg_ = rt_->root.OnCancel([cancel] { cancel(); });
  // Channel modes must be in place before the first message is read.
  OnStarted();
  auto self = shared_from_this();
  ws_->Start([self](std::string data, bool binary) { self->OnMessage(std::move(data), binary); },
             [self](int code, const std::string& reason) {
               self->Shutdown(absl::CancelledError(absl::StrCat("WebSocket closed: ", code, " ", reason)),
                              /*graceful=*/false);
             });
}

void WsChannelSession::SetChannelMode(uint8_t channel, ChannelMode mode) { state_[channel].mode = mode; }

void WsChannelSession::Shutdown(absl::Status why, bool graceful, int code) {
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    closed_ = true;
    cv_.SignalAll();
  }
  log::Debug(log_ctx_, "Streaming session ended", {{"reason", why}});
  if (cancel_) cancel_();
  if (graceful) {
    ws_->Close(code, "");
  } else {
    ws_->Abort();
  }
  HandleClosed();
}

void WsChannelSession::OnMessage(std::string data, bool binary) {
  (void)binary;  // the protocol decides the encoding, as in Kubernetes
  absl::StatusOr<wsstream::DecodedMessage> m =
      wsstream::DecodeMessage(protocol_.encoding, data, channels_, protocol_.supports_close);
  if (!m.ok()) {
    if (protocol_.supports_close && !data.empty() &&
        static_cast<uint8_t>(data[0]) == wsstream::kCloseSignal) {
      log::Info(log_ctx_, "Closing a WebSocket stream after a malformed CLOSE message",
                {{"err", m.status()}});
      Shutdown(m.status(), /*graceful=*/true, 1002);
      return;
    }
    // Kubernetes skips empty messages, unknown channels and bad base64.
    log::Debug(log_ctx_, "Ignoring a WebSocket message", {{"err", m.status()}});
    return;
  }
  absl::MutexLock lock(&mu_);
  if (closed_) return;
  ChannelState& st = state_[m->channel];
  if (m->kind == wsstream::DecodedMessage::Kind::kClose) {
    st.eof = true;
    if (st.mode == ChannelMode::kCustom) HandleCustomData(m->channel, {});
    cv_.SignalAll();
    return;
  }
  switch (st.mode) {
    case ChannelMode::kIgnore:
      return;
    case ChannelMode::kCustom:
      HandleCustomData(m->channel, m->payload);
      return;
    case ChannelMode::kBuffer:
      if (st.eof || m->payload.empty()) return;
      st.in.Append(m->payload);
      StreamingCounters::RaiseTo(rt_->counters.max_buffered_bytes, st.in.size());
      if (!paused_ && st.in.size() >= rt_->options.read_buffer_bytes) {
        paused_ = true;
        ++rt_->counters.read_pauses;
        ws_->PauseReading();
      }
      cv_.SignalAll();
      return;
  }
}

void WsChannelSession::MaybeResumeLocked() {
  if (!paused_) return;
  const size_t low = rt_->options.read_buffer_bytes / 2;
  for (const ChannelState& st : state_) {
    if (st.in.size() > low) return;
  }
  paused_ = false;
  ws_->ResumeReading();
}

absl::StatusOr<size_t> WsChannelSession::ReadStream(uint32_t channel, char* buffer, size_t size) {
  if (channel >= channels_) return absl::InvalidArgumentError("no such channel");
  if (size == 0) return size_t{0};
  absl::MutexLock lock(&mu_);
  ChannelState& st = state_[channel];
  while (true) {
    if (!st.in.empty()) {
      const size_t n = st.in.Take(buffer, size);
      MaybeResumeLocked();
      return n;
    }
    if (st.eof) return size_t{0};
    if (closed_) return absl::CancelledError("streaming session closed");
    cv_.Wait(&mu_);
  }
}

bool WsChannelSession::SendMessage(uint8_t channel, std::string_view payload) {
  absl::StatusOr<std::string> msg = wsstream::EncodeMessage(protocol_.encoding, channel, payload);
  if (!msg.ok()) return false;
  return ws_->Send(*std::move(msg), protocol_.encoding == wsstream::Encoding::kBinary);
}

absl::Status WsChannelSession::WriteStream(uint32_t channel, std::string_view data) {
  if (channel >= channels_) return absl::InvalidArgumentError("no such channel");
  const size_t limit = std::max<size_t>(rt_->options.write_buffer_bytes, 1);
  while (!data.empty()) {
    {
      absl::MutexLock lock(&mu_);
      if (closed_) return absl::CancelledError("streaming session closed");
      if (state_[channel].write_closed) return absl::FailedPreconditionError("write after Close()");
    }
    const size_t n = std::min(data.size(), kMaxMessagePayload);
    if (!SendMessage(static_cast<uint8_t>(channel), data.substr(0, n))) {
      return absl::CancelledError("client gone");
    }
    data.remove_prefix(n);
    const size_t queued = ws_->QueuedBytes();
    StreamingCounters::RaiseTo(rt_->counters.max_queued_bytes, queued);
    if (queued >= limit) {
      ++rt_->counters.write_waits;
      absl::Status w = ws_->WaitWritable(ctx_, limit);
      if (!w.ok()) return absl::CancelledError(absl::StrCat("client gone: ", w.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status WsChannelSession::CloseStreamWrite(uint32_t channel) {
  if (channel >= channels_) return absl::InvalidArgumentError("no such channel");
  absl::MutexLock lock(&mu_);
  state_[channel].write_closed = true;
  return absl::OkStatus();
}

}  // namespace vkubelet::api::internal
