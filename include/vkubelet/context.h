// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Context: the deadline, cancellation signal and log fields that every call that
// may block takes as its first argument (the C++ counterpart of Go's
// context.Context, kept deliberately small).

#ifndef VKUBELET_CONTEXT_H_
#define VKUBELET_CONTEXT_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace vkubelet {

namespace log {
class Logger;
}  // namespace log

namespace internal {
class ContextState;
}  // namespace internal

// A key/value pair attached to a Context and added to every log line written
// with it (e.g. {"pod", "default/nginx"}).
struct LogField {
  std::string key;
  std::string value;
};

// Undoes an OnCancel registration when destroyed (or when Reset() is called).
// Move-only. Destroying it after the callback ran is harmless.
class CancelRegistration {
 public:
  CancelRegistration() = default;
  ~CancelRegistration();
  CancelRegistration(CancelRegistration&& other) noexcept;
  CancelRegistration& operator=(CancelRegistration&& other) noexcept;
  CancelRegistration(const CancelRegistration&) = delete;
  CancelRegistration& operator=(const CancelRegistration&) = delete;

  // Unregisters the callback; after Reset() returns the callback is not running
  // and will never run.
  void Reset();

 private:
  friend class Context;
  CancelRegistration(std::shared_ptr<internal::ContextState> state, uint64_t id)
      : state_(std::move(state)), id_(id) {}
  std::shared_ptr<internal::ContextState> state_;
  uint64_t id_ = 0;
};

// Cancels the Context it was created with (and every Context derived from it).
// Calling it more than once is harmless. Thread-safe.
using CancelFn = std::function<void()>;

// An immutable value: a deadline, a cancellation signal shared with the
// contexts derived from it, log fields and a logger. Cheap to copy; every
// method is thread-safe.
//
// Deadlines are on the real clock (absl::Now()). A deadline that passes makes
// Done() true and Err() DeadlineExceeded, and fires OnCancel callbacks.
class Context {
 public:
  // A context that is never cancelled and has no deadline.
  static Context Background();

  // A child with a deadline `timeout` from now (or the parent's, if earlier).
  Context WithTimeout(absl::Duration timeout) const;
  // A child with the given deadline (or the parent's, if earlier).
  Context WithDeadline(absl::Time deadline) const;
  // A child that is cancelled when the returned function is called or when
  // this context is done.
  std::pair<Context, CancelFn> WithCancel() const;
  // A child whose log lines carry these extra fields.
  Context WithFields(std::vector<LogField> fields) const;
  Context WithField(std::string key, std::string value) const;
  // A child that logs through `logger` instead of the inherited one.
  Context WithLogger(std::shared_ptr<log::Logger> logger) const;

  // True once cancelled or past the deadline.
  bool Done() const;
  // OkStatus while not done; CancelledError or DeadlineExceededError after.
  absl::Status Err() const;
  // The deadline, or absl::InfiniteFuture() if there is none.
  absl::Time Deadline() const { return deadline_; }
  // Time left before the deadline (InfiniteDuration without one, zero when past).
  absl::Duration Remaining() const;

  // Blocks until the context is done or `timeout` elapsed. Returns true if the
  // context is done.
  bool WaitFor(absl::Duration timeout) const;
  // Blocks until the context is done (for use in threads whose only job is to
  // live as long as the context).
  void Wait() const;

  // Runs `callback` once when the context is cancelled or its deadline passes,
  // on the thread that cancels it (or a timer thread for deadlines), or right
  // away on this thread if already done. Callbacks must be quick and must not
  // block. The callback is dropped when the registration is destroyed.
  [[nodiscard]] CancelRegistration OnCancel(std::function<void()> callback) const;

  const std::vector<LogField>& fields() const;
  // Never null: the process default logger unless WithLogger was used.
  const std::shared_ptr<log::Logger>& logger() const;

 private:
  Context(std::shared_ptr<internal::ContextState> state, absl::Time deadline,
          std::shared_ptr<const std::vector<LogField>> fields,
          std::shared_ptr<log::Logger> logger);

  std::shared_ptr<internal::ContextState> state_;  // null: never cancelled
  absl::Time deadline_ = absl::InfiniteFuture();
  std::shared_ptr<const std::vector<LogField>> fields_;
  std::shared_ptr<log::Logger> logger_;
};

}  // namespace vkubelet

#endif  // VKUBELET_CONTEXT_H_
