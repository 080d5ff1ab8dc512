// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "api/streaming/remote_command.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/spdy/remotecommand.h"
#include "api/streaming/spdy_server.h"
#include "api/streaming/stream_io.h"
#include "api/streaming/transport.h"
#include "api/streaming/ws_server.h"
#include "api/wsstream/channel.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/internal/status_macros.h"
#include "vkubelet/log.h"

namespace vkubelet::api::internal {

namespace spdy = ::vkubelet::internal::spdy;
namespace wsstream = ::vkubelet::internal::wsstream;
using ::vkubelet::internal::ToAbsl;

namespace {

// Runs the provider's exec or attach for `params` on `io`.
absl::Status CallProvider(StreamingRuntime& rt, const Context& ctx, const RemoteCommandParams& params,
                          bool exec, AttachIO& io) {
  if (exec) {
    ExecRequest req;
    req.namespace_ = params.namespace_;
    req.pod = params.pod;
    req.container = params.container;
    req.command = params.command;
    return rt.exec->RunInContainer(ctx, req, io);
  }
  AttachRequest req;
  req.namespace_ = params.namespace_;
  req.pod = params.pod;
  req.container = params.container;
  return rt.exec->AttachToContainer(ctx, req, io);
}

void LogResult(const Context& ctx, bool exec, const absl::Status& st) {
  if (st.ok() || errdefs::GetExitCode(st).has_value()) return;
  log::Info(ctx, exec ? "exec in container failed" : "attach to container failed", {{"err", st}});
}

// ---- SPDY -----------------------------------------------------------------------------

class SpdyRemoteCommandSession final : public SpdyServerSession {
 public:
  SpdyRemoteCommandSession(std::shared_ptr<StreamingRuntime> rt, std::unique_ptr<ByteTransport> transport,
                           Context log_ctx, std::shared_ptr<void> scope, RemoteCommandParams params,
                           int version, bool exec)
      : SpdyServerSession(std::move(rt), std::move(transport), /*raw_upgrade=*/true, std::move(log_ctx),
                          std::move(scope)),
        params_(std::move(params)),
        version_(version),
        exec_(exec),
        resizes_(rt_->options.max_pending_resizes) {
    if (!params_.tty) resizes_.Close();
  }

  // Arms the stream creation timeout; call after Start().
  void ArmCreationTimeout() {
    if (rt_->options.stream_creation_timeout == absl::InfiniteDuration()) return;
    WithLock([&]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
      ScheduleLocked(rt_->options.clock->Now() + rt_->options.stream_creation_timeout,
                     [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { OnCreationTimeout(); });
    });
  }

 private:
  bool NeedResize() const { return params_.tty && spdy::SupportsResize(version_); }

  void HandleNewStream(const spdy::IncomingStream& s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) override {
    const spdy::StreamType type = spdy::StreamTypeOf(s.headers);
    uint32_t* slot = nullptr;
    bool wanted = false;
    StreamMode mode = StreamMode::kBuffer;
    switch (type) {
      case spdy::StreamType::kError:
        slot = &error_id_;
        wanted = true;
        mode = StreamMode::kDiscard;
        break;
      case spdy::StreamType::kStdin:
        slot = &stdin_id_;
        wanted = params_.with_stdin;
        mode = StreamMode::kBuffer;
        break;
      case spdy::StreamType::kStdout:
        slot = &stdout_id_;
        wanted = params_.with_stdout;
        mode = StreamMode::kDiscard;
        break;
      case spdy::StreamType::kStderr:
        slot = &stderr_id_;
        wanted = params_.with_stderr;
        mode = StreamMode::kDiscard;
        break;
      case spdy::StreamType::kResize:
        slot = &resize_id_;
        wanted = NeedResize();
        mode = StreamMode::kCustom;
        break;
      default:
        break;
    }
    if (slot == nullptr || !wanted || *slot != 0 || provider_started_) {
      log::Info(log_ctx_, "Refusing an unexpected stream",
                {{"streamType", spdy::StreamTypeName(type)}, {"stream", s.stream_id}});
      RefuseStream(s.stream_id, RstStatus::kRefusedStream);
      return;
    }
    if (absl::Status st = AcceptStream(s.stream_id, mode); !st.ok()) {
      log::Info(log_ctx_, "Cannot accept a stream", {{"err", st}});
      return;
    }
    *slot = s.stream_id;
    const bool complete = error_id_ != 0 && (!params_.with_stdin || stdin_id_ != 0) &&
                          (!params_.with_stdout || stdout_id_ != 0) &&
                          (!params_.with_stderr || stderr_id_ != 0) && (!NeedResize() || resize_id_ != 0);
    if (complete) StartProviderLocked();
  }

