// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "api/streaming/port_forward.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "api/spdy/remotecommand.h"
#include "api/streaming/spdy_server.h"
#include "api/streaming/stream_io.h"
#include "api/streaming/transport.h"
#include "api/streaming/ws_server.h"
#include "api/wsstream/channel.h"
#include "api/wsstream/tunnel.h"
#include "vkubelet/log.h"

namespace vkubelet::api::internal {

namespace spdy = ::vkubelet::internal::spdy;
namespace wsstream = ::vkubelet::internal::wsstream;

namespace {

struct Target {
  std::string namespace_;
  std::string pod;
  std::string uid;
};

// ---- SPDY (raw or tunnelled) ----------------------------------------------------------

class SpdyPortForwardSession final : public SpdyServerSession {
 public:
  SpdyPortForwardSession(std::shared_ptr<StreamingRuntime> rt, std::unique_ptr<ByteTransport> transport,
                         bool raw_upgrade, Context log_ctx, std::shared_ptr<void> scope, Target target)
      : SpdyServerSession(std::move(rt), std::move(transport), raw_upgrade, std::move(log_ctx),
                          std::move(scope)),
        target_(std::move(target)) {}

 private:
  struct Pair {
    uint16_t port = 0;
    uint32_t data = 0;
    uint32_t error = 0;
    bool running = false;
    CancelFn cancel;
  };

  void HandleNewStream(const spdy::IncomingStream& s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) override {
    const spdy::StreamType type = spdy::StreamTypeOf(s.headers);
    if (type != spdy::StreamType::kData && type != spdy::StreamType::kError) {
      log::Info(log_ctx_, "Refusing a port-forward stream of unexpected type",
                {{"streamType", spdy::StreamTypeName(type)}});
      RefuseStream(s.stream_id, RstStatus::kRefusedStream);
      return;
    }
    absl::StatusOr<uint16_t> port = spdy::ParsePortHeader(s.headers);
    if (!port.ok()) {
      log::Info(log_ctx_, "Refusing a port-forward stream", {{"err", port.status()}});
      RefuseStream(s.stream_id, RstStatus::kRefusedStream);
      return;
    }
    const std::string id = spdy::PortForwardRequestId(s.headers, s.stream_id);
    auto it = pairs_.find(id);
    if (it == pairs_.end()) {
      if (pairs_.size() >= rt_->options.max_port_forward_connections) {
        log::Info(log_ctx_, "Refusing a port-forward stream: too many connections",
                  {{"limit", rt_->options.max_port_forward_connections}});
        RefuseStream(s.stream_id, RstStatus::kRefusedStream);
        return;
      }
      it = pairs_.emplace(id, Pair{}).first;
      const std::string key = id;
      ScheduleLocked(rt_->options.clock->Now() + rt_->options.stream_creation_timeout,
                     [this, key]() ABSL_NO_THREAD_SAFETY_ANALYSIS { OnPairTimeout(key); });
    }
    Pair& p = it->second;
    uint32_t& slot = type == spdy::StreamType::kData ? p.data : p.error;
    if (slot != 0 || p.running) {
      log::Info(log_ctx_, "Refusing a duplicate port-forward stream", {{"requestID", id}});
      RefuseStream(s.stream_id, RstStatus::kRefusedStream);
      return;
    }
    if (absl::Status st = AcceptStream(
            s.stream_id, type == spdy::StreamType::kData ? StreamMode::kBuffer : StreamMode::kDiscard);
        !st.ok()) {
      return;
    }
    slot = s.stream_id;
    by_stream_[s.stream_id] = id;
    if (type == spdy::StreamType::kData || p.port == 0) p.port = *port;
    if (p.data != 0 && p.error != 0) StartPairLocked(id, p);
  }

  void HandleStreamReset(uint32_t stream) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) override {
    auto bs = by_stream_.find(stream);
    if (bs == by_stream_.end()) return;
    auto it = pairs_.find(bs->second);
    if (it == pairs_.end()) return;
    Pair& p = it->second;
    if (p.running) {
      // The client gave up on the connection: stop the provider's copy.
      if (stream == p.data && p.cancel) Defer(p.cancel);
      return;
    }
    DropPairLocked(it->first);
  }

