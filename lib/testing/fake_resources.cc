// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "testing/fake_resources.h"

#include <algorithm>
#include <cctype>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "testing/api_errors.h"
#include "vkubelet/internal/status_macros.h"

namespace vkubelet::testing::internal {
namespace {

using google::protobuf::Message;
using vkubelet::internal::ToAbsl;

const std::vector<std::string> kRwVerbs = {"create", "delete", "deletecollection", "get",
                                           "list",   "patch",  "update",           "watch"};

std::vector<ResourceType> BuildResources() {
  std::vector<ResourceType> r;
  auto add = [&](std::string group, std::string version, std::string kind, std::string plural,
                 std::vector<std::string> short_names, bool namespaced, const Message* proto, const Message* list,
                 std::vector<std::string> subresources, Storage storage) -> ResourceType& {
    ResourceType t;
    t.group = std::move(group);
    t.version = std::move(version);
    t.kind = kind;
    t.list_kind = list != nullptr ? kind + "List" : "";
    t.plural = std::move(plural);
    t.singular = absl::AsciiStrToLower(kind);
    t.short_names = std::move(short_names);
    t.namespaced = namespaced;
    t.prototype = proto;
    t.list_prototype = list;
    t.subresources = std::move(subresources);
    t.verbs = kRwVerbs;
    t.storage = storage;
    r.push_back(std::move(t));
    return r.back();
  };
  add("", "v1", "Namespace", "namespaces", {"ns"}, false, &corev1::Namespace::default_instance(),
      &corev1::NamespaceList::default_instance(), {"status"}, Storage::kNamespace)
      .verbs = {"create", "delete", "get", "list", "patch", "update", "watch"};
  add("", "v1", "Pod", "pods", {"po"}, true, &corev1::Pod::default_instance(), &corev1::PodList::default_instance(),
      {"status", "binding", "eviction", "log", "exec", "attach", "portforward", "proxy"}, Storage::kPod)
      .categories = {"all"};
  add("", "v1", "Node", "nodes", {"no"}, false, &corev1::Node::default_instance(),
      &corev1::NodeList::default_instance(), {"status", "proxy"}, Storage::kNode);
  add("", "v1", "ConfigMap", "configmaps", {"cm"}, true, &corev1::ConfigMap::default_instance(),
      &corev1::ConfigMapList::default_instance(), {}, Storage::kConfigMap);
  add("", "v1", "Secret", "secrets", {}, true, &corev1::Secret::default_instance(),
      &corev1::SecretList::default_instance(), {}, Storage::kSecret);
  add("", "v1", "Service", "services", {"svc"}, true, &corev1::Service::default_instance(),
      &corev1::ServiceList::default_instance(), {"status"}, Storage::kService)
      .categories = {"all"};
  add("", "v1", "Event", "events", {"ev"}, true, &corev1::Event::default_instance(),
      &corev1::EventList::default_instance(), {}, Storage::kEvent);
  add("", "v1", "ServiceAccount", "serviceaccounts", {"sa"}, true, &corev1::ServiceAccount::default_instance(),
      &corev1::ServiceAccountList::default_instance(), {}, Storage::kServiceAccount);
  add("", "v1", "Endpoints", "endpoints", {"ep"}, true, &corev1::Endpoints::default_instance(),
      &corev1::EndpointsList::default_instance(), {}, Storage::kEndpoints);
  add("coordination.k8s.io", "v1", "Lease", "leases", {}, true, &coordinationv1::Lease::default_instance(),
      &coordinationv1::LeaseList::default_instance(), {}, Storage::kLease);
  add("events.k8s.io", "v1", "Event", "events", {"ev"}, true, &eventsv1::Event::default_instance(),
      &eventsv1::EventList::default_instance(), {}, Storage::kEvent)
      .is_view = true;
  add("authentication.k8s.io", "v1", "TokenReview", "tokenreviews", {}, false,
      &authenticationv1::TokenReview::default_instance(), nullptr, {}, Storage::kNone)
      .verbs = {"create"};
  add("authorization.k8s.io", "v1", "SubjectAccessReview", "subjectaccessreviews", {}, false,
      &authorizationv1::SubjectAccessReview::default_instance(), nullptr, {}, Storage::kNone)
      .verbs = {"create"};
  return r;
}

template <typename T>
T* As(Message* m) {
  return static_cast<T*>(m);
}
template <typename T>
const T& As(const Message& m) {
  return static_cast<const T&>(m);
}

bool IsDnsLabel(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-')) {
      return false;
    }
  }
  return s.front() != '-' && s.back() != '-';
}

