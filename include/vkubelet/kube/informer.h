// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Informer<T>: keeps a Store<T> equal to the API server's view of one kind of
// object (optionally one namespace, label and field selector) and tells
// handlers about every change, like client-go's shared informer:
//
//  * list (paged; resourceVersion "0" first, served from the watch cache),
//    then watch from the list's resourceVersion with bookmarks and a
//    randomized timeoutSeconds (min_watch_timeout × [1, 2));
//  * a watch that ends or breaks is resumed from the last resourceVersion
//    seen (event or bookmark) — no re-list;
//  * 410 Gone/Expired (an HTTP 410 or an ERROR event inside a 200 stream)
//    re-lists with a consistent read; the new list is diffed against the
//    store so objects deleted during the gap are delivered as deletes and
//    unchanged objects (same resourceVersion) produce no event;
//  * failures back off exponentially (800 ms → 30 s, reset after 2 minutes
//    of health); waits use the injectable Clock;
//  * optional periodic resync: on_update(obj, obj) for every cached object;
//  * optional transform of every received object before it is cached (e.g.
//    StripManagedFields(), as controller-runtime's cache does).
//
//   kube::Informer<corev1::Pod> pods(client, {.field_selector = "spec.nodeName=" + node});
//   pods.AddEventHandler({.on_add = ..., .on_update = ..., .on_delete = ...});
//   VK_RETURN_IF_ERROR(pods.Start(ctx));
//   if (!pods.WaitForSync(ctx)) return ctx.Err();
//   std::shared_ptr<const corev1::Pod> p = pods.lister().Get("default", "nginx");
//
// Handlers run on the informer's dispatch thread, one call at a time, in the
// order the changes happened; the store already reflects a change when its
// handler runs. A slow handler delays later notifications but not the watch.
// Objects are shared (std::shared_ptr<const T>), never copied.

#ifndef VKUBELET_KUBE_INFORMER_H_
#define VKUBELET_KUBE_INFORMER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "vkubelet/clock.h"
#include "vkubelet/context.h"
#include "vkubelet/kube/resource_client.h"
#include "vkubelet/kube/store.h"

namespace vkubelet::kube {

struct InformerOptions {
  std::string ns;  // "" = all namespaces (and cluster-scoped kinds)
  std::string label_selector;
  std::string field_selector;  // e.g. "spec.nodeName=vk-1"
  // Every cached object is re-delivered as on_update(obj, obj) this often;
  // zero disables resync.
  absl::Duration resync_period = absl::ZeroDuration();
  int64_t page_size = 500;
  // Watches ask the server to end them after min_watch_timeout × [1, 2).
  absl::Duration min_watch_timeout = absl::Minutes(5);
  absl::Duration initial_backoff = absl::Milliseconds(800);
  absl::Duration max_backoff = absl::Seconds(30);
  absl::Duration backoff_reset_after = absl::Minutes(2);
  // Drives resync and backoff waits; must outlive the informer.
  const Clock* clock = Clock::Real();
  std::string name;  // for logs (default: the resource's plural)
  // Applied to every object received (list items and watch events,
  // deletions included) before it is cached or handed to a handler, so
  // neither the store nor any handler sees the fields it removes. Runs on
  // the informer's list/watch thread with the object not yet shared: it may
  // change the object in place (a `T` — the informer's own type — passed as
  // its Message base). It must not block, must keep metadata.namespace,
  // name and resourceVersion, and must be thread-safe if shared between
  // informers; an exception it throws is logged and the object is kept as
  // it is. Empty: objects are cached as decoded. Typical use: drop fields
  // nobody reads to save memory per cached object (StripManagedFields()).
  std::function<void(google::protobuf::Message*)> transform;
};

// A transform that clears metadata.managedFields (the server-side apply
// field ownership records, often the largest part of a small object's
// metadata), like controller-runtime's cache.TransformStripManagedFields.
// For any object kind with a meta/v1 ObjectMeta `metadata` field; others are
// left alone. Thread-safe.
std::function<void(google::protobuf::Message*)> StripManagedFields();

// Notification callbacks; any may be empty.
template <typename T>
struct EventHandler {
  std::function<void(const std::shared_ptr<const T>& obj)> on_add;
  std::function<void(const std::shared_ptr<const T>& old_obj, const std::shared_ptr<const T>& new_obj)> on_update;
  // `obj` is the last state known to the informer (the server's final state
  // when the watch delivered it, the cached one when a re-list found it gone).
  std::function<void(const std::shared_ptr<const T>& obj)> on_delete;
};

// Counters for tests and metrics.
struct InformerStats {
  uint64_t lists = 0;          // completed (re-)lists
  uint64_t watches = 0;        // watch requests that were answered
  uint64_t expired = 0;        // 410 Gone/Expired seen
  uint64_t failures = 0;       // failed lists/watches (backed off)
  uint64_t events = 0;         // watch events applied (not bookmarks)
  uint64_t bookmarks = 0;
  uint64_t notifications = 0;  // handler notifications queued
};

namespace internal {

// The untyped informer behind Informer<T>. Thread-safe.
class InformerCore {
 public:
  using Object = StoreCore::Object;
  struct Handler {
    std::function<void(const Object&)> on_add;
    std::function<void(const Object&, const Object&)> on_update;
    std::function<void(const Object&)> on_delete;
  };