  void HandleCustomData(uint32_t stream, std::string_view data, bool fin)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) override {
    if (stream != resize_id_ || resize_failed_) return;
    std::vector<spdy::TerminalSize> sizes;
    absl::Status st = resize_decoder_.Feed(data, &sizes);
    for (const spdy::TerminalSize& t : sizes) resizes_.Push(TermSize{t.width, t.height});
    if (!st.ok()) {
      // Like the kubelet: stop listening to resizes after a bad one.
      resize_failed_ = true;
      log::Info(log_ctx_, "Ignoring further terminal resizes", {{"err", st}});
    }
    if (fin) resizes_.Close();
  }

  void HandleClosed() override { resizes_.Close(); }

  void OnCreationTimeout() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (provider_started_) return;
    ++rt_->counters.creation_timeouts;
    log::Info(log_ctx_, "Timed out waiting for the client to create streams",
              {{"timeout", rt_->options.stream_creation_timeout}});
    if (error_id_ != 0) {
      // Tell the client why before closing (the kubelet only closes).
      const std::string payload = spdy::ErrorStreamPayload(
          version_, spdy::ExecResult{0, "timed out waiting for client to create streams"});
      session_.SendData(error_id_, payload, /*fin=*/true).IgnoreError();
      FlushLocked();
    }
    std::weak_ptr<SpdyServerSession> weak = weak_from_this();
    Defer([weak] {
      if (auto self = weak.lock()) {
        self->Shutdown(absl::DeadlineExceededError("timed out waiting for client to create streams"),
                       /*graceful=*/true);
      }
    });
  }

  void StartProviderLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    provider_started_ = true;
    auto self = std::static_pointer_cast<SpdyRemoteCommandSession>(shared_from_this());
    rt_->threads.Spawn([self] { self->RunProvider(); });
  }

  void RunProvider() {
    EndpointReader in(this, stdin_id_);
    EndpointWriter out(this, stdout_id_);
    EndpointWriter err(this, stderr_id_);
    SessionAttachIO io(params_.with_stdin ? &in : nullptr, params_.with_stdout ? &out : nullptr,
                       params_.with_stderr ? &err : nullptr, params_.tty, &resizes_, context());
    const Context ctx = context().WithFields(
        {{"pod", params_.namespace_ + "/" + params_.pod}, {"container", params_.container}});
    const absl::Status st = CallProvider(*rt_, ctx, params_, exec_, io);
    LogResult(ctx, exec_, st);
    if (context().Done()) {
      Shutdown(absl::CancelledError("session ended before the command"), /*graceful=*/false);
      return;
    }
    if (params_.with_stdout) CloseStreamWrite(stdout_id_).IgnoreError();
    if (params_.with_stderr) CloseStreamWrite(stderr_id_).IgnoreError();
    const std::string payload = spdy::ErrorStreamPayload(version_, ExecResultOf(st));
    if (!payload.empty()) WriteStream(error_id_, payload).IgnoreError();
    CloseStreamWrite(error_id_).IgnoreError();
    Shutdown(absl::OkStatus(), /*graceful=*/true);
  }

  const RemoteCommandParams params_;
  const int version_;
  const bool exec_;
  ResizeQueue resizes_;
  bool provider_started_ ABSL_GUARDED_BY(mu_) = false;
  // Set once under mu_ before the provider starts; read-only afterwards.
  uint32_t error_id_ = 0;
  uint32_t stdin_id_ = 0;
  uint32_t stdout_id_ = 0;
  uint32_t stderr_id_ = 0;
  uint32_t resize_id_ = 0;
  spdy::TerminalSizeDecoder resize_decoder_ ABSL_GUARDED_BY(mu_);
  bool resize_failed_ ABSL_GUARDED_BY(mu_) = false;
};

// ---- WebSocket ----------------------------------------------------------------------------

class WsRemoteCommandSession final : public WsChannelSession {
 public:
  WsRemoteCommandSession(std::shared_ptr<StreamingRuntime> rt, std::shared_ptr<http::WebSocketConnection> ws,
                         const wsstream::ChannelProtocol& protocol, Context log_ctx,
                         std::shared_ptr<void> scope, RemoteCommandParams params, bool exec)
      : WsChannelSession(std::move(rt), std::move(ws), protocol, wsstream::kRemoteCommandChannels,
                         std::move(log_ctx), std::move(scope)),
        params_(std::move(params)),
        exec_(exec),
        resizes_(rt_->options.max_pending_resizes) {
    if (!params_.tty) resizes_.Close();
  }

 private:
  void OnStarted() override {
    {
      absl::MutexLock lock(&mu_);
      if (params_.with_stdin) SetChannelMode(wsstream::kStdinChannel, ChannelMode::kBuffer);
      if (params_.tty) SetChannelMode(wsstream::kResizeChannel, ChannelMode::kCustom);
    }
    // The empty "ready" message, as the kubelet sends it.
    SendMessage(wsstream::ReadyChannel(params_.with_stdout, params_.with_stderr), "");
    auto self = std::static_pointer_cast<WsRemoteCommandSession>(shared_from_this());
    rt_->threads.Spawn([self] { self->RunProvider(); });
  }

