// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Watch<T>: one watch request's stream of typed events, decoded incrementally
// (protobuf frames or concatenated JSON, whichever the server answered).
//
//   VK_ASSIGN_OR_RETURN(auto watch, pods.Watch(ctx, "default", {.resource_version = rv}));
//   while (true) {
//     VK_ASSIGN_OR_RETURN(std::optional<WatchEvent<corev1::Pod>> ev, watch->Next(ctx));
//     if (!ev) break;  // the server ended the watch (timeoutSeconds): watch again from the last RV
//     ...
//   }
//
// An ERROR event ends the watch and is returned by Next() as an error built
// with errdefs::FromKubernetesStatus: errdefs::IsGone() for "too old resource
// version" (410 Expired), which means re-list.

#ifndef VKUBELET_KUBE_WATCH_H_
#define VKUBELET_KUBE_WATCH_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "vkubelet/context.h"
#include "vkubelet/kube/codec.h"
#include "vkubelet/kube/rest_client.h"

namespace vkubelet::kube {

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark };

std::string_view WatchEventTypeName(WatchEventType type);

template <typename T>
struct WatchEvent {
  WatchEventType type;
  // The object (for kDeleted its last state; for kBookmark only
  // metadata.resourceVersion is set).
  std::unique_ptr<T> object;
};

namespace internal {

// The untyped event stream behind Watch<T>. Thread-safety as Watch<T>.
class WatchStream {
 public:
  struct Event {
    WatchEventType type;
    std::unique_ptr<google::protobuf::Message> object;
  };

  WatchStream(std::unique_ptr<ResponseStream> stream, std::unique_ptr<WatchDecoder> decoder);
  ~WatchStream();

  absl::StatusOr<std::optional<Event>> Next(const Context& ctx);
  void Stop();
  // Bytes received so far (for metrics and benchmarks).
  uint64_t bytes_received() const;

 private:
  absl::StatusOr<std::optional<Event>> Convert(DecodedWatchEvent ev);

  std::unique_ptr<ResponseStream> stream_;
  std::unique_ptr<WatchDecoder> decoder_;
  std::string buffer_;
  bool ended_ = false;
  absl::Status error_;  // sticky
  uint64_t bytes_ = 0;
};

}  // namespace internal

// Not copyable. Next() is called from one thread at a time; Stop() may be
// called from any thread and makes a blocked Next() return.
template <typename T>
class Watch {
 public:
  explicit Watch(std::unique_ptr<internal::WatchStream> stream) : stream_(std::move(stream)) {}
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;

  // The next event; nullopt when the server ended the watch normally. Errors:
  // an ERROR event (its Status, e.g. errdefs::IsGone for 410 Expired), a
  // broken connection (Unavailable), an undecodable event (InvalidArgument),
  // Stop() (Cancelled) or `ctx` ending — which also ends the watch, since an
  // interrupted read cannot be resumed. Every error is final.
  absl::StatusOr<std::optional<WatchEvent<T>>> Next(const Context& ctx) {
    auto ev = stream_->Next(ctx);
    if (!ev.ok()) return ev.status();
    if (!ev->has_value()) return std::nullopt;
    WatchEvent<T> out{(*ev)->type, std::unique_ptr<T>(static_cast<T*>((*ev)->object.release()))};
    return std::optional<WatchEvent<T>>(std::move(out));
  }

  // Calls `fn` for each event until the watch ends (OK), fails (the error) or
  // `fn` returns false (OK).
  absl::Status ForEach(const Context& ctx, const std::function<bool(WatchEvent<T>&&)>& fn) {
    while (true) {
      auto ev = Next(ctx);
      if (!ev.ok()) return ev.status();
      if (!ev->has_value()) return absl::OkStatus();
      if (!fn(std::move(**ev))) return absl::OkStatus();
    }
  }

  // Ends the watch (closes the connection). Idempotent, thread-safe.
  void Stop() { stream_->Stop(); }
  uint64_t bytes_received() const { return stream_->bytes_received(); }

 private:
  std::unique_ptr<internal::WatchStream> stream_;
};

}  // namespace vkubelet::kube

#endif  // VKUBELET_KUBE_WATCH_H_
