// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The storage and semantics engine of FakeApiServer, independent of HTTP:
// objects kept as immutable protobuf messages (one ObjectVersion per
// resourceVersion, with its encodings cached on first use), a global
// resourceVersion counter, per-resource event history for watches that start
// from a resourceVersion, and watch fan-out to any number of watchers without
// a thread per watcher (each watcher is a queue plus a "ready" callback).
//
// Semantics follow kube-apiserver: optimistic concurrency on
// resourceVersion, status-subresource rules, graceful deletion of pods bound
// to a node, finalizers, preconditions, paging with continue tokens and
// remainingItemCount, label/field selectors, watch ADDED/DELETED transitions
// when an object starts/stops matching a watch's selector, 410 Expired for
// versions older than the retained history.
//
// Thread-safe: one mutex guards the objects; watchers have their own.

#ifndef VKUBELET_TESTING_FAKE_STORE_H_
#define VKUBELET_TESTING_FAKE_STORE_H_

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "testing/fake_resources.h"
#include "testing/selectors.h"
#include "vkubelet/clock.h"

namespace vkubelet::testing::internal {

using MessagePtr = std::shared_ptr<const google::protobuf::Message>;

// One version of one object. Immutable after construction; encodings are
// computed once per slot and shared by every reader.
class ObjectVersion {
 public:
  static constexpr int kSlots = 8;
  ObjectVersion(MessagePtr object, int64_t rv) : object_(std::move(object)), rv_(rv) {}

  const google::protobuf::Message& object() const { return *object_; }
  const MessagePtr& ptr() const { return object_; }
  int64_t rv() const { return rv_; }
  const metav1::ObjectMeta& meta() const { return Meta(*object_); }

  // The cached bytes of slot `slot`, computed by `make` on first use.
  const std::string& Cached(int slot, absl::FunctionRef<std::string()> make) const;

 private:
  MessagePtr object_;
  int64_t rv_;
  mutable std::array<std::once_flag, kSlots> once_;
  mutable std::array<std::string, kSlots> cache_;
};
using VersionPtr = std::shared_ptr<const ObjectVersion>;

enum class EventType { kAdded, kModified, kDeleted, kBookmark, kError };
std::string_view EventTypeName(EventType type);

// One change, as kept in history and handed to watchers.
struct EventRecord {
  EventType type;
  VersionPtr object;  // the new version (for DELETED: the last state, with the deletion's rv)
  VersionPtr prev;    // the version before (MODIFIED, DELETED), else null
};
using EventPtr = std::shared_ptr<const EventRecord>;

struct WatchFilter {
  std::string ns;  // empty: all namespaces
  LabelSelector labels;
  FieldSelector fields;
};

// A watch's queue. The store pushes; the consumer drains after its ready
// callback runs. Thread-safe.
class Watcher {
 public:
  struct Item {
    EventType type;
    VersionPtr object;   // null for kError
    EventPtr record;     // the history record when `type` equals its type (its cached frames may be reused)
    absl::Status error;  // kError only
  };

  Watcher(Storage storage, WatchFilter filter, bool bookmarks, size_t queue_limit)
      : storage_(storage), filter_(std::move(filter)), bookmarks_(bookmarks), queue_limit_(queue_limit) {}

  // Called (from any thread, possibly with store locks held: it must not
  // block or call back into the store) whenever the queue becomes non-empty
  // or the watch closes.
  void SetReadyCallback(std::function<void()> cb);
  // Moves every queued item into `out`. Returns false once the watch is
  // closed: nothing will follow what was moved.
  bool Drain(std::vector<Item>* out);
  bool closed() const;
  Storage storage() const { return storage_; }
  bool bookmarks() const { return bookmarks_; }
  const WatchFilter& filter() const { return filter_; }
  bool Matches(const google::protobuf::Message& obj) const;

  // Store side.
  void Offer(const EventPtr& rec);
  void Push(Item item);
  void Close();

