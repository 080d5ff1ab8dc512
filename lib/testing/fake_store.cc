// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "testing/fake_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "testing/api_errors.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/internal/status_macros.h"

namespace vkubelet::testing::internal {
namespace {

using google::protobuf::Message;
using vkubelet::internal::ToAbsl;

std::unique_ptr<Message> Clone(const Message& m) {
  std::unique_ptr<Message> out(m.New());
  out->CopyFrom(m);
  return out;
}

std::string RvString(int64_t rv) { return absl::StrCat(rv); }

std::string EncodeContinue(int64_t rv, std::string_view key) {
  return absl::WebSafeBase64Escape(absl::StrCat(rv, "|", ToAbsl(key)));
}

bool DecodeContinue(std::string_view token, int64_t* rv, std::string* key) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(ToAbsl(token), &raw)) return false;
  size_t bar = raw.find('|');
  if (bar == std::string::npos) return false;
  if (!absl::SimpleAtoi(absl::string_view(raw).substr(0, bar), rv)) return false;
  *key = raw.substr(bar + 1);
  return true;
}

std::string NodeOf(const VersionPtr& v) {
  if (!v) return "";
  return static_cast<const corev1::Pod&>(v->object()).spec().nodename();
}

}  // namespace

std::string DeterministicBytes(const Message& msg) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream raw(&out);
    google::protobuf::io::CodedOutputStream coded(&raw);
    coded.SetSerializationDeterministic(true);
    msg.SerializeToCodedStream(&coded);
  }
  return out;
}

std::string_view EventTypeName(EventType type) {
  switch (type) {
    case EventType::kAdded: return "ADDED";
    case EventType::kModified: return "MODIFIED";
    case EventType::kDeleted: return "DELETED";
    case EventType::kBookmark: return "BOOKMARK";
    case EventType::kError: return "ERROR";
  }
  return "ERROR";
}

const std::string& ObjectVersion::Cached(int slot, absl::FunctionRef<std::string()> make) const {
  std::call_once(once_[slot], [&] { cache_[slot] = make(); });
  return cache_[slot];
}

// ---------------------------------------------------------------------------
// Watcher

void Watcher::SetReadyCallback(std::function<void()> cb) {
  bool fire;
  {
    absl::MutexLock lock(&mu_);
    ready_ = std::move(cb);
    fire = !queue_.empty() || closed_;
  }
  if (fire && ready_) ready_();
}