  void HandleCustomData(uint8_t channel, std::string_view data) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) override {
    if (channel != wsstream::kResizeChannel || resize_failed_) return;
    if (data.empty()) {  // CLOSE of the resize channel
      resizes_.Close();
      return;
    }
    std::vector<spdy::TerminalSize> sizes;
    absl::Status st = resize_decoder_.Feed(data, &sizes);
    for (const spdy::TerminalSize& t : sizes) resizes_.Push(TermSize{t.width, t.height});
    if (!st.ok()) {
      resize_failed_ = true;
      log::Info(log_ctx_, "Ignoring further terminal resizes", {{"err", st}});
    }
  }

  void HandleClosed() override { resizes_.Close(); }

  void RunProvider() {
    EndpointReader in(this, wsstream::kStdinChannel);
    EndpointWriter out(this, wsstream::kStdoutChannel);
    EndpointWriter err(this, wsstream::kStderrChannel);
    SessionAttachIO io(params_.with_stdin ? &in : nullptr, params_.with_stdout ? &out : nullptr,
                       params_.with_stderr ? &err : nullptr, params_.tty, &resizes_, context());
    const Context ctx = context().WithFields(
        {{"pod", params_.namespace_ + "/" + params_.pod}, {"container", params_.container}});
    const absl::Status st = CallProvider(*rt_, ctx, params_, exec_, io);
    LogResult(ctx, exec_, st);
    if (context().Done()) {
      Shutdown(absl::CancelledError("session ended before the command"), /*graceful=*/false);
      return;
    }
    const std::string payload = spdy::ErrorStreamPayload(protocol_.version, ExecResultOf(st));
    if (!payload.empty()) WriteStream(wsstream::kErrorChannel, payload).IgnoreError();
    Shutdown(absl::OkStatus(), /*graceful=*/true);
  }

  const RemoteCommandParams params_;
  const bool exec_;
  ResizeQueue resizes_;
  spdy::TerminalSizeDecoder resize_decoder_ ABSL_GUARDED_BY(mu_);
  bool resize_failed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

void ServeRemoteCommand(const std::shared_ptr<StreamingRuntime>& rt, RouteRequest& r, bool exec) {
  const http::Request& req = *r.http;
  http::Response& resp = *r.response;
  if (rt->exec == nullptr) {
    SendPlainError(resp, 501, absl::StrCat(exec ? "exec" : "attach", " is not implemented by the provider"));
    return;
  }
  absl::StatusOr<RemoteCommandParams> params =
      ParseRemoteCommandParams(req, r.Var("namespace"), r.Var("pod"), r.Var("uid"), r.Var("container"), exec);
  if (!params.ok()) {
    SendPlainError(resp, errdefs::HttpStatusCode(params.status()), StatusText(params.status()));
    return;
  }
  const Context log_ctx =
      r.ctx.WithFields({{"pod", params->namespace_ + "/" + params->pod}, {"container", params->container}});

  if (req.IsUpgrade("websocket")) {
    std::vector<std::string> offers =
        wsstream::ParseSubprotocols(req.headers.GetAll("Sec-WebSocket-Protocol"));
    const wsstream::ChannelProtocol* protocol =
        NegotiateChannelProtocol(resp, offers, wsstream::ProtocolUse::kRemoteCommand);
    if (protocol == nullptr) return;
    std::shared_ptr<http::WebSocketConnection> ws =
        AcceptStreamingWebSocket(resp, std::string(protocol->name), rt->options, log_ctx);
    if (ws == nullptr) return;
    ++rt->counters.websocket_exec_sessions;
    auto session =
        std::make_shared<WsRemoteCommandSession>(rt, ws, *protocol, log_ctx, r.scope, *params, exec);
    session->Start();
    return;
  }

  if (req.IsUpgrade("SPDY/3.1")) {
    spdy::HandshakeResult hs = spdy::NegotiateStreamProtocol(req.headers.GetAll(spdy::kProtocolVersionHeader),
                                                             spdy::ServerRemoteCommandProtocols());
    if (hs.http_status != 0) {
      http::Headers h;
      for (auto& [k, v] : hs.headers) h.Add(k, v);
      SendPlainError(resp, hs.http_status, hs.body, h);
      return;
    }
    http::Headers h;
    for (auto& [k, v] : hs.headers) h.Add(k, v);
    absl::StatusOr<std::shared_ptr<http::Connection>> conn = resp.Upgrade(h);
    if (!conn.ok()) {
      log::Info(log_ctx, "SPDY upgrade failed", {{"err", conn.status()}});
      return;
    }
    ++rt->counters.spdy_exec_sessions;
    auto session = std::make_shared<SpdyRemoteCommandSession>(
        rt, NewRawTransport(*conn), log_ctx, r.scope, *params, spdy::RemoteCommandVersion(hs.protocol), exec);
    session->Start();
    session->ArmCreationTimeout();
    return;
  }
  SendPlainError(resp, 400, "unable to upgrade: missing upgrade headers in request");
}

}  // namespace vkubelet::api::internal
