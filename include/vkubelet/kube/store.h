// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Store<T>: a thread-safe in-memory cache of immutable API objects keyed by
// (namespace, name), ordered so that one namespace is a contiguous range (the
// namespace index). Lister<T>: its read-only view, handed to controllers.
//
// Objects are held as std::shared_ptr<const T>: a read returns the cached
// object itself (no copy); writers replace objects, never mutate them. Memory
// per object: the object plus a small constant (one index entry and the
// shared_ptr control block — the index keys point into the object's own
// metadata strings).

#ifndef VKUBELET_KUBE_STORE_H_
#define VKUBELET_KUBE_STORE_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_map.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/message.h"
#include "vkubelet/types.h"

namespace vkubelet::kube {

namespace internal {

// The untyped store. Every object must be a message with a
// `metadata` field of type meta/v1 ObjectMeta. Thread-safe.
class StoreCore {
 public:
  using Object = std::shared_ptr<const google::protobuf::Message>;

  StoreCore() = default;
  StoreCore(const StoreCore&) = delete;
  StoreCore& operator=(const StoreCore&) = delete;

  static const metav1::ObjectMeta& MetaOf(const google::protobuf::Message& obj);

  Object Get(std::string_view ns, std::string_view name) const;
  std::vector<Object> List() const;
  std::vector<Object> ListNamespace(std::string_view ns) const;
  // Calls fn for each object (in key order) under a read lock; fn must not
  // call back into the store.
  void ForEach(std::string_view ns, bool all_namespaces, const std::function<void(const Object&)>& fn) const;
  size_t Size() const;

  // Inserts or replaces; returns the previous object (nullptr if none).
  Object Upsert(Object obj);
  // Removes; returns the removed object (nullptr if none).
  Object Remove(std::string_view ns, std::string_view name);
  void Clear();

 private:
  // Views into the stored object's metadata (kept alive by the value).
  using Key = std::pair<std::string_view, std::string_view>;
  mutable absl::Mutex mu_;
  absl::btree_map<Key, Object> objects_ ABSL_GUARDED_BY(mu_);
};

}  // namespace internal

// Read-only view of a Store. Copyable, cheap; thread-safe; stays valid after
// the Informer that made it is gone.
template <typename T>
class Lister {
 public:
  explicit Lister(std::shared_ptr<const internal::StoreCore> core) : core_(std::move(core)) {}

  // The cached object, or nullptr. Cluster-scoped kinds: ns "".
  std::shared_ptr<const T> Get(std::string_view ns, std::string_view name) const {
    return std::static_pointer_cast<const T>(core_->Get(ns, name));
  }
  // Every object, ordered by (namespace, name).
  std::vector<std::shared_ptr<const T>> List() const { return Cast(core_->List()); }
  // The objects of one namespace (an index range, not a scan).
  std::vector<std::shared_ptr<const T>> List(std::string_view ns) const { return Cast(core_->ListNamespace(ns)); }
  // The objects of `ns` ("" with all_namespaces = every object) for which
  // `pred` holds. `pred` runs under the store's read lock: keep it short.
  std::vector<std::shared_ptr<const T>> ListIf(std::string_view ns, bool all_namespaces,
                                               const std::function<bool(const T&)>& pred) const {
    std::vector<std::shared_ptr<const T>> out;
    core_->ForEach(ns, all_namespaces, [&](const internal::StoreCore::Object& o) {
      if (pred(static_cast<const T&>(*o))) out.push_back(std::static_pointer_cast<const T>(o));
    });
    return out;
  }
  size_t Size() const { return core_->Size(); }

 private:
  static std::vector<std::shared_ptr<const T>> Cast(std::vector<internal::StoreCore::Object> in) {
    std::vector<std::shared_ptr<const T>> out;
    out.reserve(in.size());
    for (auto& o : in) out.push_back(std::static_pointer_cast<const T>(std::move(o)));
    return out;
  }
  std::shared_ptr<const internal::StoreCore> core_;
};

// A writable store (an Informer keeps one; tests and fakes can fill one by
// hand and hand out its Lister). Thread-safe.
template <typename T>
class Store {
 public:
  Store() : core_(std::make_shared<internal::StoreCore>()) {}
  explicit Store(std::shared_ptr<internal::StoreCore> core) : core_(std::move(core)) {}

  // Inserts or replaces the object with the same namespace/name; returns the
  // previous one (nullptr if none).
  std::shared_ptr<const T> Upsert(std::shared_ptr<const T> obj) {
    return std::static_pointer_cast<const T>(core_->Upsert(std::move(obj)));
  }
  std::shared_ptr<const T> Upsert(T obj) { return Upsert(std::make_shared<const T>(std::move(obj))); }
  std::shared_ptr<const T> Remove(std::string_view ns, std::string_view name) {
    return std::static_pointer_cast<const T>(core_->Remove(ns, name));
  }
  void Clear() { core_->Clear(); }

  std::shared_ptr<const T> Get(std::string_view ns, std::string_view name) const { return lister().Get(ns, name); }
  std::vector<std::shared_ptr<const T>> List() const { return lister().List(); }
  std::vector<std::shared_ptr<const T>> List(std::string_view ns) const { return lister().List(ns); }
  size_t Size() const { return core_->Size(); }

  Lister<T> lister() const { return Lister<T>(core_); }

 private:
  std::shared_ptr<internal::StoreCore> core_;
};

}  // namespace vkubelet::kube

#endif  // VKUBELET_KUBE_STORE_H_