bool Watcher::Drain(std::vector<Item>* out) {
  absl::MutexLock lock(&mu_);
  while (!queue_.empty()) {
    out->push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return !closed_;
}

bool Watcher::closed() const {
  absl::MutexLock lock(&mu_);
  return closed_;
}

bool Watcher::Matches(const Message& obj) const {
  if (!filter_.ns.empty() && Meta(obj).namespace_() != filter_.ns) return false;
  if (!filter_.labels.Empty() && !filter_.labels.Matches(Meta(obj).labels())) return false;
  if (!filter_.fields.Empty() &&
      !filter_.fields.Matches([&](std::string_view f) { return FieldValue(storage_, obj, f); })) {
    return false;
  }
  return true;
}

void Watcher::NotifyLocked(bool was_empty) {
  if (was_empty && ready_) ready_();
}

void Watcher::Offer(const EventPtr& rec) {
  bool now_matches = rec->object && Matches(rec->object->object());
  bool before_matches = rec->prev && Matches(rec->prev->object());
  Item item;
  switch (rec->type) {
    case EventType::kAdded:
      if (!now_matches) return;
      item = {EventType::kAdded, rec->object, rec, {}};
      break;
    case EventType::kModified:
      if (now_matches && before_matches) {
        item = {EventType::kModified, rec->object, rec, {}};
      } else if (now_matches) {
        item = {EventType::kAdded, rec->object, nullptr, {}};
      } else if (before_matches) {
        // Stopped matching: the watcher sees it go away, as the last state it
        // matched, at the new resourceVersion.
        std::unique_ptr<Message> copy = Clone(rec->prev->object());
        MutableMeta(copy.get())->set_resourceversion(RvString(rec->object->rv()));
        item = {EventType::kDeleted, std::make_shared<ObjectVersion>(MessagePtr(std::move(copy)), rec->object->rv()),
                nullptr, {}};
      } else {
        return;
      }
      break;
    case EventType::kDeleted:
      if (!now_matches) return;
      item = {EventType::kDeleted, rec->object, rec, {}};
      break;
    default:
      return;
  }
  Push(std::move(item));
}

void Watcher::Push(Item item) {
  absl::MutexLock lock(&mu_);
  if (closed_) return;
  if (queue_.size() >= queue_limit_) {
    // Too slow: end the watch after what is queued (the client re-watches
    // from the last version it saw, so nothing is lost).
    closed_ = true;
    NotifyLocked(true);
    return;
  }
  bool was_empty = queue_.empty();
  queue_.push_back(std::move(item));
  NotifyLocked(was_empty);
}

void Watcher::Close() {
  absl::MutexLock lock(&mu_);
  if (closed_) return;
  closed_ = true;
  NotifyLocked(true);
}

// ---------------------------------------------------------------------------
// Store

Store::Store(StoreOptions options) : options_(std::move(options)) {}

Store::~Store() { DropWatches(); }

std::string Store::Key(std::string_view ns, std::string_view name) {
  if (ns.empty()) return std::string(name);
  return absl::StrCat(ToAbsl(ns), "/", ToAbsl(name));
}

int64_t Store::CurrentResourceVersion() const {
  absl::MutexLock lock(&mu_);
  return rv_;
}

StoreStats Store::Stats() const {
  absl::MutexLock lock(&mu_);
  StoreStats s;
  s.resource_version = rv_;
  for (const Shard& sh : shards_) {
    s.objects += sh.objects.size();
    s.watchers += sh.watchers.size();
    for (const auto& [node, ws] : sh.node_watchers) s.watchers += ws.size();
  }
  return s;
}

absl::StatusOr<VersionPtr> Store::Get(Storage storage, std::string_view ns, std::string_view name) const {
  absl::MutexLock lock(&mu_);
  const Shard& sh = shard(storage);
  auto it = sh.objects.find(Key(ns, name));
  if (it == sh.objects.end()) {
    const ResourceType& t = StorageResource(storage);
    return NotFoundError(t.plural, t.group, name);
  }
  return it->second;
}

absl::StatusOr<ListResult> Store::List(Storage storage, const ListQuery& q) const {
  absl::MutexLock lock(&mu_);
  const Shard& sh = shard(storage);
  ListResult result;
  int64_t list_rv = rv_;
  if (q.resource_version.has_value() && *q.resource_version > rv_) {
    return TimeoutError(absl::StrCat("Too large resource version: ", *q.resource_version, ", current: ", rv_), 1);
  }
  if (q.resource_version_match == "Exact" && q.resource_version.value_or(0) != rv_) {
    return ExpiredError(absl::StrCat("too old resource version: ", q.resource_version.value_or(0), " (", rv_, ")"));
  }
  std::string start_after;
  bool continuing = false;
  if (!q.continue_token.empty()) {
    int64_t token_rv;
    if (!DecodeContinue(q.continue_token, &token_rv, &start_after)) {
      return BadRequestError("continue key is not valid: illegal base64 data");
    }
    if (token_rv < compacted_rv_ || token_rv < sh.oldest_rv) {
      return ExpiredError(
          "The provided continue parameter is too old to display a consistent list result. You can start a new list "
          "without the continue parameter, or use the continue token in this response to retrieve the remainder of "
          "the results. Continuing with the provided token results in an inconsistent list - objects that were "
          "created, modified, or deleted between the time the first chunk was returned and now may show up in the "
          "list.");
    }
    list_rv = token_rv;
    continuing = true;
  }
  const bool filtered = !q.labels.Empty() || !q.fields.Empty();
  auto matches = [&](const VersionPtr& v) {
    const Message& obj = v->object();
    if (!q.ns.empty() && Meta(obj).namespace_() != q.ns) return false;
    if (!q.labels.Empty() && !q.labels.Matches(Meta(obj).labels())) return false;
    if (!q.fields.Empty() && !q.fields.Matches([&](std::string_view f) { return FieldValue(storage, obj, f); })) {
      return false;
    }
    return true;
  };
  const std::string prefix = q.ns.empty() || !StorageResource(storage).namespaced ? "" : q.ns + "/";
  bool more = false;
  std::string last_key;

  // Walk keys in order: from the node index when the selector names a node,
  // else the namespace's key range.
  auto walk = [&](auto begin, auto end, auto key_of, auto value_of) {
    for (auto it = begin; it != end; ++it) {
      const std::string& key = key_of(it);
      if (!prefix.empty() && !absl::StartsWith(key, prefix)) break;
      VersionPtr v = value_of(it);
      if (!v || !matches(v)) continue;
      if (q.limit > 0 && static_cast<int64_t>(result.items.size()) >= q.limit) {
        more = true;
        break;
      }
      result.items.push_back(std::move(v));
      last_key = key;
    }
  };
  std::optional<std::string> node =
      storage == Storage::kPod ? q.fields.EqualityValue("spec.nodeName") : std::nullopt;
  if (node.has_value()) {
    auto nit = sh.by_node.find(*node);
    if (nit != sh.by_node.end()) {
      const auto& keys = nit->second;
      auto begin = continuing ? keys.upper_bound(start_after) : keys.lower_bound(prefix);
      walk(
          begin, keys.end(), [](auto it) -> const std::string& { return *it; },
          [&](auto it) -> VersionPtr {
            auto o = sh.objects.find(*it);
            return o == sh.objects.end() ? nullptr : o->second;
          });
    }
  } else {
    auto begin = continuing ? sh.objects.upper_bound(start_after) : sh.objects.lower_bound(prefix);
    walk(
        begin, sh.objects.end(), [](auto it) -> const std::string& { return it->first; },
        [](auto it) -> VersionPtr { return it->second; });
  }
  result.resource_version = list_rv;
  if (more) {
    result.continue_token = EncodeContinue(list_rv, last_key);
    if (!filtered) {
      int64_t remaining = 0;
      for (auto it = sh.objects.upper_bound(last_key); it != sh.objects.end(); ++it) {
        if (!prefix.empty() && !absl::StartsWith(it->first, prefix)) break;
        ++remaining;
      }
      result.remaining_item_count = remaining;
    }
  }
  return result;
}

std::string Store::AllocateClusterIpLocked() {
  uint32_t n = next_cluster_ip_++;
  return absl::StrCat("10.96.", (n >> 8) & 0xff, ".", n & 0xff);
}

absl::StatusOr<VersionPtr> Store::Create(const ResourceType& type, std::unique_ptr<Message> obj, bool dry_run) {
  if (type.storage == Storage::kNone) return InternalError("resource has no storage");
  absl::MutexLock lock(&mu_);
  Shard& sh = shard(type.storage);
  metav1::ObjectMeta* meta = MutableMeta(obj.get());
  if (meta->name().empty() && !meta->generatename().empty()) {
    for (int i = 0; i < 100; ++i) {
      std::string candidate = meta->generatename() + RandomNameSuffix();
      if (!sh.objects.contains(Key(meta->namespace_(), candidate))) {
        meta->set_name(candidate);
        break;
      }
    }
  }
  if (!type.namespaced) meta->clear_namespace_();
  VK_RETURN_IF_ERROR(ValidateCreate(type, *obj));
  if (type.namespaced) {
    auto ns = shard(Storage::kNamespace).objects.find(meta->namespace_());
    if (ns == shard(Storage::kNamespace).objects.end()) {
      return NotFoundError("namespaces", "", meta->namespace_());
    }
    if (ns->second->meta().has_deletiontimestamp()) {
      return ForbiddenError(absl::StrCat(QualifiedResource(type.plural, type.group), " \"", meta->name(),
                                         "\" is forbidden: unable to create new content in namespace ",
                                         meta->namespace_(), " because it is being terminated"));
    }
  }
  std::string key = Key(meta->namespace_(), meta->name());
  if (sh.objects.contains(key)) return AlreadyExistsError(type.plural, type.group, meta->name());
  absl::Time now = options_.clock->Now();
  meta->set_uid(NewUid());
  *meta->mutable_creationtimestamp() = ToMetaTime(now);
  meta->clear_deletiontimestamp();
  meta->clear_deletiongraceperiodseconds();
  meta->clear_resourceversion();
  meta->clear_selflink();
  meta->clear_generation();
  if (type.storage == Storage::kNode || type.storage == Storage::kNamespace) meta->clear_namespace_();
  CreateContext ctx;
  ctx.now = now;
  ctx.allocate_cluster_ip = [](void* arg) { return static_cast<Store*>(arg)->AllocateClusterIpLocked(); };
  ctx.arg = this;
  PrepareForCreate(type.storage, obj.get(), ctx);
  if (dry_run) return std::make_shared<ObjectVersion>(MessagePtr(std::move(obj)), 0);
  return CommitLocked(type.storage, key, std::move(obj), EventType::kAdded, nullptr);
}

absl::StatusOr<VersionPtr> Store::Update(const ResourceType& type, std::unique_ptr<Message> obj, UpdateMode mode,
                                         bool dry_run) {
  absl::MutexLock lock(&mu_);
  return UpdateLocked(type, std::move(obj), mode, dry_run, nullptr);
}

absl::StatusOr<VersionPtr> Store::UpdateLocked(const ResourceType& type, std::unique_ptr<Message> obj,
                                               UpdateMode mode, bool dry_run, const VersionPtr* expected) {
  Shard& sh = shard(type.storage);
  const metav1::ObjectMeta& meta = Meta(*obj);
  std::string ns = type.namespaced ? meta.namespace_() : "";
  std::string key = Key(ns, meta.name());
  auto it = sh.objects.find(key);
  if (it == sh.objects.end()) return NotFoundError(type.plural, type.group, meta.name());
  VersionPtr old = it->second;
  if (expected != nullptr && *expected != old) return absl::AbortedError("retry");
  if (!meta.resourceversion().empty() && meta.resourceversion() != RvString(old->rv())) {
    return ConflictError(type.plural, type.group, meta.name(), kModifiedDetail);
  }
  if (!meta.uid().empty() && meta.uid() != old->meta().uid()) {
    return InvalidError(type.kind, type.group, meta.name(),
                        {{"FieldValueInvalid", "metadata.uid",
                          absl::StrCat("Invalid value: \"", meta.uid(), "\": field is immutable")}});
  }
  PrepareForUpdate(type.storage, obj.get(), old->object(), mode == UpdateMode::kStatus);
  if (mode == UpdateMode::kMain) VK_RETURN_IF_ERROR(ValidateUpdate(type, *obj, old->object()));
  metav1::ObjectMeta* m = MutableMeta(obj.get());
  m->set_resourceversion(RvString(old->rv()));
  if (DeterministicBytes(*obj) == DeterministicBytes(old->object())) return old;  // no-op: no new version
  if (dry_run) return std::make_shared<ObjectVersion>(MessagePtr(std::move(obj)), old->rv());
  if (m->has_deletiontimestamp() && m->finalizers().empty() && m->deletiongraceperiodseconds() == 0) {
    // The last finalizer went away from an object whose deletion is due.
    return CommitLocked(type.storage, key, std::move(obj), EventType::kDeleted, old);
  }
  return CommitLocked(type.storage, key, std::move(obj), EventType::kModified, old);
}

absl::StatusOr<VersionPtr> Store::GuaranteedUpdate(const ResourceType& type, std::string_view ns,
                                                   std::string_view name, UpdateMode mode, const MutateFn& mutate,
                                                   bool dry_run) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    VK_ASSIGN_OR_RETURN(VersionPtr current, Get(type.storage, type.namespaced ? ns : "", name));
    VK_ASSIGN_OR_RETURN(std::unique_ptr<Message> desired, mutate(current->object()));
    metav1::ObjectMeta* meta = MutableMeta(desired.get());
    meta->set_name(std::string(name));
    if (type.namespaced) meta->set_namespace_(std::string(ns));
    absl::MutexLock lock(&mu_);
    absl::StatusOr<VersionPtr> r = UpdateLocked(type, std::move(desired), mode, dry_run, &current);
    if (!r.ok() && r.status().code() == absl::StatusCode::kAborted && r.status().message() == "retry") continue;
    return r;
  }
  return ConflictError(type.plural, type.group, name, kModifiedDetail);
}