bool IsDnsSubdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  while (start <= s.size()) {
    size_t dot = s.find('.', start);
    std::string_view part = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!IsDnsLabel(part)) return false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

constexpr char kSubdomainMessage[] =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start "
    "and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
constexpr char kLabelMessage[] =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end "
    "with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

std::string Quote(std::string_view s) { return absl::StrCat("\"", ToAbsl(s), "\""); }

void DefaultProbe(corev1::Probe* p) {
  if (!p->has_timeoutseconds()) p->set_timeoutseconds(1);
  if (!p->has_periodseconds()) p->set_periodseconds(10);
  if (!p->has_successthreshold()) p->set_successthreshold(1);
  if (!p->has_failurethreshold()) p->set_failurethreshold(3);
  if (p->has_handler() && p->handler().has_httpget() && !p->handler().httpget().has_scheme()) {
    p->mutable_handler()->mutable_httpget()->set_scheme("HTTP");
  }
}

std::string DefaultPullPolicy(std::string_view image) {
  // A digest pins the image; otherwise ":latest" or no tag means Always.
  if (image.find('@') != std::string_view::npos) return "IfNotPresent";
  size_t slash = image.rfind('/');
  std::string_view last = slash == std::string_view::npos ? image : image.substr(slash + 1);
  size_t colon = last.rfind(':');
  if (colon == std::string_view::npos) return "Always";
  return last.substr(colon + 1) == "latest" ? "Always" : "IfNotPresent";
}

template <typename C>
void DefaultContainerCommon(C* c) {
  if (!c->has_terminationmessagepath()) c->set_terminationmessagepath("/dev/termination-log");
  if (!c->has_terminationmessagepolicy()) c->set_terminationmessagepolicy("File");
  if (!c->has_imagepullpolicy()) c->set_imagepullpolicy(DefaultPullPolicy(c->image()));
  auto* res = c->mutable_resources();
  for (const auto& [name, q] : res->limits()) {
    if (!res->requests().contains(name)) (*res->mutable_requests())[name] = q;
  }
  for (auto& port : *c->mutable_ports()) {
    if (!port.has_protocol()) port.set_protocol("TCP");
  }
  for (auto& env : *c->mutable_env()) {
    if (env.has_valuefrom() && env.valuefrom().has_fieldref() && !env.valuefrom().fieldref().has_apiversion()) {
      env.mutable_valuefrom()->mutable_fieldref()->set_apiversion("v1");
    }
  }
  if (c->has_livenessprobe()) DefaultProbe(c->mutable_livenessprobe());
  if (c->has_readinessprobe()) DefaultProbe(c->mutable_readinessprobe());
  if (c->has_startupprobe()) DefaultProbe(c->mutable_startupprobe());
}

