// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/node/env.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/internal/status_macros.h"
#include "vkubelet/log.h"
#include "vkubelet/node/event_reasons.h"
#include "vkubelet/resource/quantity.h"

namespace vkubelet::node {

using internal::ToAbsl;

// --- Expansion -------------------------------------------------------------------------

std::string ExpandEnvReferences(std::string_view input,
                                const std::function<const std::string*(std::string_view)>& lookup) {
  std::string out;
  out.reserve(input.size());
  size_t i = 0;
  while (i < input.size()) {
    const char c = input[i];
    if (c != '$' || i + 1 >= input.size()) {
      out.push_back(c);
      ++i;
      continue;
    }
    const char next = input[i + 1];
    if (next == '$') {  // "$$" is an escaped "$"
      out.push_back('$');
      i += 2;
    } else if (next == '(') {
      size_t close = input.find(')', i + 2);
      if (close == std::string_view::npos) {  // incomplete reference: literal
        out.append("$(");
        i += 2;
        continue;
      }
      std::string_view name = input.substr(i + 2, close - i - 2);
      const std::string* value = lookup ? lookup(name) : nullptr;
      if (value != nullptr) {
        out.append(*value);
      } else {
        out.append("$(").append(name).append(")");
      }
      i = close + 1;
    } else {  // "$" not starting a reference
      out.push_back('$');
      out.push_back(next);
      i += 2;
    }
  }
  return out;
}

bool IsValidEnvVarName(std::string_view name) {
  if (name.empty()) return false;
  auto lead = [](char c) { return c == '-' || c == '.' || c == '_' || absl::ascii_isalpha(c); };
  if (!lead(name[0])) return false;
  for (char c : name.substr(1)) {
    if (!lead(c) && !absl::ascii_isdigit(c)) return false;
  }
  if (name == "." || name == ".." || absl::StartsWith(ToAbsl(name), "..")) return false;
  return true;
}

// --- Downward API ----------------------------------------------------------------------

namespace {

// Go's %q for the strings that appear in labels and annotations.
std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += absl::StrFormat("\\x%02x", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out += "\"";
  return out;
}

// `k="v"` lines sorted by key, as the kubelet formats whole label/annotation maps.
std::string FormatMap(const google::protobuf::Map<std::string, std::string>& m) {
  std::vector<std::pair<std::string, std::string>> items(m.begin(), m.end());
  std::sort(items.begin(), items.end());
  std::vector<std::string> lines;
  lines.reserve(items.size());
  for (const auto& [k, v] : items) lines.push_back(absl::StrCat(k, "=", GoQuote(v)));
  return absl::StrJoin(lines, "\n");
}

// metadata.labels['key'] → ("metadata.labels", "key").
std::optional<std::pair<std::string_view, std::string_view>> SplitSubscript(std::string_view path) {
  size_t open = path.find("['");
  if (open == std::string_view::npos || path.size() < open + 4 || path.substr(path.size() - 2) != "']") {
    return std::nullopt;
  }
  return std::make_pair(path.substr(0, open), path.substr(open + 2, path.size() - open - 4));
}

}  // namespace

absl::StatusOr<std::string> ResolveFieldRef(const corev1::Pod& pod, std::string_view api_version,
                                            std::string_view field_path, const std::vector<std::string>& host_ips) {
  if (!api_version.empty() && api_version != "v1") {
    return errdefs::InvalidInput(absl::StrCat("unsupported pod version: ", ToAbsl(api_version)));
  }
  const auto& meta = pod.metadata();
  if (auto sub = SplitSubscript(field_path)) {
    const auto& [base, key] = *sub;
    const google::protobuf::Map<std::string, std::string>* m = nullptr;
    if (base == "metadata.labels") m = &meta.labels();
    if (base == "metadata.annotations") m = &meta.annotations();
    if (m == nullptr) {
      return errdefs::InvalidInput(absl::StrCat("unsupported fieldPath: ", ToAbsl(field_path)));
    }
    auto it = m->find(std::string(key));
    return it == m->end() ? std::string() : it->second;
  }
  if (field_path == "metadata.name") return meta.name();
  if (field_path == "metadata.namespace") return meta.namespace_();
  if (field_path == "metadata.uid") return meta.uid();
  if (field_path == "metadata.labels") return FormatMap(meta.labels());
  if (field_path == "metadata.annotations") return FormatMap(meta.annotations());
  if (field_path == "spec.nodeName" || field_path == "spec.host") return pod.spec().nodename();
  if (field_path == "spec.serviceAccountName") return pod.spec().serviceaccountname();
  if (field_path == "status.podIP") {
    if (!pod.status().podip().empty()) return pod.status().podip();
    return pod.status().podips_size() > 0 ? pod.status().podips(0).ip() : std::string();
  }
  if (field_path == "status.podIPs") {
    std::vector<std::string> ips;
    for (const auto& ip : pod.status().podips()) ips.push_back(ip.ip());
    if (ips.empty() && !pod.status().podip().empty()) ips.push_back(pod.status().podip());
    return absl::StrJoin(ips, ",");
  }
  if (field_path == "status.hostIP") {
    if (!pod.status().hostip().empty()) return pod.status().hostip();
    return host_ips.empty() ? std::string() : host_ips.front();
  }
  if (field_path == "status.hostIPs") {
    std::vector<std::string> ips;
    for (const auto& ip : pod.status().hostips()) ips.push_back(ip.ip());
    if (ips.empty() && !pod.status().hostip().empty()) ips.push_back(pod.status().hostip());
    if (ips.empty()) ips = host_ips;
    return absl::StrJoin(ips, ",");
  }
  return errdefs::InvalidInput(absl::StrCat("unsupported fieldPath: ", ToAbsl(field_path)));
}

// --- resourceFieldRef --------------------------------------------------------------------

namespace {

template <typename C>
const corev1::ResourceRequirements* FindResources(const google::protobuf::RepeatedPtrField<C>& containers,
                                                  std::string_view name) {
  for (const auto& c : containers) {
    if (c.name() == name) return &c.resources();
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<std::string> ResolveResourceFieldRef(const corev1::Pod& pod,
                                                    const corev1::ResourceFieldSelector& selector,
                                                    std::string_view default_container,
                                                    const std::map<std::string, std::string>& node_allocatable) {
  std::string_view container = selector.containername().empty() ? default_container
                                                                 : std::string_view(selector.containername());
  const corev1::ResourceRequirements* res = FindResources(pod.spec().containers(), container);
  if (res == nullptr) res = FindResources(pod.spec().initcontainers(), container);
  if (res == nullptr) {
    return errdefs::InvalidInput(absl::StrCat("resourceFieldRef: container \"", ToAbsl(container), "\" not found"));
  }
  const std::string& field = selector.resource();
  std::string_view kind;
  std::string_view name;
  if (absl::StartsWith(field, "limits.")) {
    kind = "limits";
    name = std::string_view(field).substr(7);
  } else if (absl::StartsWith(field, "requests.")) {
    kind = "requests";
    name = std::string_view(field).substr(9);
  }
  const bool cpu = name == "cpu";
  const bool bytes = name == "memory" || name == "ephemeral-storage" || absl::StartsWith(ToAbsl(name), "hugepages-");
  if (kind.empty() || (!cpu && !bytes)) {
    return errdefs::InvalidInput(absl::StrCat("unsupported container resource: ", field));
  }
  resource::Quantity divisor = resource::Quantity::FromInt(1);
  if (selector.has_divisor() && !selector.divisor().string().empty()) {
    auto d = resource::Quantity::FromProto(selector.divisor());
    if (!d.ok()) return errdefs::InvalidInput(absl::StrCat("resourceFieldRef divisor: ", d.status().message()));
    if (!d->IsZero()) divisor = *d;
  }
  const auto& list = kind == "limits" ? res->limits() : res->requests();
  resource::Quantity value;
  if (auto it = list.find(std::string(name)); it != list.end()) {
    auto q = resource::Quantity::FromProto(it->second);
    if (!q.ok()) return errdefs::InvalidInput(absl::StrCat("resourceFieldRef ", field, ": ", q.status().message()));
    value = *q;
  } else if (kind == "limits" && (cpu || name == "memory" || name == "ephemeral-storage")) {
    // The kubelet reports the node's allocatable as the limit of a container without one.
    if (auto a = node_allocatable.find(std::string(name)); a != node_allocatable.end()) {
      auto q = resource::Quantity::Parse(a->second);
      if (!q.ok()) return errdefs::InvalidInput(absl::StrCat("node allocatable ", ToAbsl(name), ": ", q.status().message()));
      value = *q;
    }
  }
  const double num = cpu ? static_cast<double>(value.MilliValue()) : static_cast<double>(value.Value());
  const double den = cpu ? static_cast<double>(divisor.MilliValue()) : static_cast<double>(divisor.Value());
  if (den <= 0) return errdefs::InvalidInput(absl::StrCat("resourceFieldRef divisor must be positive: ", field));
  return absl::StrCat(static_cast<int64_t>(std::ceil(num / den)));
}

// --- Service links --------------------------------------------------------------------------

namespace {

std::string EnvName(std::string_view s) {
  std::string out = absl::StrReplaceAll(ToAbsl(s), {{"-", "_"}});
  absl::AsciiStrToUpper(&out);
  return out;
}

void Add(std::vector<corev1::EnvVar>* out, std::string name, std::string value) {
  corev1::EnvVar v;
  v.set_name(std::move(name));
  v.set_value(std::move(value));
  out->push_back(std::move(v));
}

bool HasClusterIp(const corev1::Service& s) {
  return !s.spec().clusterip().empty() && s.spec().clusterip() != "None";
}

std::string JoinHostPort(const std::string& host, int32_t port) {
  if (host.find(':') != std::string::npos) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

}  // namespace

std::vector<corev1::EnvVar> ServiceLinkEnvVars(const std::vector<std::shared_ptr<const corev1::Service>>& services) {
  std::vector<corev1::EnvVar> out;
  for (const auto& svc : services) {
    if (!svc || !HasClusterIp(*svc) || svc->spec().ports_size() == 0) continue;
    const std::string prefix = EnvName(svc->metadata().name());
    const std::string& ip = svc->spec().clusterip();
    Add(&out, prefix + "_SERVICE_HOST", ip);
    Add(&out, prefix + "_SERVICE_PORT", absl::StrCat(svc->spec().ports(0).port()));
    for (const auto& p : svc->spec().ports()) {
      if (!p.name().empty()) Add(&out, absl::StrCat(prefix, "_SERVICE_PORT_", EnvName(p.name())), absl::StrCat(p.port()));
    }
    for (int i = 0; i < svc->spec().ports_size(); ++i) {
      const auto& p = svc->spec().ports(i);
      std::string proto = p.protocol().empty() ? "TCP" : p.protocol();
      std::string lower = absl::AsciiStrToLower(proto);
      std::string upper = absl::AsciiStrToUpper(proto);
      std::string url = absl::StrCat(lower, "://", JoinHostPort(ip, p.port()));
      if (i == 0) Add(&out, prefix + "_PORT", url);
      std::string pp = absl::StrCat(prefix, "_PORT_", p.port(), "_", upper);
      Add(&out, pp, url);
      Add(&out, pp + "_PROTO", lower);
      Add(&out, pp + "_PORT", absl::StrCat(p.port()));
      Add(&out, pp + "_ADDR", ip);
    }
  }
  return out;
}

// --- The whole pod -------------------------------------------------------------------------

namespace {

// An insertion-ordered name -> value map.
class OrderedEnv {
 public:
  void Set(const std::string& name, std::string value) {
    auto [it, inserted] = index_.try_emplace(name, entries_.size());
    if (inserted) {
      entries_.emplace_back(name, std::move(value));
    } else {
      entries_[it->second].second = std::move(value);
    }
  }
  const std::string* Find(std::string_view name) const {
    auto it = index_.find(ToAbsl(name));
    return it == index_.end() ? nullptr : &entries_[it->second].second;
  }
  bool Contains(const std::string& name) const { return index_.contains(name); }
  const std::vector<std::pair<std::string, std::string>>& entries() const { return entries_; }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
  absl::flat_hash_map<std::string, size_t> index_;
};

struct PodEnvContext {
  const Context& ctx;
  corev1::Pod* pod;
  ResourceManager& resources;
  EventRecorder& recorder;
  const EnvResolutionOptions& options;
  // Per-call caches: one pod often references the same object from many containers.
  absl::flat_hash_map<std::string, absl::StatusOr<std::shared_ptr<const corev1::ConfigMap>>> config_maps;
  absl::flat_hash_map<std::string, absl::StatusOr<std::shared_ptr<const corev1::Secret>>> secrets;
  std::optional<absl::StatusOr<std::vector<corev1::EnvVar>>> service_env;

  void Warn(std::string_view reason, const std::string& message) {
    recorder.RecordPod(*pod, kEventTypeWarning, reason, message);
  }
  const std::string& ns() const { return pod->metadata().namespace_(); }
  const std::string& pod_name() const { return pod->metadata().name(); }

  absl::StatusOr<std::shared_ptr<const corev1::ConfigMap>> ConfigMap(const std::string& name) {
    auto it = config_maps.find(name);
    if (it == config_maps.end()) it = config_maps.emplace(name, resources.GetConfigMap(ctx, ns(), name)).first;
    return it->second;
  }
  absl::StatusOr<std::shared_ptr<const corev1::Secret>> Secret(const std::string& name) {
    auto it = secrets.find(name);
    if (it == secrets.end()) it = secrets.emplace(name, resources.GetSecret(ctx, ns(), name)).first;
    return it->second;
  }

  absl::StatusOr<std::vector<corev1::EnvVar>> ServiceEnv() {
    if (service_env) return *service_env;
    const bool links = !pod->spec().has_enableservicelinks() || pod->spec().enableservicelinks();
    auto listed = resources.ListServices(ctx, ns());
    if (!listed.ok()) {
      service_env = errdefs::Annotate(listed.status(), "listing services for service-link variables");
      return *service_env;
    }
    // Master services always; the pod's namespace only with service links on.
    // Same-name services of the pod's namespace win, as in the kubelet.
    std::map<std::string, std::shared_ptr<const corev1::Service>> chosen;
    for (const auto& svc : *listed) {
      if (!svc || !HasClusterIp(*svc)) continue;
      const auto& name = svc->metadata().name();
      if (svc->metadata().namespace_() == options.master_service_namespace && name == "kubernetes") {
        chosen.try_emplace(name, svc);
      } else if (svc->metadata().namespace_() == ns() && links) {
        chosen[name] = svc;
      }
    }
    std::vector<std::shared_ptr<const corev1::Service>> sorted;
    for (auto& [_, svc] : chosen) sorted.push_back(svc);
    service_env = ServiceLinkEnvVars(sorted);
    return *service_env;
  }
};

// envFrom → `env`. Returns an error for a mandatory source that cannot be read.
template <typename C>
absl::Status ResolveEnvFrom(PodEnvContext& pc, const C& container, OrderedEnv* env) {
  for (const auto& from : container.envfrom()) {
    const std::string& prefix = from.prefix();
    std::vector<std::pair<std::string, std::string>> data;
    std::string what;  // "configmap" / "secret"
    std::string name;
    if (from.has_configmapref()) {
      what = "configmap";
      name = from.configmapref().localobjectreference().name();
      const bool optional = from.configmapref().optional();
      auto cm = pc.ConfigMap(name);
      if (!cm.ok()) {
        const bool not_found = errdefs::IsNotFound(cm.status());
        if (optional) {
          if (not_found) {
            pc.Warn(kReasonOptionalConfigMapNotFound, absl::StrFormat("configmap %s not found", GoQuote(name)));
          } else {
            pc.Warn(kReasonFailedToReadOptionalConfigMap,
                    absl::StrFormat("failed to read configmap %s: %s", GoQuote(name), cm.status().message()));
          }
          continue;
        }
        if (not_found) {
          pc.Warn(kReasonMandatoryConfigMapNotFound, absl::StrFormat("configmap %s not found", GoQuote(name)));
          return errdefs::NotFound(absl::StrFormat("configmap %s not found", GoQuote(name)));
        }
        pc.Warn(kReasonFailedToReadMandatoryConfigMap,
                absl::StrFormat("failed to read configmap %s: %s", GoQuote(name), cm.status().message()));
        return errdefs::Annotate(cm.status(), absl::StrFormat("failed to fetch configmap %s", GoQuote(name)));
      }
      for (const auto& [k, v] : (*cm)->data()) data.emplace_back(k, v);
    } else if (from.has_secretref()) {
      what = "secret";
      name = from.secretref().localobjectreference().name();
      const bool optional = from.secretref().optional();
      auto secret = pc.Secret(name);
      if (!secret.ok()) {
        const bool not_found = errdefs::IsNotFound(secret.status());
        if (optional) {
          if (not_found) {
            pc.Warn(kReasonOptionalSecretNotFound, absl::StrFormat("secret %s not found", GoQuote(name)));
          } else {
            pc.Warn(kReasonFailedToReadOptionalSecret,
                    absl::StrFormat("failed to read secret %s: %s", GoQuote(name), secret.status().message()));
          }
          continue;
        }
        if (not_found) {
          pc.Warn(kReasonMandatorySecretNotFound, absl::StrFormat("secret %s not found", GoQuote(name)));
          return errdefs::NotFound(absl::StrFormat("secret %s not found", GoQuote(name)));
        }
        pc.Warn(kReasonFailedToReadMandatorySecret,
                absl::StrFormat("failed to read secret %s: %s", GoQuote(name), secret.status().message()));
        return errdefs::Annotate(secret.status(), absl::StrFormat("failed to fetch secret %s", GoQuote(name)));
      }
      for (const auto& [k, v] : (*secret)->data()) data.emplace_back(k, v);
      // stringData is write-only on the server, but a ResourceManager fed by
      // hand (tests, providers) may carry it.
      for (const auto& [k, v] : (*secret)->stringdata()) {
        if (!(*secret)->data().contains(k)) data.emplace_back(k, v);
      }
    } else {
      continue;
    }
    std::sort(data.begin(), data.end());
    std::vector<std::string> invalid;
    for (auto& [k, v] : data) {
      std::string key = prefix + k;
      if (!IsValidEnvVarName(key)) {
        invalid.push_back(std::move(key));
        continue;
      }
      env->Set(key, std::move(v));
    }
    if (!invalid.empty()) {
      std::sort(invalid.begin(), invalid.end());
      pc.Warn(kReasonInvalidEnvironmentVariableNames,
              absl::StrFormat("keys [%s] from %s %s/%s were skipped since they are invalid as environment variable "
                              "names",
                              absl::StrJoin(invalid, ", "), what, pc.ns(), name));
    }
  }
  return absl::OkStatus();
}

// One valueFrom. nullopt: the variable is omitted (optional source missing).
template <typename C>
absl::StatusOr<std::optional<std::string>> ResolveValueFrom(PodEnvContext& pc, const C& container,
                                                            const corev1::EnvVar& var) {
  const auto& from = var.valuefrom();
  if (from.has_configmapkeyref()) {
    const auto& ref = from.configmapkeyref();
    const std::string& name = ref.localobjectreference().name();
    const bool optional = ref.optional();
    auto cm = pc.ConfigMap(name);
    if (!cm.ok()) {
      const bool not_found = errdefs::IsNotFound(cm.status());
      if (optional) {
        if (not_found) {
          pc.Warn(kReasonOptionalConfigMapNotFound, absl::StrFormat("skipping optional envvar %s: configmap %s not found",
                                                                    GoQuote(var.name()), GoQuote(name)));
        } else {
          pc.Warn(kReasonFailedToReadOptionalConfigMap,
                  absl::StrFormat("failed to read configmap %s: %s", GoQuote(name), cm.status().message()));
        }
        return std::nullopt;
      }
      if (not_found) {
        pc.Warn(kReasonMandatoryConfigMapNotFound, absl::StrFormat("configmap %s not found", GoQuote(name)));
        return errdefs::NotFound(absl::StrFormat("configmap %s not found", GoQuote(name)));
      }
      pc.Warn(kReasonFailedToReadMandatoryConfigMap,
              absl::StrFormat("failed to read configmap %s: %s", GoQuote(name), cm.status().message()));
      return errdefs::Annotate(cm.status(), absl::StrFormat("failed to fetch configmap %s", GoQuote(name)));
    }
    auto it = (*cm)->data().find(ref.key());
    if (it == (*cm)->data().end()) {
      if (optional) {
        pc.Warn(kReasonOptionalConfigMapKeyNotFound,
                absl::StrFormat("skipping optional envvar %s: key %s does not exist in configmap %s", GoQuote(var.name()),
                                GoQuote(ref.key()), GoQuote(name)));
        return std::nullopt;
      }
      pc.Warn(kReasonMandatoryConfigMapKeyNotFound,
              absl::StrFormat("key %s does not exist in configmap %s", GoQuote(ref.key()), GoQuote(name)));
      return errdefs::NotFound(absl::StrFormat("configmap %s doesn't contain the %s key required by pod %s",
                                               GoQuote(name), GoQuote(ref.key()), pc.pod_name()));
    }
    return std::optional<std::string>(it->second);
  }
  if (from.has_secretkeyref()) {
    const auto& ref = from.secretkeyref();
    const std::string& name = ref.localobjectreference().name();
    const bool optional = ref.optional();
    auto secret = pc.Secret(name);
    if (!secret.ok()) {
      const bool not_found = errdefs::IsNotFound(secret.status());
      if (optional) {
        if (not_found) {
          pc.Warn(kReasonOptionalSecretNotFound, absl::StrFormat("skipping optional envvar %s: secret %s not found",
                                                                 GoQuote(var.name()), GoQuote(name)));
        } else {
          pc.Warn(kReasonFailedToReadOptionalSecret,
                  absl::StrFormat("failed to read secret %s: %s", GoQuote(name), secret.status().message()));
        }
        return std::nullopt;
      }
      if (not_found) {
        pc.Warn(kReasonMandatorySecretNotFound, absl::StrFormat("secret %s not found", GoQuote(name)));
        return errdefs::NotFound(absl::StrFormat("secret %s not found", GoQuote(name)));
      }
      pc.Warn(kReasonFailedToReadMandatorySecret,
              absl::StrFormat("failed to read secret %s: %s", GoQuote(name), secret.status().message()));
      return errdefs::Annotate(secret.status(), absl::StrFormat("failed to fetch secret %s", GoQuote(name)));
    }
    const std::string* value = nullptr;
    if (auto it = (*secret)->data().find(ref.key()); it != (*secret)->data().end()) value = &it->second;
    if (value == nullptr) {
      if (auto it = (*secret)->stringdata().find(ref.key()); it != (*secret)->stringdata().end()) value = &it->second;
    }
    if (value == nullptr) {
      if (optional) {
        pc.Warn(kReasonOptionalSecretKeyNotFound,
                absl::StrFormat("skipping optional envvar %s: key %s does not exist in secret %s", GoQuote(var.name()),
                                GoQuote(ref.key()), GoQuote(name)));
        return std::nullopt;
      }
      pc.Warn(kReasonMandatorySecretKeyNotFound,
              absl::StrFormat("key %s does not exist in secret %s", GoQuote(ref.key()), GoQuote(name)));
      return errdefs::NotFound(absl::StrFormat("secret %s doesn't contain the %s key required by pod %s",
                                               GoQuote(name), GoQuote(ref.key()), pc.pod_name()));
    }
    return std::optional<std::string>(*value);
  }
  if (from.has_fieldref()) {
    auto v = ResolveFieldRef(*pc.pod, from.fieldref().apiversion(), from.fieldref().fieldpath(), pc.options.host_ips);
    if (!v.ok()) {
      pc.Warn(kReasonFailedToResolveEnv,
              absl::StrFormat("envvar %s: %s", GoQuote(var.name()), v.status().message()));
      return v.status();
    }
    return std::optional<std::string>(*std::move(v));
  }
  if (from.has_resourcefieldref()) {
    auto v = ResolveResourceFieldRef(*pc.pod, from.resourcefieldref(), container.name(), pc.options.node_allocatable);
    if (!v.ok()) {
      pc.Warn(kReasonFailedToResolveEnv,
              absl::StrFormat("envvar %s: %s", GoQuote(var.name()), v.status().message()));
      return v.status();
    }
    return std::optional<std::string>(*std::move(v));
  }
  return std::optional<std::string>();  // not resolvable here (e.g. fileKeyRef): kept as is by the caller
}

template <typename C>
absl::Status ResolveContainer(PodEnvContext& pc, C* container) {
  OrderedEnv env;
  VK_RETURN_IF_ERROR(ResolveEnvFrom(pc, *container, &env));
  VK_ASSIGN_OR_RETURN(const std::vector<corev1::EnvVar>& service_env, pc.ServiceEnv());
  absl::flat_hash_map<std::string, const std::string*> service_index;
  for (const auto& v : service_env) service_index.emplace(v.name(), &v.value());
  // Variables kept unresolved (sources the SDK cannot read, e.g. fileKeyRef).
  std::vector<corev1::EnvVar> passthrough;
  for (const auto& var : container->env()) {
    if (!var.value().empty()) {
      auto lookup = [&](std::string_view name) -> const std::string* {
        if (const std::string* v = env.Find(name)) return v;
        auto it = service_index.find(ToAbsl(name));
        return it == service_index.end() ? nullptr : it->second;
      };
      env.Set(var.name(), ExpandEnvReferences(var.value(), lookup));
      continue;
    }
    if (!var.has_valuefrom()) {
      env.Set(var.name(), "");
      continue;
    }
    const auto& from = var.valuefrom();
    if (!from.has_configmapkeyref() && !from.has_secretkeyref() && !from.has_fieldref() &&
        !from.has_resourcefieldref()) {
      passthrough.push_back(var);
      continue;
    }
    VK_ASSIGN_OR_RETURN(std::optional<std::string> value, ResolveValueFrom(pc, *container, var));
    if (value) env.Set(var.name(), *std::move(value));
  }
  for (const auto& v : service_env) {
    if (!env.Contains(v.name())) env.Set(v.name(), v.value());
  }
  container->clear_envfrom();
  container->clear_env();
  for (const auto& [name, value] : env.entries()) {
    auto* v = container->add_env();
    v->set_name(name);
    v->set_value(value);
  }
  for (auto& v : passthrough) *container->add_env() = std::move(v);
  return absl::OkStatus();
}

}  // namespace

absl::Status ResolvePodEnvironment(const Context& ctx, corev1::Pod* pod, ResourceManager& resources,
                                   EventRecorder& recorder, const EnvResolutionOptions& options) {
  if (pod == nullptr) return errdefs::InvalidInput("ResolvePodEnvironment: null pod");
  PodEnvContext pc{ctx, pod, resources, recorder, options, {}, {}, std::nullopt};
  auto* spec = pod->mutable_spec();
  for (auto& c : *spec->mutable_initcontainers()) VK_RETURN_IF_ERROR(ResolveContainer(pc, &c));
  for (auto& c : *spec->mutable_containers()) VK_RETURN_IF_ERROR(ResolveContainer(pc, &c));
  for (auto& c : *spec->mutable_ephemeralcontainers()) {
    VK_RETURN_IF_ERROR(ResolveContainer(pc, c.mutable_ephemeralcontainercommon()));
  }
  return absl::OkStatus();
}

}  // namespace vkubelet::node
