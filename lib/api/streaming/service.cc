// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "api/streaming/service.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "api/spdy/remotecommand.h"
#include "api/streaming/port_forward.h"
#include "api/streaming/remote_command.h"
#include "api/streaming/stream_io.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/log.h"

namespace vkubelet::api::internal {

namespace spdy = ::vkubelet::internal::spdy;

namespace {

// stdout and stderr of a /run command, into one bounded buffer.
class CaptureWriter : public ByteWriter {
 public:
  struct Shared {
    absl::Mutex mu;
    std::string out ABSL_GUARDED_BY(mu);
    bool overflow ABSL_GUARDED_BY(mu) = false;
    size_t limit = 0;
  };
  explicit CaptureWriter(Shared* s) : s_(s) {}
  absl::Status Write(std::string_view data) override {
    absl::MutexLock lock(&s_->mu);
    if (s_->out.size() + data.size() > s_->limit) {
      s_->overflow = true;
      return absl::ResourceExhaustedError("command output exceeds the /run limit");
    }
    s_->out.append(data);
    return absl::OkStatus();
  }

 private:
  Shared* s_;
};

class RunIO : public AttachIO {
 public:
  RunIO(ByteWriter* out, ByteWriter* err) : out_(out), err_(err) {}
  ByteReader* Stdin() override { return nullptr; }
  ByteWriter* Stdout() override { return out_; }
  ByteWriter* Stderr() override { return err_; }
  bool Tty() const override { return false; }
  std::optional<TermSize> NextResize(const Context&) override { return std::nullopt; }

 private:
  ByteWriter* out_;
  ByteWriter* err_;
};

}  // namespace

StreamingService::StreamingService(const StreamingDeps& deps, StreamingOptions options)
    : runtime_(std::make_shared<StreamingRuntime>(std::move(options), deps.provider, deps.exec,
                                                  deps.port_forward)) {}

StreamingService::~StreamingService() {
  runtime_->cancel_root();
  if (!runtime_->threads.WaitAll(runtime_->options.shutdown_grace)) {
    log::Warning(Context::Background(),
                 "Provider streaming calls did not return after cancellation; leaving them",
                 {{"running", runtime_->threads.running()}});
  }
}

void StreamingService::ServeExec(RouteRequest& r) { ServeRemoteCommand(runtime_, r, /*exec=*/true); }
void StreamingService::ServeAttach(RouteRequest& r) { ServeRemoteCommand(runtime_, r, /*exec=*/false); }
void StreamingService::ServePortForward(RouteRequest& r) { internal::ServePortForward(runtime_, r); }

void StreamingService::ServeRun(RouteRequest& r) {
  if (runtime_->exec == nullptr) {
    SendPlainError(*r.response, 501, "run is not implemented by the provider");
    return;
  }
  std::vector<std::string> cmd = absl::StrSplit(r.http->Query("cmd"), ' ', absl::SkipEmpty());
  if (cmd.empty()) {
    SendPlainError(*r.response, 400, "you must specify a command in the cmd query parameter");
    return;
  }
  ExecRequest req;
  req.namespace_ = r.Var("namespace");
  req.pod = r.Var("pod");
  req.container = r.Var("container");
  req.command = std::move(cmd);
  // The command runs on a provider thread; the response is answered from it.
  std::shared_ptr<StreamingRuntime> rt = runtime_;
  rt->threads.Spawn([rt, req = std::move(req), resp = r.response, ctx = r.ctx, scope = r.scope] {
    CaptureWriter::Shared shared;
    shared.limit = rt->options.max_run_output_bytes;
    CaptureWriter out(&shared);
    CaptureWriter err(&shared);
    RunIO io(&out, &err);
    const Context call_ctx =
        ctx.WithFields({{"pod", req.namespace_ + "/" + req.pod}, {"container", req.container}});
    absl::Status st = rt->exec->RunInContainer(call_ctx, req, io);
    absl::MutexLock lock(&shared.mu);
    if (shared.overflow) {
      SendPlainError(*resp, 500,
                     absl::StrCat("command output exceeds ", rt->options.max_run_output_bytes, " bytes"));
      return;
    }
    if (!st.ok()) {
      if (std::optional<int> code = errdefs::GetExitCode(st); code.has_value() && *code != 0) {
        SendPlainError(*resp, 500,
                       absl::StrCat("command terminated with non-zero exit code: exit status ", *code));
        return;
      }
      log::Info(call_ctx, "run in container failed", {{"err", st}});
      const int status = errdefs::HttpStatusCode(st);
      SendPlainError(*resp, status >= 400 ? status : 500, StatusText(st));
      return;
    }
    ::vkubelet::internal::http::Headers h{{"Content-Type", "application/json"}};
    resp->Send(200, h, std::move(shared.out));
  });
}

std::vector<Route> StreamingService::Routes() {
  std::vector<Route> routes;
  std::shared_ptr<StreamingService> self = shared_from_this();
  auto bind = [self](void (StreamingService::*fn)(RouteRequest&)) {
    return [self, fn](RouteRequest& r) { ((*self).*fn)(r); };
  };
  for (const char* base : {"/exec", "/attach"}) {
    auto fn = std::string(base) == "/exec" ? &StreamingService::ServeExec : &StreamingService::ServeAttach;
    routes.push_back({{"GET", "POST"}, absl::StrCat(base, "/{namespace}/{pod}/{container}"), bind(fn)});
    routes.push_back({{"GET", "POST"}, absl::StrCat(base, "/{namespace}/{pod}/{uid}/{container}"), bind(fn)});
  }
  routes.push_back({{"POST"}, "/run/{namespace}/{pod}/{container}", bind(&StreamingService::ServeRun)});
  routes.push_back({{"POST"}, "/run/{namespace}/{pod}/{uid}/{container}", bind(&StreamingService::ServeRun)});
  routes.push_back(
      {{"GET", "POST"}, "/portForward/{namespace}/{pod}", bind(&StreamingService::ServePortForward)});
  routes.push_back(
      {{"GET", "POST"}, "/portForward/{namespace}/{pod}/{uid}", bind(&StreamingService::ServePortForward)});
  return routes;
}

std::vector<Route> NewStreamingRoutes(const StreamingDeps& deps, StreamingOptions options) {
  options.stream_creation_timeout = deps.stream_creation_timeout;
  options.stream_idle_timeout = deps.stream_idle_timeout;
  return std::make_shared<StreamingService>(deps, std::move(options))->Routes();
}

}  // namespace vkubelet::api::internal
