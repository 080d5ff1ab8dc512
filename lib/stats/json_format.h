// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// A small streaming JSON writer producing what Go's encoding/json produces for
// the same values: strings escaped with Go's rules (HTML characters as \u003c
// etc., invalid UTF-8 as \ufffd), floats in Go's shortest form, meta/v1 Time
// as RFC 3339 seconds in UTC or null. Private to the library.
//
// It is on the path of every /stats/summary scrape (megabytes for thousands of
// pods), so it writes through a raw cursor into a buffer grown geometrically,
// copies runs of plain characters at once, and caches the last formatted
// time (a Summary repeats a few timestamps thousands of times).

#ifndef VKUBELET_LIB_STATS_JSON_FORMAT_H_
#define VKUBELET_LIB_STATS_JSON_FORMAT_H_

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace vkubelet::stats::internal {

// Appends to a string; the caller keeps the structure well-formed. Not
// thread-safe.
//
// The string's size runs ahead of the written bytes while writing: call
// Finish() (or destroy the writer) before reading it.
//
// With a sink, the written bytes are handed to it (and the buffer emptied)
// at the next value boundary after `flush_bytes` accumulated; the sink may
// take the string's contents. A sink returning false stops the output: later
// writes are dropped.
class JsonOut {
 public:
  using Sink = std::function<bool(std::string& piece)>;

  explicit JsonOut(std::string* out) : out_(out), len_(out->size()) {}
  JsonOut(std::string* out, size_t flush_bytes, Sink sink)
      : out_(out), len_(out->size()), flush_bytes_(flush_bytes), sink_(std::move(sink)) {}
  ~JsonOut() { Finish(); }
  JsonOut(const JsonOut&) = delete;
  JsonOut& operator=(const JsonOut&) = delete;

  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }
  // Any key; escaped like a string.
  void Key(std::string_view key) {
    Comma();
    AppendString(key);
    Put(':');
    need_comma_ = false;
  }
  // A key known to need no escaping (the Summary's own field names).
  void PlainKey(std::string_view key) {
    char* p = Reserve(key.size() + 4);
    if (need_comma_) *p++ = ',';
    *p++ = '"';
    std::memcpy(p, key.data(), key.size());
    p += key.size();
    *p++ = '"';
    *p++ = ':';
    len_ = static_cast<size_t>(p - out_->data());
    need_comma_ = false;
  }
  void String(std::string_view s) {
    Comma();
    AppendString(s);
    need_comma_ = true;
  }
  void Uint(uint64_t v);
  void Int(int64_t v);
  // Non-finite values (which Go refuses to encode) are written as null.
  void Double(double v);
  void Bool(bool v) {
    Comma();
    Append(v ? std::string_view("true") : std::string_view("false"));
    need_comma_ = true;
  }
  void Null() {
    Comma();
    Append("null");
    need_comma_ = true;
  }
  // meta/v1 Time: null for the zero value (absl::Time(), the Unix epoch, or
  // InfinitePast), else "2006-01-02T15:04:05Z".
  void Time(absl::Time t);

  // Trims the string to the bytes written and hands what is left to the sink
  // (if any). Writing may continue afterwards.
  void Finish();
  // False once a sink refused a piece.
  bool ok() const { return ok_; }

 private:
  char* Reserve(size_t n) {
    if (len_ + n > out_->size()) Grow(n);
    return out_->data() + len_;
  }
  void Grow(size_t n);
  void Put(char c) { *Reserve(1) = c, ++len_; }
  void Append(std::string_view s) {
    std::memcpy(Reserve(s.size()), s.data(), s.size());
    len_ += s.size();
  }
  void Comma() {
    if (need_comma_) Put(',');
  }
  void Open(char c) {
    Comma();
    Put(c);
    need_comma_ = false;
  }
  void Close(char c) {
    Put(c);
    need_comma_ = true;
    if (flush_bytes_ != 0 && len_ >= flush_bytes_) Flush(true);
  }
  // Hands the written bytes to the sink; `more`: writing goes on.
  void Flush(bool more);
  void AppendString(std::string_view s);

  std::string* out_;
  size_t len_;  // bytes written; out_->size() is the room
  bool need_comma_ = false;
  size_t flush_bytes_ = 0;
  Sink sink_;
  bool ok_ = true;
  int64_t cached_second_ = INT64_MIN;
  char cached_time_[24] = {};  // "\"2006-01-02T15:04:05Z\""
};

// True for the values JsonOut::Time writes as null.
bool IsZeroTime(absl::Time t);
// "2006-01-02T15:04:05Z" (UTC, whole seconds, rounded down).
void AppendRfc3339Seconds(std::string* out, absl::Time t);
// Go's encoding/json float64 format.
void AppendGoJsonFloat(std::string* out, double v);

}  // namespace vkubelet::stats::internal

#endif  // VKUBELET_LIB_STATS_JSON_FORMAT_H_