void DefaultPod(corev1::Pod* pod) {
  auto* spec = pod->mutable_spec();
  if (!spec->has_restartpolicy()) spec->set_restartpolicy("Always");
  if (!spec->has_terminationgraceperiodseconds()) spec->set_terminationgraceperiodseconds(30);
  if (!spec->has_dnspolicy()) spec->set_dnspolicy("ClusterFirst");
  if (!spec->has_securitycontext()) spec->mutable_securitycontext();
  if (!spec->has_schedulername()) spec->set_schedulername("default-scheduler");
  if (!spec->has_enableservicelinks()) spec->set_enableservicelinks(true);
  if (!spec->has_priority()) spec->set_priority(0);
  if (!spec->has_preemptionpolicy()) spec->set_preemptionpolicy("PreemptLowerPriority");
  if (!spec->has_serviceaccountname() && !spec->has_serviceaccount()) spec->set_serviceaccountname("default");
  if (!spec->has_serviceaccount()) spec->set_serviceaccount(spec->serviceaccountname());
  if (!spec->has_serviceaccountname()) spec->set_serviceaccountname(spec->serviceaccount());
  for (auto& c : *spec->mutable_containers()) DefaultContainerCommon(&c);
  for (auto& c : *spec->mutable_initcontainers()) DefaultContainerCommon(&c);
  for (auto& c : *spec->mutable_ephemeralcontainers()) DefaultContainerCommon(c.mutable_ephemeralcontainercommon());
  for (auto& v : *spec->mutable_volumes()) {
    auto* src = v.mutable_volumesource();
    if (src->has_secret() && !src->secret().has_defaultmode()) src->mutable_secret()->set_defaultmode(420);
    if (src->has_configmap() && !src->configmap().has_defaultmode()) src->mutable_configmap()->set_defaultmode(420);
    if (src->has_projected() && !src->projected().has_defaultmode()) src->mutable_projected()->set_defaultmode(420);
    if (src->has_downwardapi() && !src->downwardapi().has_defaultmode()) {
      src->mutable_downwardapi()->set_defaultmode(420);
    }
  }
  // DefaultTolerationSeconds admission.
  for (const char* key : {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"}) {
    bool has = false;
    for (const auto& t : spec->tolerations()) {
      if ((t.key() == key || (t.key().empty() && t.operator_() == "Exists")) &&
          (t.effect().empty() || t.effect() == "NoExecute")) {
        has = true;
      }
    }
    if (!has) {
      auto* t = spec->add_tolerations();
      t->set_key(key);
      t->set_operator_("Exists");
      t->set_effect("NoExecute");
      t->set_tolerationseconds(300);
    }
  }
}

bool QuantityIsZero(const resourcepb::Quantity& q) {
  const std::string& s = q.string();
  if (s.empty()) return true;
  for (char c : s) {
    if (std::isdigit(static_cast<unsigned char>(c)) && c != '0') return false;
    if (std::isalpha(static_cast<unsigned char>(c))) break;
  }
  return true;
}

}  // namespace

const std::vector<ResourceType>& Resources() {
  static const std::vector<ResourceType>* const kResources = new std::vector<ResourceType>(BuildResources());
  return *kResources;
}

const ResourceType* FindResource(std::string_view group, std::string_view version, std::string_view plural) {
  for (const ResourceType& t : Resources()) {
    if (t.group == group && t.version == version && t.plural == plural) return &t;
  }
  return nullptr;
}

const ResourceType* FindResourceByKind(std::string_view api_version, std::string_view kind) {
  for (const ResourceType& t : Resources()) {
    if (t.ApiVersion() == api_version && t.kind == kind) return &t;
  }
  return nullptr;
}

const ResourceType* FindResourceByMessage(std::string_view full_name) {
  for (const ResourceType& t : Resources()) {
    if (!t.is_view && t.prototype->GetDescriptor()->full_name() == full_name) return &t;
  }
  return nullptr;
}

const ResourceType& StorageResource(Storage storage) {
  for (const ResourceType& t : Resources()) {
    if (t.storage == storage && !t.is_view) return t;
  }
  return Resources().front();
}

const metav1::ObjectMeta& Meta(const Message& obj) {
  const auto* field = obj.GetDescriptor()->FindFieldByNumber(1);
  return static_cast<const metav1::ObjectMeta&>(obj.GetReflection()->GetMessage(obj, field));
}

