// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/log.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cinttypes>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace vkubelet::log {
namespace {

absl::string_view Absl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::string_view BaseName(const char* path) {
  std::string_view p(path ? path : "");
  size_t slash = p.rfind('/');
  return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

// Quotes like Go's %q for the common cases: escapes quotes, backslashes and
// control characters so that one record stays on one line.
void AppendQuoted(std::string* out, std::string_view s) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20 || c == 0x7f) {
          absl::StrAppendFormat(out, "\\x%02x", c);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(out, "\\u%04x", c);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

long ThreadId() { return static_cast<long>(::syscall(SYS_gettid)); }

class TextSink : public Sink {
 public:
  explicit TextSink(FILE* out) : out_(out) {}
  void Write(const Record& r) noexcept override {
    try {
      static constexpr char kLetters[] = {'D', 'I', 'W', 'E'};
      std::string line;
      line.reserve(160);
      line.push_back(kLetters[static_cast<int>(r.level)]);
      line += absl::FormatTime("%m%d %H:%M:%E6S", r.time, absl::UTCTimeZone());
      absl::StrAppendFormat(&line, " %7d %s:%d] ", ThreadId(), Absl(BaseName(r.location.file_name())),
                            r.location.line());
      AppendQuoted(&line, r.message);
      auto append = [&line](std::string_view k, std::string_view v, bool quoted) {
        line.push_back(' ');
        line.append(k);
        line.push_back('=');
        if (quoted) {
          AppendQuoted(&line, v);
        } else {
          line.append(v);
        }
      };
      for (const auto& f : *r.context_fields) append(f.key, f.value, true);
      for (size_t i = 0; i < r.num_fields; ++i) append(r.fields[i].key, r.fields[i].value, r.fields[i].quoted);
      line.push_back('\n');
      std::lock_guard<std::mutex> lock(mu_);
      std::fwrite(line.data(), 1, line.size(), out_);
      std::fflush(out_);
    } catch (...) {
      // Logging must never take the process down.
    }
  }

 private:
  FILE* out_;
  std::mutex mu_;
};

class JsonSink : public Sink {
 public:
  explicit JsonSink(FILE* out) : out_(out) {}
  void Write(const Record& r) noexcept override {
    try {
      std::string line = "{\"ts\":";
      AppendJsonString(&line, absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", r.time, absl::UTCTimeZone()));
      line += ",\"level\":";
      AppendJsonString(&line, LevelName(r.level));
      line += ",\"caller\":";
      AppendJsonString(&line, absl::StrCat(Absl(BaseName(r.location.file_name())), ":", r.location.line()));
      line += ",\"msg\":";
      AppendJsonString(&line, r.message);
      auto append = [&line](std::string_view k, std::string_view v, bool quoted) {
        line.push_back(',');
        AppendJsonString(&line, k);
        line.push_back(':');
        if (quoted || v == "NaN" || v == "inf" || v == "-inf") {
          AppendJsonString(&line, v);
        } else {
          line.append(v);
        }
      };
      for (const auto& f : *r.context_fields) append(f.key, f.value, true);
      for (size_t i = 0; i < r.num_fields; ++i) append(r.fields[i].key, r.fields[i].value, r.fields[i].quoted);
      line += "}\n";
      std::lock_guard<std::mutex> lock(mu_);
      std::fwrite(line.data(), 1, line.size(), out_);
      std::fflush(out_);
    } catch (...) {
    }
  }

 private:
  FILE* out_;
  std::mutex mu_;
};

std::shared_ptr<Logger>& DefaultLoggerSlot() {
  static auto* slot = new std::shared_ptr<Logger>(std::make_shared<Logger>(NewTextSink(stderr), Level::kInfo));
  return *slot;
}

}  // namespace

bool ParseLevel(std::string_view text, Level* level) {
  std::string t = absl::AsciiStrToLower(Absl(text));
  if (t == "debug" || t == "trace") {
    *level = Level::kDebug;
  } else if (t == "info") {
    *level = Level::kInfo;
  } else if (t == "warn" || t == "warning") {
    *level = Level::kWarning;
  } else if (t == "error" || t == "fatal" || t == "panic") {
    *level = Level::kError;
  } else {
    return false;
  }
  return true;
}

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarning: return "warning";
    case Level::kError: return "error";
  }
  return "info";
}

KV::KV(std::string_view k, std::string_view v) : key(k), value(v), quoted(true) {}
KV::KV(std::string_view k, bool v) : key(k), value(v ? "true" : "false"), quoted(false) {}
KV::KV(std::string_view k, int64_t v, int) : key(k), value(absl::StrCat(v)), quoted(false) {}
KV::KV(std::string_view k, uint64_t v, int) : key(k), value(absl::StrCat(v)), quoted(false) {}
KV::KV(std::string_view k, double v) : key(k), value(absl::StrCat(v)), quoted(false) {}
KV::KV(std::string_view k, const absl::Status& v) : key(k), value(v.ToString()), quoted(true) {}
KV::KV(std::string_view k, absl::Duration v) : key(k), value(absl::FormatDuration(v)), quoted(true) {}

std::string Redacted(std::string_view secret) { return absl::StrCat("<redacted, ", secret.size(), " bytes>"); }

void MemorySink::Write(const Record& r) noexcept {
  try {
    Line line{r.level, std::string(r.message), {}};
    for (const auto& f : *r.context_fields) line.fields.emplace_back(f.key, f.value);
    for (size_t i = 0; i < r.num_fields; ++i) line.fields.emplace_back(r.fields[i].key, r.fields[i].value);
    std::lock_guard<std::mutex> lock(mu_);
    lines_.push_back(std::move(line));
  } catch (...) {
  }
}

std::vector<MemorySink::Line> MemorySink::lines() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lines_;
}

std::shared_ptr<Sink> NewTextSink(FILE* out) { return std::make_shared<TextSink>(out); }
std::shared_ptr<Sink> NewJsonSink(FILE* out) { return std::make_shared<JsonSink>(out); }

const std::shared_ptr<Logger>& DefaultLogger() { return DefaultLoggerSlot(); }
void SetDefaultLogger(std::shared_ptr<Logger> logger) {
  if (logger) DefaultLoggerSlot() = std::move(logger);
}

void Write(const Context& ctx, Level level, std::string_view message, std::initializer_list<KV> fields,
           std::source_location location) {
  Record r{level, absl::Now(), message, &ctx.fields(), fields.begin(), fields.size(), location};
  ctx.logger()->Write(r);
}

}  // namespace vkubelet::log
