// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// WsChannelSession: a WebSocket speaking one of Kubernetes' channel
// protocols (api/wsstream/channel.h), with the blocking per-channel
// Read/Write that providers use. Subclasses (exec/attach, port-forward)
// decide what each channel means. Private to the library.
//
// Threading and backpressure as in SpdyServerSession: one mutex for the
// channel state; provider writes become messages of at most 32 KiB and then
// wait while more than options.write_buffer_bytes are queued; a channel
// holding options.read_buffer_bytes unread bytes pauses reading. Idle
// connections are the WebSocket layer's business (pings every half
// stream_idle_timeout, closed when the peer stops answering).

#ifndef VKUBELET_LIB_API_STREAMING_WS_SERVER_H_
#define VKUBELET_LIB_API_STREAMING_WS_SERVER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "api/streaming/runtime_state.h"
#include "api/streaming/stream_io.h"
#include "api/wsstream/channel.h"
#include "internal/http/types.h"
#include "vkubelet/context.h"

namespace vkubelet::api::internal {

class WsChannelSession : public StreamEndpoint, public std::enable_shared_from_this<WsChannelSession> {
 public:
  WsChannelSession(std::shared_ptr<StreamingRuntime> rt,
                   std::shared_ptr<::vkubelet::internal::http::WebSocketConnection> ws,
                   const ::vkubelet::internal::wsstream::ChannelProtocol& protocol, uint8_t channels,
                   Context log_ctx, std::shared_ptr<void> scope);
  ~WsChannelSession() override;
  WsChannelSession(const WsChannelSession&) = delete;
  WsChannelSession& operator=(const WsChannelSession&) = delete;

  // OnStarted(), then starts reading. Call once, right after creation.
  void Start();

  absl::StatusOr<size_t> ReadStream(uint32_t channel, char* buffer, size_t size) override;
  absl::Status WriteStream(uint32_t channel, std::string_view data) override;
  absl::Status CloseStreamWrite(uint32_t channel) override;
  // One message on `channel` as is (possibly empty), without waiting.
  bool SendMessage(uint8_t channel, std::string_view payload);

  // Ends the session (idempotent): graceful = close frame 1000 after the
  // queued messages; else abort.
  void Shutdown(absl::Status why, bool graceful, int code = 1000);
  const Context& context() const { return ctx_; }

 protected:
  enum class ChannelMode { kIgnore, kBuffer, kCustom };
  // Called from Start() before reading begins (no lock held): set channel
  // modes, queue opening messages, start provider threads.
  virtual void OnStarted() {}
  // Bytes of a kCustom channel (mu_ held).
  virtual void HandleCustomData(uint8_t channel, std::string_view data) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    (void)channel, (void)data;
  }
  // After the session ended; no lock held.
  virtual void HandleClosed() {}
  void SetChannelMode(uint8_t channel, ChannelMode mode) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::shared_ptr<StreamingRuntime> rt_;
  const ::vkubelet::internal::wsstream::ChannelProtocol protocol_;
  const uint8_t channels_;
  const Context log_ctx_;
  mutable absl::Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;

 private:
  struct ChannelState {
    ChannelMode mode = ChannelMode::kIgnore;
    InboundBuffer in;
    bool eof = false;
    bool write_closed = false;
  };
  void OnMessage(std::string data, bool binary);
  void MaybeResumeLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::shared_ptr<::vkubelet::internal::http::WebSocketConnection> ws_;
  Context ctx_ = Context::Background();
  CancelFn cancel_;
  CancelRegistration root_reg_;
  CancelRegistration self_reg_;
  std::shared_ptr<void> scope_;
  absl::CondVar cv_;
  std::array<ChannelState, 256> state_ ABSL_GUARDED_BY(mu_);
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
};

// WebSocket options of the streaming sessions.
::vkubelet::internal::http::WebSocketOptions StreamingWebSocketOptions(const StreamingOptions& options);

// Accepts the WebSocket upgrade of `response` with `subprotocol`; when that
// fails, logs it, answers 400 (if nothing was sent yet) and returns null.
std::shared_ptr<::vkubelet::internal::http::WebSocketConnection> AcceptStreamingWebSocket(
    ::vkubelet::internal::http::Response& response, const std::string& subprotocol,
    const StreamingOptions& options, const Context& log_ctx);

// Picks the channel protocol of `use` the client prefers among `offers`;
// answers 403 and returns null when none is acceptable.
const ::vkubelet::internal::wsstream::ChannelProtocol* NegotiateChannelProtocol(
    ::vkubelet::internal::http::Response& response, const std::vector<std::string>& offers,
    ::vkubelet::internal::wsstream::ProtocolUse use);

}  // namespace vkubelet::api::internal

#endif  // VKUBELET_LIB_API_STREAMING_WS_SERVER_H_
