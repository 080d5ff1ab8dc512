// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "api/streaming/stream_io.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>

#include "absl/strings/match.h"
#include "vkubelet/errdefs.h"

namespace vkubelet::api::internal {

namespace spdy = ::vkubelet::internal::spdy;

// ---- InboundBuffer ---------------------------------------------------------------

void InboundBuffer::Append(std::string_view data) {
  if (data.empty()) return;
  // Small pieces (SPDY hands over parts of frames) are merged so that the
  // deque does not grow a node per few bytes.
  if (!chunks_.empty() && chunks_.back().size() < 16 * 1024 && data.size() < 16 * 1024) {
    chunks_.back().append(data);
  } else {
    chunks_.emplace_back(data);
  }
  bytes_ += data.size();
}

size_t InboundBuffer::Take(char* out, size_t size) {
  size_t n = 0;
  while (n < size && !chunks_.empty()) {
    const std::string& front = chunks_.front();
    const size_t k = std::min(size - n, front.size() - front_offset_);
    std::memcpy(out + n, front.data() + front_offset_, k);
    n += k;
    front_offset_ += k;
    if (front_offset_ == front.size()) {
      chunks_.pop_front();
      front_offset_ = 0;
    }
  }
  bytes_ -= n;
  return n;
}

// ---- adapters ---------------------------------------------------------------------

absl::StatusOr<size_t> EndpointReader::Read(char* buffer, size_t size) {
  return ep_->ReadStream(stream_, buffer, size);
}

absl::Status EndpointWriter::Write(std::string_view data) { return ep_->WriteStream(stream_, data); }
absl::Status EndpointWriter::Close() { return ep_->CloseStreamWrite(stream_); }

absl::StatusOr<size_t> EndpointDuplex::Read(char* buffer, size_t size) {
  return ep_->ReadStream(stream_, buffer, size);
}
absl::Status EndpointDuplex::Write(std::string_view data) { return ep_->WriteStream(stream_, data); }
absl::Status EndpointDuplex::Close() { return ep_->CloseStreamWrite(stream_); }

// ---- ResizeQueue ------------------------------------------------------------------

void ResizeQueue::Push(TermSize size) {
  absl::MutexLock lock(&mu_);
  if (closed_) return;
  if (sizes_.size() >= max_pending_) sizes_.pop_front();
  sizes_.push_back(size);
}

void ResizeQueue::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

std::optional<TermSize> ResizeQueue::Next(const Context& ctx, const Context& session) {
  // A per-call flag: a cancelled context of one caller must not wake later ones.
  auto woken = std::make_shared<bool>(false);
  auto wake = [this, woken] {
    absl::MutexLock lock(&mu_);
    *woken = true;
  };
  CancelRegistration r1 = ctx.OnCancel(wake);
  CancelRegistration r2 = session.OnCancel(wake);
  absl::MutexLock lock(&mu_);
  auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !sizes_.empty() || closed_ || *woken; };
  mu_.Await(absl::Condition(&ready));
  // A cancelled caller gets nothing even when sizes are queued.
  if (sizes_.empty() || *woken || ctx.Done() || session.Done()) return std::nullopt;
  TermSize s = sizes_.front();
  sizes_.pop_front();
  return s;
}

std::optional<TermSize> SessionAttachIO::NextResize(const Context& ctx) {
  if (!tty_ || resizes_ == nullptr) return std::nullopt;
  return resizes_->Next(ctx, session_);
}

// ---- parameters --------------------------------------------------------------------

namespace {

bool IsSet(const ::vkubelet::internal::http::Request& r, std::string_view name) {
  if (!r.HasQuery(name)) return false;
  const std::string v = r.Query(name);
  return v == "1" || absl::EqualsIgnoreCase(v, "true");
}

}  // namespace

absl::StatusOr<RemoteCommandParams> ParseRemoteCommandParams(
    const ::vkubelet::internal::http::Request& request, std::string_view ns, std::string_view pod,
    std::string_view uid, std::string_view container, bool exec) {
  RemoteCommandParams p;
  p.namespace_ = std::string(ns);
  p.pod = std::string(pod);
  p.uid = std::string(uid);
  p.container = std::string(container);
  p.with_stdin = IsSet(request, "input");
  p.with_stdout = IsSet(request, "output");
  p.with_stderr = IsSet(request, "error");
  p.tty = IsSet(request, "tty");
  // The kubelet bypasses stderr with a TTY: the terminal merges it into stdout.
  if (p.tty) p.with_stderr = false;
  if (!p.with_stdin && !p.with_stdout && !p.with_stderr) {
    return errdefs::InvalidInput("you must specify at least 1 of stdin, stdout, stderr");
  }
  if (exec) {
    p.command = request.QueryValues("command");
    if (p.command.empty())
      return errdefs::InvalidInput("you must specify at least one command for the container");
  }
  return p;
}

void SendPlainError(::vkubelet::internal::http::Response& response, int status, std::string_view message,
                    const ::vkubelet::internal::http::Headers& extra) {
  ::vkubelet::internal::http::Headers h = extra;
  h.Set("Content-Type", "text/plain; charset=utf-8");
  h.Set("X-Content-Type-Options", "nosniff");
  std::string body(message);
  if (body.empty() || body.back() != '\n') body.push_back('\n');
  response.Send(status, h, std::move(body));
}

std::string StatusText(const absl::Status& status) {
  return status.message().empty() ? status.ToString() : std::string(status.message());
}

spdy::ExecResult ExecResultOf(const absl::Status& status) {
  spdy::ExecResult r;
  if (status.ok()) return r;
  if (std::optional<int> code = errdefs::GetExitCode(status); code.has_value()) {
    if (*code == 0) return r;
    r.exit_code = *code;
    return r;
  }
  r.error = StatusText(status);
  return r;
}

}  // namespace vkubelet::api::internal
