// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/kube/store.h"

namespace vkubelet::kube::internal {

const metav1::ObjectMeta& StoreCore::MetaOf(const google::protobuf::Message& obj) {
  const google::protobuf::Descriptor* d = obj.GetDescriptor();
  // Every API object has `metadata` as field 1 (ObjectMeta).
  const google::protobuf::FieldDescriptor* f = d->FindFieldByNumber(1);
  if (f == nullptr || f->message_type() != metav1::ObjectMeta::descriptor()) f = d->FindFieldByName("metadata");
  if (f == nullptr || f->message_type() != metav1::ObjectMeta::descriptor()) {
    return metav1::ObjectMeta::default_instance();
  }
  return static_cast<const metav1::ObjectMeta&>(obj.GetReflection()->GetMessage(obj, f));
}

StoreCore::Object StoreCore::Get(std::string_view ns, std::string_view name) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = objects_.find(Key(ns, name));
  return it == objects_.end() ? nullptr : it->second;
}

std::vector<StoreCore::Object> StoreCore::List() const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<Object> out;
  out.reserve(objects_.size());
  for (const auto& [key, obj] : objects_) out.push_back(obj);
  return out;
}

std::vector<StoreCore::Object> StoreCore::ListNamespace(std::string_view ns) const {
  std::vector<Object> out;
  ForEach(ns, false, [&out](const Object& o) { out.push_back(o); });
  return out;
}

void StoreCore::ForEach(std::string_view ns, bool all_namespaces, const std::function<void(const Object&)>& fn) const {
  absl::ReaderMutexLock lock(&mu_);
  if (all_namespaces) {
    for (const auto& [key, obj] : objects_) fn(obj);
    return;
  }
  for (auto it = objects_.lower_bound(Key(ns, std::string_view())); it != objects_.end() && it->first.first == ns;
       ++it) {
    fn(it->second);
  }
}

size_t StoreCore::Size() const {
  absl::ReaderMutexLock lock(&mu_);
  return objects_.size();
}

StoreCore::Object StoreCore::Upsert(Object obj) {
  const metav1::ObjectMeta& meta = MetaOf(*obj);
  Key key(meta.namespace_(), meta.name());
  absl::MutexLock lock(&mu_);
  Object old;
  auto it = objects_.find(key);
  if (it != objects_.end()) {
    // The old key points into the old object: re-key with the new one.
    old = std::move(it->second);
    objects_.erase(it);
  }
  objects_.emplace(key, std::move(obj));
  return old;
}

StoreCore::Object StoreCore::Remove(std::string_view ns, std::string_view name) {
  absl::MutexLock lock(&mu_);
  auto it = objects_.find(Key(ns, name));
  if (it == objects_.end()) return nullptr;
  Object old = std::move(it->second);
  objects_.erase(it);
  return old;
}

void StoreCore::Clear() {
  absl::btree_map<Key, Object> old;
  {
    absl::MutexLock lock(&mu_);
    old.swap(objects_);
  }
  // Objects are released outside the lock.
}

}  // namespace vkubelet::kube::internal