absl::StatusOr<DeleteResult> Store::Delete(const ResourceType& type, std::string_view ns, std::string_view name,
                                           const DeleteRequest& request, bool dry_run) {
  absl::MutexLock lock(&mu_);
  return DeleteLocked(type, type.namespaced ? ns : "", name, request, dry_run);
}

absl::StatusOr<DeleteResult> Store::DeleteLocked(const ResourceType& type, std::string_view ns,
                                                 std::string_view name, const DeleteRequest& req, bool dry_run) {
  Shard& sh = shard(type.storage);
  std::string key = Key(ns, name);
  auto it = sh.objects.find(key);
  if (it == sh.objects.end()) return NotFoundError(type.plural, type.group, name);
  VersionPtr old = it->second;
  const metav1::ObjectMeta& old_meta = old->meta();
  if (req.precondition_uid.has_value() && *req.precondition_uid != old_meta.uid()) {
    return ConflictError(type.plural, type.group, name,
                         absl::StrCat("Precondition failed: UID in precondition: ", *req.precondition_uid,
                                      ", UID in object meta: ", old_meta.uid()));
  }
  if (req.precondition_resource_version.has_value() &&
      *req.precondition_resource_version != old_meta.resourceversion()) {
    return ConflictError(type.plural, type.group, name,
                         absl::StrCat("Precondition failed: ResourceVersion in precondition: ",
                                      *req.precondition_resource_version,
                                      ", ResourceVersion in meta: ", old_meta.resourceversion()));
  }
  if (dry_run) return DeleteResult{old, false};
  absl::Time now = options_.clock->Now();
  auto with_deletion = [&](const VersionPtr& from, int64_t grace) {
    std::unique_ptr<Message> copy = Clone(from->object());
    metav1::ObjectMeta* m = MutableMeta(copy.get());
    *m->mutable_deletiontimestamp() = ToMetaTime(now + absl::Seconds(grace));
    m->set_deletiongraceperiodseconds(grace);
    return copy;
  };
  auto remove = [&](const VersionPtr& from) {
    return CommitLocked(type.storage, key, Clone(from->object()), EventType::kDeleted, from);
  };

  if (type.storage == Storage::kNamespace) {
    // The namespace controller's work, done at once: mark Terminating, delete
    // the content, remove the namespace.
    std::unique_ptr<Message> term = with_deletion(old, 0);
    static_cast<corev1::Namespace*>(term.get())->mutable_status()->set_phase("Terminating");
    VersionPtr terminating = CommitLocked(type.storage, key, std::move(term), EventType::kModified, old);
    std::string prefix = absl::StrCat(ToAbsl(name), "/");
    for (int s = 0; s < kStorageCount; ++s) {
      if (s == static_cast<int>(Storage::kNamespace)) continue;
      Shard& other = shards_[s];
      std::vector<std::pair<std::string, VersionPtr>> doomed;
      for (auto o = other.objects.lower_bound(prefix); o != other.objects.end() && absl::StartsWith(o->first, prefix);
           ++o) {
        doomed.emplace_back(o->first, o->second);
      }
      for (auto& [k, v] : doomed) CommitLocked(static_cast<Storage>(s), k, Clone(v->object()), EventType::kDeleted, v);
    }
    remove(terminating);
    return DeleteResult{terminating, true};
  }

  const int64_t grace = DeletionGracePeriod(type.storage, old->object(), req.grace_period_seconds);
  const bool finalizers = !old_meta.finalizers().empty();
  if (old_meta.has_deletiontimestamp()) {
    int64_t current = old_meta.deletiongraceperiodseconds();
    // A second DELETE may only shorten the grace period.
    if (grace >= current) {
      if (current == 0 && !finalizers) return DeleteResult{remove(old), true};
      return DeleteResult{old, false};
    }
    VersionPtr shortened = CommitLocked(type.storage, key, with_deletion(old, grace), EventType::kModified, old);
    if (grace == 0 && !finalizers) return DeleteResult{remove(shortened), true};
    return DeleteResult{shortened, false};
  }
  if (grace > 0 || finalizers) {
    VersionPtr pending = CommitLocked(type.storage, key, with_deletion(old, grace), EventType::kModified, old);
    return DeleteResult{pending, false};
  }
  return DeleteResult{remove(old), true};
}