 private:
  void NotifyLocked(bool was_empty) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Storage storage_;
  const WatchFilter filter_;
  const bool bookmarks_;
  const size_t queue_limit_;
  mutable absl::Mutex mu_;
  std::deque<Item> queue_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::function<void()> ready_ ABSL_GUARDED_BY(mu_);
};

struct ListQuery {
  std::string ns;
  LabelSelector labels;
  FieldSelector fields;
  int64_t limit = 0;
  std::string continue_token;
  std::optional<int64_t> resource_version;  // nullopt or 0: latest
  std::string resource_version_match;       // "", "NotOlderThan", "Exact"
};

struct ListResult {
  std::vector<VersionPtr> items;
  int64_t resource_version = 0;
  std::string continue_token;
  std::optional<int64_t> remaining_item_count;
};

struct WatchQuery {
  WatchFilter filter;
  std::optional<int64_t> resource_version;  // nullopt or 0: start with the current state
  bool bookmarks = false;
  bool send_initial_events = false;
};

struct DeleteRequest {
  std::optional<int64_t> grace_period_seconds;
  std::optional<std::string> precondition_uid;
  std::optional<std::string> precondition_resource_version;
};

struct DeleteResult {
  VersionPtr object;     // the object after the operation (last state if removed)
  bool removed = false;  // false: graceful deletion pending or finalizers left
};

enum class UpdateMode {
  kMain,    // PUT/PATCH of the object: status is kept from storage
  kStatus,  // PUT/PATCH of .../status: only status (and labels/annotations) change
  kSystem,  // server-internal (binding): no immutability validation
};

struct StoreOptions {
  const Clock* clock = Clock::Real();
  // Events kept per resource for watches from a resourceVersion.
  size_t history_limit = 100000;
  // A watcher that falls this far behind is closed (its client re-watches).
  size_t watcher_queue_limit = 200000;
};

struct StoreStats {
  int64_t resource_version = 0;
  size_t objects = 0;
  size_t watchers = 0;
};

class Store {
 public:
  explicit Store(StoreOptions options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  absl::StatusOr<VersionPtr> Get(Storage storage, std::string_view ns, std::string_view name) const;
  absl::StatusOr<ListResult> List(Storage storage, const ListQuery& query) const;

  // `obj` is of the storage's type; its namespace must already be set for
  // namespaced resources. Applies generateName, uid, timestamps, defaults.
  absl::StatusOr<VersionPtr> Create(const ResourceType& type, std::unique_ptr<google::protobuf::Message> obj,
                                    bool dry_run = false);
  // Replaces the object named by obj's metadata. A non-empty
  // metadata.resourceVersion must match (409 otherwise).
  absl::StatusOr<VersionPtr> Update(const ResourceType& type, std::unique_ptr<google::protobuf::Message> obj,
                                    UpdateMode mode, bool dry_run = false);
  // Read-modify-write: `mutate` gets the current object and returns the
  // desired one; retried if the object changes in between. The returned
  // object's resourceVersion, if set and different from the one read, is a
  // precondition (409).
  using MutateFn = std::function<absl::StatusOr<std::unique_ptr<google::protobuf::Message>>(
      const google::protobuf::Message& current)>;
  absl::StatusOr<VersionPtr> GuaranteedUpdate(const ResourceType& type, std::string_view ns, std::string_view name,
                                              UpdateMode mode, const MutateFn& mutate, bool dry_run = false);
  absl::StatusOr<DeleteResult> Delete(const ResourceType& type, std::string_view ns, std::string_view name,
                                      const DeleteRequest& request, bool dry_run = false);

  // Starts a watch. The watcher receives the initial/replayed events before
  // this returns; an ERROR item (410 Expired) when the version is too old.
  absl::StatusOr<std::shared_ptr<Watcher>> Watch(Storage storage, const WatchQuery& query);
  // Removes a watcher (its consumer went away).
  void StopWatch(const std::shared_ptr<Watcher>& watcher);

  // Closes every open watch (clients see the stream end and re-watch).
  void DropWatches();
  // Forgets the event history: a watch from any current or older version
  // then gets 410 Expired.
  void Compact();
  // Sends a BOOKMARK with the current resourceVersion to every watcher that
  // asked for bookmarks.
  void SendBookmarks();
  // Queues a BOOKMARK with the current resourceVersion for one watcher, in
  // order with its events (sent before a watch times out).
  void Bookmark(const std::shared_ptr<Watcher>& watcher);

  // Blocks until `pred` holds for the object (nullptr when it does not
  // exist) or `timeout` passes. Returns the last version seen (null if absent)
  // or DeadlineExceeded.
  absl::StatusOr<VersionPtr> WaitFor(Storage storage, std::string_view ns, std::string_view name,
                                     const std::function<bool(const google::protobuf::Message*)>& pred,
                                     absl::Duration timeout) const;

  int64_t CurrentResourceVersion() const;
  StoreStats Stats() const;
  const Clock* clock() const { return options_.clock; }

 private:
  struct Shard {
    absl::btree_map<std::string, VersionPtr> objects;  // key: "ns/name" or "name"
    // Pods only: spec.nodeName -> keys.
    absl::flat_hash_map<std::string, absl::btree_set<std::string>> by_node;
    std::deque<EventPtr> history;
    int64_t oldest_rv = 0;  // history holds every event with rv > oldest_rv
    absl::flat_hash_map<Watcher*, std::shared_ptr<Watcher>> watchers;
    // Pod watchers with a spec.nodeName=X selector, by X (fan-out index).
    absl::flat_hash_map<std::string, absl::flat_hash_map<Watcher*, std::shared_ptr<Watcher>>> node_watchers;
  };

  static std::string Key(std::string_view ns, std::string_view name);
  Shard& shard(Storage s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return shards_[static_cast<int>(s)]; }
  const Shard& shard(Storage s) const ABSL_SHARED_LOCKS_REQUIRED(mu_) { return shards_[static_cast<int>(s)]; }

  absl::StatusOr<VersionPtr> UpdateLocked(const ResourceType& type, std::unique_ptr<google::protobuf::Message> obj,
                                          UpdateMode mode, bool dry_run, const VersionPtr* expected)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<DeleteResult> DeleteLocked(const ResourceType& type, std::string_view ns, std::string_view name,
                                            const DeleteRequest& request, bool dry_run)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Writes a new version (or removes the object when `remove`) and publishes
  // the event.
  VersionPtr CommitLocked(Storage storage, const std::string& key, std::unique_ptr<google::protobuf::Message> obj,
                          EventType type, const VersionPtr& prev) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PublishLocked(Storage storage, const EventPtr& rec) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void IndexLocked(Storage storage, const std::string& key, const VersionPtr& old_version,
                   const VersionPtr& new_version) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string AllocateClusterIpLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const StoreOptions options_;
  mutable absl::Mutex mu_;
  mutable absl::CondVar changed_;
  int64_t rv_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t compacted_rv_ ABSL_GUARDED_BY(mu_) = 0;
  uint32_t next_cluster_ip_ ABSL_GUARDED_BY(mu_) = 10;
  std::array<Shard, kStorageCount> shards_ ABSL_GUARDED_BY(mu_);
};

// Deterministic protobuf bytes (map entries sorted), for equality checks.
std::string DeterministicBytes(const google::protobuf::Message& msg);

}  // namespace vkubelet::testing::internal

#endif  // VKUBELET_TESTING_FAKE_STORE_H_
