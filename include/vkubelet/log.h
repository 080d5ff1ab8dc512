// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Leveled, structured logging. Every line carries a message and key/value
// fields (those of the Context plus the call's own); a Sink decides the format.
// The default sink writes klog-style text to stderr at Info level:
//
//   I1127 03:42:21.123456   12345 pod_controller.cc:88] "Created pod in provider" pod="default/nginx"
//
// Usage:
//   log::Info(ctx, "Created pod in provider", {{"pod", key}, {"attempt", 3}});
//
// Secrets: never pass Secret data or bearer tokens as fields; use Redacted().

#ifndef VKUBELET_LOG_H_
#define VKUBELET_LOG_H_

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <mutex>
#include <memory>
#include <source_location>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "vkubelet/context.h"

namespace vkubelet::log {

enum class Level : int { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Parses "debug", "info", "warn"/"warning", "error" (case-insensitive).
bool ParseLevel(std::string_view text, Level* level);
std::string_view LevelName(Level level);

// One key/value field. The value is formatted when the field is built; strings
// are quoted by text sinks, numbers and booleans are not.
struct KV {
  KV(std::string_view k, std::string_view v);
  KV(std::string_view k, const std::string& v) : KV(k, std::string_view(v)) {}
  KV(std::string_view k, const char* v) : KV(k, std::string_view(v ? v : "")) {}
  KV(std::string_view k, bool v);
  KV(std::string_view k, int v) : KV(k, static_cast<int64_t>(v), 0) {}
  KV(std::string_view k, long v) : KV(k, static_cast<int64_t>(v), 0) {}
  KV(std::string_view k, long long v) : KV(k, static_cast<int64_t>(v), 0) {}
  KV(std::string_view k, unsigned v) : KV(k, static_cast<uint64_t>(v), 0) {}
  KV(std::string_view k, unsigned long v) : KV(k, static_cast<uint64_t>(v), 0) {}
  KV(std::string_view k, unsigned long long v) : KV(k, static_cast<uint64_t>(v), 0) {}
  KV(std::string_view k, double v);
  KV(std::string_view k, const absl::Status& v);
  KV(std::string_view k, absl::Duration v);

  std::string key;
  std::string value;
  bool quoted = true;

 private:
  KV(std::string_view k, int64_t v, int);
  KV(std::string_view k, uint64_t v, int);
};

// The text "<redacted, N bytes>" for values that must not reach a log.
std::string Redacted(std::string_view secret);

struct Record {
  Level level;
  absl::Time time;
  std::string_view message;
  const std::vector<LogField>* context_fields;  // never null
  const KV* fields;
  size_t num_fields;
  std::source_location location;
};

// Where log records go. Implementations must be thread-safe and must not throw.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void Write(const Record& record) noexcept = 0;
};

// klog-style text lines ("I1127 03:42:21.123456 <tid> file.cc:88] \"msg\" k=\"v\"").
std::shared_ptr<Sink> NewTextSink(FILE* out = stderr);
// One JSON object per line: {"ts":"...","level":"info","caller":"file.cc:88","msg":"...",k:v}.
std::shared_ptr<Sink> NewJsonSink(FILE* out = stderr);
// Keeps records in memory; for tests.
class MemorySink : public Sink {
 public:
  struct Line {
    Level level;
    std::string message;
    std::vector<std::pair<std::string, std::string>> fields;
  };
  void Write(const Record& record) noexcept override;
  std::vector<Line> lines() const;

 private:
  mutable std::mutex mu_;
  std::vector<Line> lines_;
};

// A sink plus a minimum level. Thread-safe; the level may change at runtime.
class Logger {
 public:
  Logger(std::shared_ptr<Sink> sink, Level min_level) : sink_(std::move(sink)), level_(static_cast<int>(min_level)) {}
  bool Enabled(Level level) const { return static_cast<int>(level) >= level_.load(std::memory_order_relaxed); }
  void set_level(Level level) { level_.store(static_cast<int>(level), std::memory_order_relaxed); }
  Level level() const { return static_cast<Level>(level_.load(std::memory_order_relaxed)); }
  void Write(const Record& record) const noexcept {
    if (Enabled(record.level)) sink_->Write(record);
  }
  const std::shared_ptr<Sink>& sink() const { return sink_; }

 private:
  std::shared_ptr<Sink> sink_;
  std::atomic<int> level_;
};

// The logger used by contexts without their own (text to stderr, Info).
const std::shared_ptr<Logger>& DefaultLogger();
// Replaces the process default logger; call it early in main(), before other threads log.
void SetDefaultLogger(std::shared_ptr<Logger> logger);

void Write(const Context& ctx, Level level, std::string_view message, std::initializer_list<KV> fields,
           std::source_location location);

inline bool Enabled(const Context& ctx, Level level) { return ctx.logger()->Enabled(level); }

inline void Debug(const Context& ctx, std::string_view message, std::initializer_list<KV> fields = {},
                  std::source_location location = std::source_location::current()) {
  if (Enabled(ctx, Level::kDebug)) Write(ctx, Level::kDebug, message, fields, location);
}
inline void Info(const Context& ctx, std::string_view message, std::initializer_list<KV> fields = {},
                 std::source_location location = std::source_location::current()) {
  if (Enabled(ctx, Level::kInfo)) Write(ctx, Level::kInfo, message, fields, location);
}
inline void Warning(const Context& ctx, std::string_view message, std::initializer_list<KV> fields = {},
                    std::source_location location = std::source_location::current()) {
  if (Enabled(ctx, Level::kWarning)) Write(ctx, Level::kWarning, message, fields, location);
}
inline void Error(const Context& ctx, std::string_view message, std::initializer_list<KV> fields = {},
                  std::source_location location = std::source_location::current()) {
  if (Enabled(ctx, Level::kError)) Write(ctx, Level::kError, message, fields, location);
}

}  // namespace vkubelet::log

#endif  // VKUBELET_LOG_H_