VersionPtr Store::CommitLocked(Storage storage, const std::string& key, std::unique_ptr<Message> obj, EventType type,
                               const VersionPtr& prev) {
  Shard& sh = shard(storage);
  int64_t rv = ++rv_;
  MutableMeta(obj.get())->set_resourceversion(RvString(rv));
  auto version = std::make_shared<ObjectVersion>(MessagePtr(std::move(obj)), rv);
  if (type == EventType::kDeleted) {
    sh.objects.erase(key);
    IndexLocked(storage, key, prev, nullptr);
  } else {
    sh.objects[key] = version;
    IndexLocked(storage, key, prev, version);
  }
  PublishLocked(storage, std::make_shared<EventRecord>(EventRecord{type, version, prev}));
  changed_.SignalAll();
  return version;
}

void Store::IndexLocked(Storage storage, const std::string& key, const VersionPtr& old_version,
                        const VersionPtr& new_version) {
  if (storage != Storage::kPod) return;
  Shard& sh = shard(storage);
  std::string before = NodeOf(old_version);
  std::string after = NodeOf(new_version);
  if (old_version && (!new_version || before != after)) {
    auto it = sh.by_node.find(before);
    if (it != sh.by_node.end()) {
      it->second.erase(key);
      if (it->second.empty()) sh.by_node.erase(it);
    }
  }
  if (new_version) sh.by_node[after].insert(key);
}