metav1::ObjectMeta* MutableMeta(Message* obj) {
  const auto* field = obj->GetDescriptor()->FindFieldByNumber(1);
  return static_cast<metav1::ObjectMeta*>(obj->GetReflection()->MutableMessage(obj, field));
}

std::unique_ptr<Message> ToView(const ResourceType& type, const Message& stored) {
  if (!type.is_view) {
    std::unique_ptr<Message> copy(stored.New());
    copy->CopyFrom(stored);
    return copy;
  }
  const auto& in = As<corev1::Event>(stored);
  auto out = std::make_unique<eventsv1::Event>();
  *out->mutable_metadata() = in.metadata();
  if (in.has_eventtime()) *out->mutable_eventtime() = in.eventtime();
  if (in.has_series()) {
    out->mutable_series()->set_count(in.series().count());
    *out->mutable_series()->mutable_lastobservedtime() = in.series().lastobservedtime();
  }
  if (in.has_reportingcomponent()) out->set_reportingcontroller(in.reportingcomponent());
  if (in.has_reportinginstance()) out->set_reportinginstance(in.reportinginstance());
  if (in.has_action()) out->set_action(in.action());
  if (in.has_reason()) out->set_reason(in.reason());
  if (in.has_involvedobject()) *out->mutable_regarding() = in.involvedobject();
  if (in.has_related()) *out->mutable_related() = in.related();
  if (in.has_message()) out->set_note(in.message());
  if (in.has_type()) out->set_type(in.type());
  if (in.has_source()) *out->mutable_deprecatedsource() = in.source();
  if (in.has_firsttimestamp()) *out->mutable_deprecatedfirsttimestamp() = in.firsttimestamp();
  if (in.has_lasttimestamp()) *out->mutable_deprecatedlasttimestamp() = in.lasttimestamp();
  if (in.has_count()) out->set_deprecatedcount(in.count());
  return out;
}

std::unique_ptr<Message> FromView(const ResourceType& type, const Message& view) {
  if (!type.is_view) {
    std::unique_ptr<Message> copy(view.New());
    copy->CopyFrom(view);
    return copy;
  }
  const auto& in = As<eventsv1::Event>(view);
  auto out = std::make_unique<corev1::Event>();
  *out->mutable_metadata() = in.metadata();
  if (in.has_eventtime()) *out->mutable_eventtime() = in.eventtime();
  if (in.has_series()) {
    out->mutable_series()->set_count(in.series().count());
    *out->mutable_series()->mutable_lastobservedtime() = in.series().lastobservedtime();
  }
  if (in.has_reportingcontroller()) out->set_reportingcomponent(in.reportingcontroller());
  if (in.has_reportinginstance()) out->set_reportinginstance(in.reportinginstance());
  if (in.has_action()) out->set_action(in.action());
  if (in.has_reason()) out->set_reason(in.reason());
  if (in.has_regarding()) *out->mutable_involvedobject() = in.regarding();
  if (in.has_related()) *out->mutable_related() = in.related();
  if (in.has_note()) out->set_message(in.note());
  if (in.has_type()) out->set_type(in.type());
  if (in.has_deprecatedsource()) *out->mutable_source() = in.deprecatedsource();
  if (in.has_deprecatedfirsttimestamp()) *out->mutable_firsttimestamp() = in.deprecatedfirsttimestamp();
  if (in.has_deprecatedlasttimestamp()) *out->mutable_lasttimestamp() = in.deprecatedlasttimestamp();
  if (in.has_deprecatedcount()) out->set_count(in.deprecatedcount());
  return out;
}