  void OnPairTimeout(const std::string& id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = pairs_.find(id);
    if (it == pairs_.end() || it->second.running) return;
    ++rt_->counters.creation_timeouts;
    log::Info(log_ctx_, "Timed out waiting for the second stream of a port-forward connection",
              {{"requestID", id}});
    bool told = false;
    if (it->second.error != 0) {
      // Like the kubelet: the reason on the error stream, which then ends.
      told = session_
                 .SendData(it->second.error, absl::StrCat("(request=", id, ") timed out waiting for streams"),
                           /*fin=*/true)
                 .ok();
    }
    DropPairLocked(id, /*reset_error=*/!told);
  }

  // Forgets a pair that never ran; its streams are reset (the error stream
  // only with `reset_error`).
  void DropPairLocked(const std::string& id, bool reset_error = true) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = pairs_.find(id);
    if (it == pairs_.end()) return;
    for (uint32_t s : {it->second.data, it->second.error}) {
      if (s == 0) continue;
      by_stream_.erase(s);
      ReleaseStream(s);
      if (s == it->second.error && !reset_error) continue;
      if (session_.IsStreamOpen(s)) session_.Reset(s, RstStatus::kCancel).IgnoreError();
    }
    pairs_.erase(it);
    FlushLocked();
  }

  void StartPairLocked(const std::string& id, Pair& p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    p.running = true;
    auto [ctx, cancel] = context().WithCancel();
    p.cancel = cancel;
    ++rt_->counters.port_forward_connections;
    auto self = std::static_pointer_cast<SpdyPortForwardSession>(shared_from_this());
    const Context call_ctx = ctx.WithFields({{"pod", target_.namespace_ + "/" + target_.pod},
                                             {"port", std::to_string(p.port)},
                                             {"requestID", id}});
    rt_->threads.Spawn([self, id, port = p.port, data = p.data, error = p.error, call_ctx, cancel] {
      self->RunPair(id, port, data, error, call_ctx);
      cancel();
    });
  }

  void RunPair(const std::string& id, uint16_t port, uint32_t data, uint32_t error, const Context& ctx) {
    EndpointDuplex stream(this, data);
    PortForwardRequest req;
    req.namespace_ = target_.namespace_;
    req.pod = target_.pod;
    req.port = port;
    const absl::Status st = rt_->port_forward->PortForward(ctx, req, stream);
    if (!st.ok() && !ctx.Done()) {
      log::Info(ctx, "port-forward failed", {{"err", st}});
      const std::string msg = spdy::PortForwardErrorMessage(port, target_.pod, target_.uid, StatusText(st));
      WriteStream(error, msg).IgnoreError();
    }
    CloseStreamWrite(data).IgnoreError();
    CloseStreamWrite(error).IgnoreError();
    WithLock([&]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
      by_stream_.erase(data);
      by_stream_.erase(error);
      ReleaseStream(data);
      ReleaseStream(error);
      pairs_.erase(id);
    });
  }

  const Target target_;
  absl::flat_hash_map<std::string, Pair> pairs_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint32_t, std::string> by_stream_ ABSL_GUARDED_BY(mu_);
};

// ---- WebSocket v4 channels ------------------------------------------------------------

class WsPortForwardSession final : public WsChannelSession {
 public:
  WsPortForwardSession(std::shared_ptr<StreamingRuntime> rt, std::shared_ptr<http::WebSocketConnection> ws,
                       const wsstream::ChannelProtocol& protocol, Context log_ctx,
                       std::shared_ptr<void> scope, Target target, std::vector<uint16_t> ports)
      : WsChannelSession(std::move(rt), std::move(ws), protocol, static_cast<uint8_t>(2 * ports.size()),
                         std::move(log_ctx), std::move(scope)),
        target_(std::move(target)),
        ports_(std::move(ports)),
        remaining_(ports_.size()) {}

 private:
  void OnStarted() override {
    {
      absl::MutexLock lock(&mu_);
      for (size_t i = 0; i < ports_.size(); ++i) {
        SetChannelMode(wsstream::PortForwardDataChannel(i), ChannelMode::kBuffer);
      }
    }
    for (size_t i = 0; i < ports_.size(); ++i) {
      const std::string prefix = wsstream::PortPrefix(ports_[i]);
      SendMessage(wsstream::PortForwardDataChannel(i), prefix);
      SendMessage(wsstream::PortForwardErrorChannel(i), prefix);
    }
    auto self = std::static_pointer_cast<WsPortForwardSession>(shared_from_this());
    for (size_t i = 0; i < ports_.size(); ++i) {
      ++rt_->counters.port_forward_connections;
      rt_->threads.Spawn([self, i] { self->RunPort(i); });
    }
  }