void Store::PublishLocked(Storage storage, const EventPtr& rec) {
  Shard& sh = shard(storage);
  sh.history.push_back(rec);
  while (sh.history.size() > options_.history_limit) {
    sh.oldest_rv = sh.history.front()->object->rv();
    sh.history.pop_front();
  }
  auto offer_all = [&](absl::flat_hash_map<Watcher*, std::shared_ptr<Watcher>>& ws) {
    for (auto it = ws.begin(); it != ws.end();) {
      it->second->Offer(rec);
      if (it->second->closed()) {
        ws.erase(it++);
      } else {
        ++it;
      }
    }
  };
  offer_all(sh.watchers);
  if (storage == Storage::kPod && !sh.node_watchers.empty()) {
    std::string a = NodeOf(rec->object);
    std::string b = NodeOf(rec->prev);
    if (auto it = sh.node_watchers.find(a); it != sh.node_watchers.end()) offer_all(it->second);
    if (b != a) {
      if (auto it = sh.node_watchers.find(b); it != sh.node_watchers.end()) offer_all(it->second);
    }
  }
}

absl::StatusOr<std::shared_ptr<Watcher>> Store::Watch(Storage storage, const WatchQuery& q) {
  auto w = std::make_shared<Watcher>(storage, q.filter, q.bookmarks, options_.watcher_queue_limit);
  absl::MutexLock lock(&mu_);
  Shard& sh = shard(storage);
  const int64_t from = q.resource_version.value_or(0);
  if (from > 0 && !q.send_initial_events) {
    if (from < sh.oldest_rv || from < compacted_rv_) {
      int64_t oldest = std::max(sh.oldest_rv, compacted_rv_) + 1;
      w->Push({EventType::kError, nullptr, nullptr,
               ExpiredError(absl::StrCat("too old resource version: ", from, " (", oldest, ")"))});
      w->Close();
      return w;
    }
    auto first = std::upper_bound(sh.history.begin(), sh.history.end(), from,
                                  [](int64_t rv, const EventPtr& e) { return rv < e->object->rv(); });
    for (auto it = first; it != sh.history.end(); ++it) w->Offer(*it);
  } else {
    const std::string prefix =
        q.filter.ns.empty() || !StorageResource(storage).namespaced ? "" : q.filter.ns + "/";
    for (auto it = sh.objects.lower_bound(prefix); it != sh.objects.end(); ++it) {
      if (!prefix.empty() && !absl::StartsWith(it->first, prefix)) break;
      if (w->Matches(it->second->object())) w->Push({EventType::kAdded, it->second, nullptr, {}});
    }
    if (q.send_initial_events) {
      std::unique_ptr<Message> mark(StorageResource(storage).prototype->New());
      metav1::ObjectMeta* m = MutableMeta(mark.get());
      m->set_resourceversion(RvString(rv_));
      (*m->mutable_annotations())["k8s.io/initial-events-end"] = "true";
      w->Push({EventType::kBookmark, std::make_shared<ObjectVersion>(MessagePtr(std::move(mark)), rv_), nullptr, {}});
    }
  }
  std::optional<std::string> node =
      storage == Storage::kPod ? q.filter.fields.EqualityValue("spec.nodeName") : std::nullopt;
  if (node.has_value()) {
    sh.node_watchers[*node][w.get()] = w;
  } else {
    sh.watchers[w.get()] = w;
  }
  return w;
}

