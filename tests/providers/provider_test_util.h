// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Test doubles for calling providers directly: in-memory byte streams for
// logs, exec/attach and port-forward, a pod builder, and a condition wait.

#ifndef VKUBELET_TESTS_PROVIDERS_PROVIDER_TEST_UTIL_H_
#define VKUBELET_TESTS_PROVIDERS_PROVIDER_TEST_UTIL_H_

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/io.h"
#include "vkubelet/provider.h"
#include "vkubelet/types.h"

namespace vkubelet::test {

// Polls `pred` (real time) until it holds or `timeout` passes.
inline bool Await(const std::function<bool()>& pred, absl::Duration timeout = absl::Seconds(10)) {
  absl::Time deadline = absl::Now() + timeout;
  while (!pred()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

// A pod with one container per name (image "busybox:1.36" unless set later).
inline corev1::Pod MakePod(const std::string& ns, const std::string& name,
                           std::vector<std::string> containers = {"c"}) {
  corev1::Pod p;
  p.mutable_metadata()->set_namespace_(ns);
  p.mutable_metadata()->set_name(name);
  p.mutable_metadata()->set_uid(ns + "." + name + ".uid");
  p.mutable_spec()->set_nodename("vk-test");
  p.mutable_spec()->set_restartpolicy("Always");
  for (const auto& c : containers) {
    auto* ct = p.mutable_spec()->add_containers();
    ct->set_name(c);
    ct->set_image("busybox:1.36");
  }
  return p;
}

inline void SetResource(corev1::Container* c, bool limit, const std::string& name, const std::string& value) {
  auto* list = limit ? c->mutable_resources()->mutable_limits() : c->mutable_resources()->mutable_requests();
  (*list)[name].set_string(value);
}

// A byte pipe: one side pushes, the other reads. Read blocks until data
// arrives, the writer closes (0) or the pipe is broken (Cancelled).
class Pipe {
 public:
  void Push(std::string data) {
    absl::MutexLock lock(&mu_);
    buffer_ += data;
  }
  void CloseWrite() {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }
  void Break() {
    absl::MutexLock lock(&mu_);
    broken_ = true;
  }
  absl::StatusOr<size_t> Read(char* out, size_t size) {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &Pipe::Readable));
    if (broken_) return absl::CancelledError("pipe broken");
    if (buffer_.empty()) return 0;
    size_t n = std::min(size, buffer_.size());
    buffer_.copy(out, n);
    buffer_.erase(0, n);
    return n;
  }

 private:
  bool Readable() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !buffer_.empty() || closed_ || broken_; }
  absl::Mutex mu_;
  std::string buffer_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
};

class PipeReader : public ByteReader {
 public:
  explicit PipeReader(Pipe* pipe) : pipe_(pipe) {}
  absl::StatusOr<size_t> Read(char* buffer, size_t size) override { return pipe_->Read(buffer, size); }

 private:
  Pipe* pipe_;
};

// Collects what a provider writes. Thread-safe. Optionally refuses writes
// after `capacity` bytes (a client that went away).
class Collector : public ByteWriter {
 public:
  explicit Collector(size_t capacity = SIZE_MAX) : capacity_(capacity) {}
  absl::Status Write(std::string_view data) override {
    absl::MutexLock lock(&mu_);
    if (closed_) return absl::FailedPreconditionError("write after close");
    if (data_.size() >= capacity_) return absl::CancelledError("client went away");
    size_t room = capacity_ - data_.size();
    data_.append(data.substr(0, std::min(room, data.size())));
    ++writes_;
    if (data.size() > room) return absl::CancelledError("client went away");
    return absl::OkStatus();
  }
  absl::Status Close() override {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    return absl::OkStatus();
  }
  std::string data() const {
    absl::MutexLock lock(&mu_);
    return data_;
  }
  bool closed() const {
    absl::MutexLock lock(&mu_);
    return closed_;
  }
  bool WaitFor(std::string_view needle, absl::Duration timeout = absl::Seconds(10)) const {
    return Await([&] { return data().find(needle) != std::string::npos; }, timeout);
  }

 private:
  mutable absl::Mutex mu_;
  const size_t capacity_;
  std::string data_ ABSL_GUARDED_BY(mu_);
  int writes_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

// The streams of an exec/attach session.
class FakeAttachIO : public AttachIO {
 public:
  FakeAttachIO(bool with_stdin, bool tty, bool with_stderr = true)
      : with_stdin_(with_stdin), tty_(tty), with_stderr_(with_stderr && !tty), stdin_reader_(&stdin_) {}

  ByteReader* Stdin() override { return with_stdin_ ? &stdin_reader_ : nullptr; }
  ByteWriter* Stdout() override { return &stdout_; }
  ByteWriter* Stderr() override { return with_stderr_ ? &stderr_ : nullptr; }
  bool Tty() const override { return tty_; }
  std::optional<TermSize> NextResize(const Context& ctx) override {
    absl::MutexLock lock(&mu_);
    ++resize_waiters_;
    while (resizes_.empty() && !ctx.Done()) {
      mu_.AwaitWithTimeout(absl::Condition(this, &FakeAttachIO::HasResize), absl::Milliseconds(5));
    }
    --resize_waiters_;
    if (resizes_.empty()) return std::nullopt;
    TermSize s = resizes_.front();
    resizes_.pop_front();
    ++resizes_consumed_;
    return s;
  }

  void PushResize(TermSize s) {
    absl::MutexLock lock(&mu_);
    resizes_.push_back(s);
  }
  int resizes_consumed() const {
    absl::MutexLock lock(&mu_);
    return resizes_consumed_;
  }
  int resize_waiters() const {
    absl::MutexLock lock(&mu_);
    return resize_waiters_;
  }

  Pipe& stdin_pipe() { return stdin_; }
  Collector& out() { return stdout_; }
  Collector& err() { return stderr_; }

 private:
  bool HasResize() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !resizes_.empty(); }
  const bool with_stdin_, tty_, with_stderr_;
  Pipe stdin_;
  PipeReader stdin_reader_;
  Collector stdout_, stderr_;
  mutable absl::Mutex mu_;
  std::deque<TermSize> resizes_ ABSL_GUARDED_BY(mu_);
  int resizes_consumed_ ABSL_GUARDED_BY(mu_) = 0;
  int resize_waiters_ ABSL_GUARDED_BY(mu_) = 0;
};

// One port-forward connection: the test pushes into `in`, the provider's
// writes land in `out`.
class FakeStream : public DuplexStream {
 public:
  explicit FakeStream(size_t out_capacity = SIZE_MAX) : out_(out_capacity) {}
  absl::StatusOr<size_t> Read(char* buffer, size_t size) override { return in_.Read(buffer, size); }
  absl::Status Write(std::string_view data) override { return out_.Write(data); }
  absl::Status Close() override { return out_.Close(); }
  Pipe& in() { return in_; }
  Collector& out() { return out_; }

 private:
  Pipe in_;
  Collector out_;
};

}  // namespace vkubelet::test

#endif  // VKUBELET_TESTS_PROVIDERS_PROVIDER_TEST_UTIL_H_