  void RunPort(size_t i) {
    const uint16_t port = ports_[i];
    const Context ctx = context().WithFields(
        {{"pod", target_.namespace_ + "/" + target_.pod}, {"port", std::to_string(port)}});
    EndpointDuplex stream(this, wsstream::PortForwardDataChannel(i));
    PortForwardRequest req;
    req.namespace_ = target_.namespace_;
    req.pod = target_.pod;
    req.port = port;
    const absl::Status st = rt_->port_forward->PortForward(ctx, req, stream);
    if (!st.ok() && !ctx.Done()) {
      log::Info(ctx, "port-forward failed", {{"err", st}});
      WriteStream(wsstream::PortForwardErrorChannel(i),
                  spdy::PortForwardErrorMessage(port, target_.pod, target_.uid, StatusText(st)))
          .IgnoreError();
    }
    bool last = false;
    {
      absl::MutexLock lock(&mu_);
      last = --remaining_ == 0;
    }
    if (last) Shutdown(absl::OkStatus(), /*graceful=*/true);
  }

  const Target target_;
  const std::vector<uint16_t> ports_;
  size_t remaining_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

void ServePortForward(const std::shared_ptr<StreamingRuntime>& rt, RouteRequest& r) {
  const http::Request& req = *r.http;
  http::Response& resp = *r.response;
  if (rt->port_forward == nullptr) {
    SendPlainError(resp, 501, "portForward is not implemented by the provider");
    return;
  }
  Target target{r.Var("namespace"), r.Var("pod"), r.Var("uid")};
  const Context log_ctx = r.ctx.WithFields({{"pod", target.namespace_ + "/" + target.pod}});
  static constexpr std::string_view kSpdyProtocols[] = {spdy::kPortForwardProtocolV1};

  if (req.IsUpgrade("websocket")) {
    std::vector<std::string> offers =
        wsstream::ParseSubprotocols(req.headers.GetAll("Sec-WebSocket-Protocol"));
    if (std::optional<std::string> tunnel = wsstream::SelectTunnelProtocol(offers, kSpdyProtocols)) {
      std::shared_ptr<http::WebSocketConnection> ws = AcceptStreamingWebSocket(resp, *tunnel, rt->options, log_ctx);
      if (ws == nullptr) return;
      ++rt->counters.tunnel_port_forward_sessions;
      auto session =
          std::make_shared<SpdyPortForwardSession>(rt, NewWebSocketTunnelTransport(ws),
                                                   /*raw_upgrade=*/false, log_ctx, r.scope, target);
      session->Start();
      return;
    }
    const wsstream::ChannelProtocol* protocol =
        NegotiateChannelProtocol(resp, offers, wsstream::ProtocolUse::kPortForward);
    if (protocol == nullptr) return;
    absl::StatusOr<std::vector<uint16_t>> ports = wsstream::ParsePortForwardPorts(req.QueryValues("port"));
    if (!ports.ok()) {
      SendPlainError(resp, 400, StatusText(ports.status()));
      return;
    }
    std::shared_ptr<http::WebSocketConnection> ws =
        AcceptStreamingWebSocket(resp, std::string(protocol->name), rt->options, log_ctx);
    if (ws == nullptr) return;
    ++rt->counters.websocket_port_forward_sessions;
    auto session = std::make_shared<WsPortForwardSession>(rt, ws, *protocol, log_ctx, r.scope, target,
                                                          *std::move(ports));
    session->Start();
    return;
  }

  if (req.IsUpgrade("SPDY/3.1")) {
    spdy::HandshakeResult hs =
        spdy::NegotiateStreamProtocol(req.headers.GetAll(spdy::kProtocolVersionHeader), kSpdyProtocols);
    http::Headers h;
    for (auto& [k, v] : hs.headers) h.Add(k, v);
    if (hs.http_status != 0) {
      SendPlainError(resp, hs.http_status, hs.body, h);
      return;
    }
    absl::StatusOr<std::shared_ptr<http::Connection>> conn = resp.Upgrade(h);
    if (!conn.ok()) {
      log::Info(log_ctx, "SPDY upgrade failed", {{"err", conn.status()}});
      return;
    }
    ++rt->counters.spdy_port_forward_sessions;
    auto session = std::make_shared<SpdyPortForwardSession>(rt, NewRawTransport(*conn), /*raw_upgrade=*/true,
                                                            log_ctx, r.scope, target);
    session->Start();
    return;
  }
  SendPlainError(resp, 400, "unable to upgrade: missing upgrade headers in request");
}

}  // namespace vkubelet::api::internal