void Store::StopWatch(const std::shared_ptr<Watcher>& watcher) {
  watcher->Close();
  absl::MutexLock lock(&mu_);
  Shard& sh = shard(watcher->storage());
  sh.watchers.erase(watcher.get());
  for (auto it = sh.node_watchers.begin(); it != sh.node_watchers.end();) {
    it->second.erase(watcher.get());
    if (it->second.empty()) {
      sh.node_watchers.erase(it++);
    } else {
      ++it;
    }
  }
}

void Store::DropWatches() {
  std::vector<std::shared_ptr<Watcher>> all;
  {
    absl::MutexLock lock(&mu_);
    for (Shard& sh : shards_) {
      for (auto& [p, w] : sh.watchers) all.push_back(w);
      for (auto& [n, ws] : sh.node_watchers) {
        for (auto& [p, w] : ws) all.push_back(w);
      }
      sh.watchers.clear();
      sh.node_watchers.clear();
    }
  }
  for (auto& w : all) w->Close();
}

void Store::Compact() {
  absl::MutexLock lock(&mu_);
  compacted_rv_ = rv_;
  for (Shard& sh : shards_) {
    sh.history.clear();
    sh.oldest_rv = rv_;
  }
}

void Store::SendBookmarks() {
  absl::MutexLock lock(&mu_);
  for (int s = 0; s < kStorageCount; ++s) {
    Shard& sh = shards_[s];
    if (sh.watchers.empty() && sh.node_watchers.empty()) continue;
    std::unique_ptr<Message> mark(StorageResource(static_cast<Storage>(s)).prototype->New());
    MutableMeta(mark.get())->set_resourceversion(RvString(rv_));
    auto version = std::make_shared<ObjectVersion>(MessagePtr(std::move(mark)), rv_);
    auto send = [&](auto& ws) {
      for (auto& [p, w] : ws) {
        if (w->bookmarks()) w->Push({EventType::kBookmark, version, nullptr, {}});
      }
    };
    send(sh.watchers);
    for (auto& [n, ws] : sh.node_watchers) send(ws);
  }
}