  InformerCore(std::shared_ptr<ResourceCore> resource, InformerOptions options);
  ~InformerCore();

  void AddEventHandler(Handler handler);
  absl::Status Start(const Context& ctx);
  void Stop();
  bool HasSynced() const;
  bool WaitForSync(const Context& ctx) const;
  std::string LastSyncResourceVersion() const;
  InformerStats stats() const;
  const std::shared_ptr<StoreCore>& store() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace internal

template <typename T>
class Informer {
 public:
  Informer(std::shared_ptr<RestClient> client, InformerOptions options = {})
      : Informer(ResourceClient<T>(std::move(client)), std::move(options)) {}
  Informer(const ResourceClient<T>& client, InformerOptions options = {})
      : core_(std::make_unique<internal::InformerCore>(client.core(), std::move(options))) {}
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;
  // Stops (and joins) if still running.
  ~Informer() = default;

  // May be called before or after Start. A handler added after objects are
  // cached first gets on_add for each of them, in order with later
  // notifications (nothing is missed or duplicated).
  void AddEventHandler(EventHandler<T> h) {
    internal::InformerCore::Handler core;
    if (h.on_add) {
      core.on_add = [f = std::move(h.on_add)](const internal::InformerCore::Object& o) {
        f(std::static_pointer_cast<const T>(o));
      };
    }
    if (h.on_update) {
      core.on_update = [f = std::move(h.on_update)](const internal::InformerCore::Object& a,
                                                    const internal::InformerCore::Object& b) {
        f(std::static_pointer_cast<const T>(a), std::static_pointer_cast<const T>(b));
      };
    }
    if (h.on_delete) {
      core.on_delete = [f = std::move(h.on_delete)](const internal::InformerCore::Object& o) {
        f(std::static_pointer_cast<const T>(o));
      };
    }
    core_->AddEventHandler(std::move(core));
  }

  // Starts the list/watch and dispatch threads and returns. The informer
  // runs until `ctx` ends or Stop(). FailedPrecondition if started before.
  absl::Status Start(const Context& ctx) { return core_->Start(ctx); }
  // Stops both threads and joins them: no handler runs after it returns.
  // Idempotent. Must not be called from a handler.
  void Stop() { core_->Stop(); }

  // True once the first list is in the store and its on_add notifications
  // were delivered to the handlers registered so far.
  bool HasSynced() const { return core_->HasSynced(); }
  // Waits for HasSynced(); false if ctx ended first.
  bool WaitForSync(const Context& ctx) const { return core_->WaitForSync(ctx); }
  bool WaitForSync(absl::Duration timeout) const {
    return core_->WaitForSync(Context::Background().WithTimeout(timeout));
  }

  Lister<T> lister() const { return Lister<T>(core_->store()); }
  // The resourceVersion the cache is at (last list, event or bookmark).
  std::string LastSyncResourceVersion() const { return core_->LastSyncResourceVersion(); }
  InformerStats stats() const { return core_->stats(); }

 private:
  std::unique_ptr<internal::InformerCore> core_;
};

}  // namespace vkubelet::kube

#endif  // VKUBELET_KUBE_INFORMER_H_