std::string PodQosClass(const corev1::Pod& pod) {
  bool any = false;
  bool guaranteed = true;
  auto visit = [&](const corev1::ResourceRequirements& res) {
    for (const char* name : {"cpu", "memory"}) {
      auto req = res.requests().find(name);
      auto lim = res.limits().find(name);
      bool has_req = req != res.requests().end() && !QuantityIsZero(req->second);
      bool has_lim = lim != res.limits().end() && !QuantityIsZero(lim->second);
      if (has_req || has_lim) any = true;
      if (!has_lim) guaranteed = false;
      if (has_req && has_lim && req->second.string() != lim->second.string()) guaranteed = false;
    }
  };
  for (const auto& c : pod.spec().containers()) visit(c.resources());
  for (const auto& c : pod.spec().initcontainers()) visit(c.resources());
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

void PrepareForCreate(Storage storage, Message* obj, const CreateContext& ctx) {
  switch (storage) {
    case Storage::kPod: {
      auto* pod = As<corev1::Pod>(obj);
      DefaultPod(pod);
      pod->clear_status();
      pod->mutable_status()->set_phase("Pending");
      pod->mutable_status()->set_qosclass(PodQosClass(*pod));
      break;
    }
    case Storage::kNamespace: {
      auto* ns = As<corev1::Namespace>(obj);
      if (ns->spec().finalizers().empty()) ns->mutable_spec()->add_finalizers("kubernetes");
      ns->clear_status();
      ns->mutable_status()->set_phase("Active");
      (*ns->mutable_metadata()->mutable_labels())["kubernetes.io/metadata.name"] = ns->metadata().name();
      break;
    }
    case Storage::kService: {
      auto* svc = As<corev1::Service>(obj);
      auto* spec = svc->mutable_spec();
      if (!spec->has_type()) spec->set_type("ClusterIP");
      if (!spec->has_sessionaffinity()) spec->set_sessionaffinity("None");
      if (spec->type() != "ExternalName") {
        if (spec->clusterip().empty() && ctx.allocate_cluster_ip != nullptr) {
          spec->set_clusterip(ctx.allocate_cluster_ip(ctx.arg));
        }
        if (spec->clusterips().empty() && !spec->clusterip().empty()) spec->add_clusterips(spec->clusterip());
        if (spec->ipfamilies().empty()) spec->add_ipfamilies("IPv4");
        if (!spec->has_ipfamilypolicy()) spec->set_ipfamilypolicy("SingleStack");
        if (!spec->has_internaltrafficpolicy()) spec->set_internaltrafficpolicy("Cluster");
      }
      for (auto& port : *spec->mutable_ports()) {
        if (!port.has_protocol()) port.set_protocol("TCP");
        if (!port.has_targetport()) {
          port.mutable_targetport()->set_type(0);
          port.mutable_targetport()->set_intval(port.port());
        }
      }
      svc->clear_status();
      svc->mutable_status()->mutable_loadbalancer();
      break;
    }
    case Storage::kSecret: {
      auto* secret = As<corev1::Secret>(obj);
      if (!secret->has_type()) secret->set_type("Opaque");
      for (const auto& [k, v] : secret->stringdata()) (*secret->mutable_data())[k] = v;
      secret->clear_stringdata();
      break;
    }
    case Storage::kNode: {
      auto* node = As<corev1::Node>(obj);
      node->mutable_status()->clear_config();
      break;
    }
    default:
      break;
  }
  (void)ctx;
}

bool HasStatus(Storage storage) {
  return storage == Storage::kPod || storage == Storage::kNode || storage == Storage::kNamespace ||
         storage == Storage::kService;
}

void PrepareForUpdate(Storage storage, Message* obj, const Message& old, bool status_update) {
  metav1::ObjectMeta* meta = MutableMeta(obj);
  const metav1::ObjectMeta& old_meta = Meta(old);
  const auto* desc = obj->GetDescriptor();
  const auto* refl = obj->GetReflection();
  const auto* status_field = desc->FindFieldByName("status");
  if (status_update) {
    // Keep the new status and labels/annotations/finalizers; everything else
    // comes from the stored object.
    std::unique_ptr<Message> status;
    if (status_field != nullptr) {
      status.reset(refl->GetMessage(*obj, status_field).New());
      status->CopyFrom(refl->GetMessage(*obj, status_field));
    }
    metav1::ObjectMeta new_meta = *meta;
    obj->CopyFrom(old);
    meta = MutableMeta(obj);
    *meta->mutable_labels() = new_meta.labels();
    *meta->mutable_annotations() = new_meta.annotations();
    *meta->mutable_finalizers() = new_meta.finalizers();
    meta->set_resourceversion(new_meta.resourceversion());
    if (status) refl->MutableMessage(obj, status_field)->CopyFrom(*status);
  } else if (HasStatus(storage) && status_field != nullptr) {
    refl->MutableMessage(obj, status_field)->CopyFrom(old.GetReflection()->GetMessage(old, status_field));
  }
  meta->set_name(old_meta.name());
  if (old_meta.has_namespace_()) meta->set_namespace_(old_meta.namespace_());
  meta->set_uid(old_meta.uid());
  *meta->mutable_creationtimestamp() = old_meta.creationtimestamp();
  if (old_meta.has_deletiontimestamp()) {
    *meta->mutable_deletiontimestamp() = old_meta.deletiontimestamp();
  } else {
    meta->clear_deletiontimestamp();
  }
  if (old_meta.has_deletiongraceperiodseconds()) {
    meta->set_deletiongraceperiodseconds(old_meta.deletiongraceperiodseconds());
  } else {
    meta->clear_deletiongraceperiodseconds();
  }
  if (old_meta.has_generatename()) {
    meta->set_generatename(old_meta.generatename());
  } else {
    meta->clear_generatename();
  }
  meta->clear_selflink();
  if (old_meta.has_generation()) {
    meta->set_generation(old_meta.generation());
  } else {
    meta->clear_generation();
  }
  if (storage == Storage::kSecret && !status_update) {
    auto* secret = As<corev1::Secret>(obj);
    for (const auto& [k, v] : secret->stringdata()) (*secret->mutable_data())[k] = v;
    secret->clear_stringdata();
  }
  if (storage == Storage::kPod && status_update) {
    // The status endpoint may not touch owner references (pod status strategy).
    *meta->mutable_ownerreferences() = old_meta.ownerreferences();
  }
}

absl::Status ValidateCreate(const ResourceType& type, const Message& obj) {
  const metav1::ObjectMeta& meta = Meta(obj);
  std::vector<FieldCause> causes;
  const std::string& name = meta.name();
  bool label_names = type.storage == Storage::kNamespace || type.storage == Storage::kService;
  if (name.empty()) {
    causes.push_back({"FieldValueRequired", "metadata.name", "Required value: name or generateName is required"});
  } else if (label_names ? !IsDnsLabel(name) : (!IsDnsSubdomain(name) && type.storage != Storage::kEvent)) {
    causes.push_back({"FieldValueInvalid", "metadata.name",
                      absl::StrCat("Invalid value: ", Quote(name), ": ", label_names ? kLabelMessage : kSubdomainMessage)});
  }
  for (const auto& [k, v] : meta.labels()) {
    if (v.size() > 63) {
      causes.push_back({"FieldValueInvalid", absl::StrCat("metadata.labels"),
                        absl::StrCat("Invalid value: ", Quote(v), ": must be no more than 63 characters")});
    }
  }
  if (type.storage == Storage::kPod) {
    const auto& pod = As<corev1::Pod>(obj);
    if (pod.spec().containers().empty()) {
      causes.push_back({"FieldValueRequired", "spec.containers", "Required value"});
    }
    for (int i = 0; i < pod.spec().containers_size(); ++i) {
      const auto& c = pod.spec().containers(i);
      if (c.name().empty()) {
        causes.push_back({"FieldValueRequired", absl::StrCat("spec.containers[", i, "].name"), "Required value"});
      } else if (!IsDnsLabel(c.name())) {
        causes.push_back({"FieldValueInvalid", absl::StrCat("spec.containers[", i, "].name"),
                          absl::StrCat("Invalid value: ", Quote(c.name()), ": ", kLabelMessage)});
      }
      if (c.image().empty()) {
        causes.push_back({"FieldValueRequired", absl::StrCat("spec.containers[", i, "].image"), "Required value"});
      }
    }
    if (pod.spec().has_terminationgraceperiodseconds() && pod.spec().terminationgraceperiodseconds() < 0) {
      causes.push_back({"FieldValueInvalid", "spec.terminationGracePeriodSeconds",
                        "Invalid value: must be greater than or equal to 0"});
    }
  }
  if (type.storage == Storage::kLease) {
    const auto& lease = As<coordinationv1::Lease>(obj);
    if (lease.spec().has_leasedurationseconds() && lease.spec().leasedurationseconds() <= 0) {
      causes.push_back({"FieldValueInvalid", "spec.leaseDurationSeconds",
                        absl::StrCat("Invalid value: ", lease.spec().leasedurationseconds(), ": must be greater than 0")});
    }
  }
  if (!causes.empty()) return InvalidError(type.kind, type.group, name, causes);
  return absl::OkStatus();
}

absl::Status ValidateUpdate(const ResourceType& type, const Message& obj, const Message& old) {
  const metav1::ObjectMeta& meta = Meta(obj);
  std::vector<FieldCause> causes;
  if (type.storage == Storage::kPod) {
    // Pod spec is immutable except for a few fields (pod validation).
    corev1::PodSpec a = As<corev1::Pod>(obj).spec();
    corev1::PodSpec b = As<corev1::Pod>(old).spec();
    auto normalize = [](corev1::PodSpec* s) {
      for (auto& c : *s->mutable_containers()) c.clear_image();
      for (auto& c : *s->mutable_initcontainers()) c.clear_image();
      s->clear_activedeadlineseconds();
      s->clear_tolerations();
      s->clear_schedulinggates();
      s->clear_terminationgraceperiodseconds();
    };
    normalize(&a);
    normalize(&b);
    if (a.SerializeAsString() != b.SerializeAsString()) {
      causes.push_back({"FieldValueForbidden", "spec",
                        "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
                        "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
                        "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be "
                        "set to 1 if it was previously negative)"});
    }
  }
  if (!causes.empty()) return InvalidError(type.kind, type.group, meta.name(), causes);
  return absl::OkStatus();
}

int64_t DeletionGracePeriod(Storage storage, const Message& obj, std::optional<int64_t> requested) {
  if (storage != Storage::kPod) return 0;
  const auto& pod = As<corev1::Pod>(obj);
  int64_t grace = requested.has_value() ? *requested
                  : pod.spec().has_terminationgraceperiodseconds() ? pod.spec().terminationgraceperiodseconds()
                                                                    : 30;
  if (pod.spec().nodename().empty()) return 0;
  if (pod.status().phase() == "Succeeded" || pod.status().phase() == "Failed") return 0;
  if (grace < 0) grace = 1;
  return grace;
}

bool IsSelectableField(Storage storage, std::string_view field) {
  if (field == "metadata.name") return true;
  if (field == "metadata.namespace") return StorageResource(storage).namespaced;
  switch (storage) {
    case Storage::kPod:
      return field == "spec.nodeName" || field == "spec.restartPolicy" || field == "spec.schedulerName" ||
             field == "spec.serviceAccountName" || field == "spec.hostNetwork" || field == "status.phase" ||
             field == "status.podIP" || field == "status.nominatedNodeName";
    case Storage::kNode:
      return field == "spec.unschedulable";
    case Storage::kNamespace:
      return field == "status.phase";
    case Storage::kSecret:
      return field == "type";
    case Storage::kEvent:
      return absl::StartsWith(ToAbsl(field), "involvedObject.") || field == "reason" || field == "source" ||
             field == "type" || field == "reportingComponent" || absl::StartsWith(ToAbsl(field), "regarding.") ||
             field == "reportingController" || field == "deprecatedSource";
    default:
      return false;
  }
}

std::optional<std::string> FieldValue(Storage storage, const Message& obj, std::string_view field) {
  const metav1::ObjectMeta& meta = Meta(obj);
  if (field == "metadata.name") return meta.name();
  if (field == "metadata.namespace") return meta.namespace_();
  switch (storage) {
    case Storage::kPod: {
      const auto& pod = As<corev1::Pod>(obj);
      if (field == "spec.nodeName") return pod.spec().nodename();
      if (field == "spec.restartPolicy") return pod.spec().restartpolicy();
      if (field == "spec.schedulerName") return pod.spec().schedulername();
      if (field == "spec.serviceAccountName") return pod.spec().serviceaccountname();
      if (field == "spec.hostNetwork") return pod.spec().hostnetwork() ? "true" : "false";
      if (field == "status.phase") return pod.status().phase();
      if (field == "status.podIP") return pod.status().podip();
      if (field == "status.nominatedNodeName") return pod.status().nominatednodename();
      break;
    }
    case Storage::kNode:
      if (field == "spec.unschedulable") return As<corev1::Node>(obj).spec().unschedulable() ? "true" : "false";
      break;
    case Storage::kNamespace:
      if (field == "status.phase") return As<corev1::Namespace>(obj).status().phase();
      break;
    case Storage::kSecret:
      if (field == "type") return As<corev1::Secret>(obj).type();
      break;
    case Storage::kEvent: {
      const auto& ev = As<corev1::Event>(obj);
      std::string_view f = field;
      if (absl::StartsWith(ToAbsl(f), "regarding.")) f.remove_prefix(std::string_view("regarding.").size());
      else if (absl::StartsWith(ToAbsl(f), "involvedObject.")) f.remove_prefix(std::string_view("involvedObject.").size());
      else f = std::string_view();
      const auto& ref = ev.involvedobject();
      if (!f.empty()) {
        if (f == "kind") return ref.kind();
        if (f == "namespace") return ref.namespace_();
        if (f == "name") return ref.name();
        if (f == "uid") return ref.uid();
        if (f == "apiVersion") return ref.apiversion();
        if (f == "resourceVersion") return ref.resourceversion();
        if (f == "fieldPath") return ref.fieldpath();
        return std::nullopt;
      }
      if (field == "reason") return ev.reason();
      if (field == "source" || field == "deprecatedSource") return ev.source().component();
      if (field == "type") return ev.type();
      if (field == "reportingComponent" || field == "reportingController") return ev.reportingcomponent();
      break;
    }
    default:
      break;
  }
  return std::nullopt;
}

metav1::Time ToMetaTime(absl::Time t) {
  metav1::Time out;
  out.set_seconds(absl::ToUnixSeconds(t));
  out.set_nanos(0);
  return out;
}

absl::Time FromMetaTime(const metav1::Time& t) { return absl::FromUnixSeconds(t.seconds()); }

std::string NewUid() {
  thread_local absl::BitGen gen;
  uint64_t hi = absl::Uniform<uint64_t>(gen);
  uint64_t lo = absl::Uniform<uint64_t>(gen);
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", hi >> 32, (hi >> 16) & 0xffff, hi & 0xffff, lo >> 48,
                         lo & 0xffffffffffffULL);
}

std::string RandomNameSuffix() {
  // The alphabet the API server uses (no vowels, no look-alikes).
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  thread_local absl::BitGen gen;
  std::string out;
  for (int i = 0; i < 5; ++i) out += kAlphabet[absl::Uniform<size_t>(gen, 0, sizeof(kAlphabet) - 1)];
  return out;
}

}  // namespace vkubelet::testing::internal