void Store::Bookmark(const std::shared_ptr<Watcher>& watcher) {
  absl::MutexLock lock(&mu_);
  std::unique_ptr<Message> mark(StorageResource(watcher->storage()).prototype->New());
  MutableMeta(mark.get())->set_resourceversion(RvString(rv_));
  watcher->Push({EventType::kBookmark, std::make_shared<ObjectVersion>(MessagePtr(std::move(mark)), rv_), nullptr, {}});
}

absl::StatusOr<VersionPtr> Store::WaitFor(Storage storage, std::string_view ns, std::string_view name,
                                          const std::function<bool(const Message*)>& pred,
                                          absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  absl::MutexLock lock(&mu_);
  const std::string key = Key(StorageResource(storage).namespaced ? ns : "", name);
  while (true) {
    const Shard& sh = shard(storage);
    auto it = sh.objects.find(key);
    VersionPtr v = it == sh.objects.end() ? nullptr : it->second;
    if (pred(v ? &v->object() : nullptr)) return v;
    if (changed_.WaitWithDeadline(&mu_, deadline)) {
      v = nullptr;
      it = sh.objects.find(key);
      if (it != sh.objects.end()) v = it->second;
      if (pred(v ? &v->object() : nullptr)) return v;
      return absl::DeadlineExceededError(
          absl::StrCat("timed out after ", absl::FormatDuration(timeout), " waiting for ", key));
    }
  }
}

}  // namespace vkubelet::testing::internal
