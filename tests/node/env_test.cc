// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/node/env.h"

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "node/fake_resources.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/node/event_reasons.h"
#include "vkubelet/testing/assertions.h"

namespace vkubelet::node {
namespace {

using test::FakeResources;

corev1::Pod MakePod() {
  corev1::Pod pod;
  pod.mutable_metadata()->set_namespace_("ns");
  pod.mutable_metadata()->set_name("web");
  pod.mutable_metadata()->set_uid("uid-1");
  pod.mutable_spec()->set_nodename("vk");
  auto* c = pod.mutable_spec()->add_containers();
  c->set_name("app");
  c->set_image("nginx");
  return pod;
}

corev1::Container* App(corev1::Pod* pod) { return pod->mutable_spec()->mutable_containers(0); }

void AddValue(corev1::Container* c, const std::string& name, const std::string& value) {
  auto* v = c->add_env();
  v->set_name(name);
  v->set_value(value);
}

void AddConfigMapKeyRef(corev1::Container* c, const std::string& var, const std::string& cm, const std::string& key,
                        bool optional) {
  auto* v = c->add_env();
  v->set_name(var);
  auto* ref = v->mutable_valuefrom()->mutable_configmapkeyref();
  ref->mutable_localobjectreference()->set_name(cm);
  ref->set_key(key);
  if (optional) ref->set_optional(true);
}

void AddSecretKeyRef(corev1::Container* c, const std::string& var, const std::string& s, const std::string& key,
                     bool optional) {
  auto* v = c->add_env();
  v->set_name(var);
  auto* ref = v->mutable_valuefrom()->mutable_secretkeyref();
  ref->mutable_localobjectreference()->set_name(s);
  ref->set_key(key);
  if (optional) ref->set_optional(true);
}

void AddFieldRef(corev1::Container* c, const std::string& var, const std::string& path) {
  auto* v = c->add_env();
  v->set_name(var);
  v->mutable_valuefrom()->mutable_fieldref()->set_fieldpath(path);
  v->mutable_valuefrom()->mutable_fieldref()->set_apiversion("v1");
}

void AddResourceRef(corev1::Container* c, const std::string& var, const std::string& resource,
                    const std::string& divisor = "", const std::string& container = "") {
  auto* v = c->add_env();
  v->set_name(var);
  auto* ref = v->mutable_valuefrom()->mutable_resourcefieldref();
  ref->set_resource(resource);
  if (!divisor.empty()) ref->mutable_divisor()->set_string(divisor);
  if (!container.empty()) ref->set_containername(container);
}

void AddEnvFromConfigMap(corev1::Container* c, const std::string& cm, bool optional, const std::string& prefix = "") {
  auto* f = c->add_envfrom();
  if (!prefix.empty()) f->set_prefix(prefix);
  f->mutable_configmapref()->mutable_localobjectreference()->set_name(cm);
  if (optional) f->mutable_configmapref()->set_optional(true);
}

void AddEnvFromSecret(corev1::Container* c, const std::string& s, bool optional, const std::string& prefix = "") {
  auto* f = c->add_envfrom();
  if (!prefix.empty()) f->set_prefix(prefix);
  f->mutable_secretref()->mutable_localobjectreference()->set_name(s);
  if (optional) f->mutable_secretref()->set_optional(true);
}

std::vector<std::pair<std::string, std::string>> EnvOf(const corev1::Container& c) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& v : c.env()) out.emplace_back(v.name(), v.value());
  return out;
}

std::map<std::string, std::string> EnvMap(const corev1::Container& c) {
  std::map<std::string, std::string> out;
  for (const auto& v : c.env()) out[v.name()] = v.value();
  return out;
}

// --- The event table: one row each -------------------------------------------------

struct Row {
  const char* name;
  void (*setup)(corev1::Container*, FakeResources*);
  const char* reason;
  bool ok;            // pod resolves (optional source) or fails (mandatory)
  const char* message;  // expected event message
};

const absl::Status kForbidden = errdefs::Forbidden("no access");

const Row kRows[] = {
    {"envFrom configMapRef optional, not found",
     [](corev1::Container* c, FakeResources*) { AddEnvFromConfigMap(c, "cm", true); },
     "OptionalConfigMapNotFound", true, "configmap \"cm\" not found"},
    {"envFrom configMapRef optional, read error",
     [](corev1::Container* c, FakeResources* r) {
       r->FailReads("ns", "cm", kForbidden);
       AddEnvFromConfigMap(c, "cm", true);
     },
     "FailedToReadOptionalConfigMap", true, "failed to read configmap \"cm\": no access"},
    {"envFrom configMapRef mandatory, not found",
     [](corev1::Container* c, FakeResources*) { AddEnvFromConfigMap(c, "cm", false); },
     "MandatoryConfigMapNotFound", false, "configmap \"cm\" not found"},
    {"envFrom configMapRef mandatory, read error",
     [](corev1::Container* c, FakeResources* r) {
       r->FailReads("ns", "cm", kForbidden);
       AddEnvFromConfigMap(c, "cm", false);
     },
     "FailedToReadMandatoryConfigMap", false, "failed to read configmap \"cm\": no access"},
    {"envFrom secretRef optional, not found",
     [](corev1::Container* c, FakeResources*) { AddEnvFromSecret(c, "s", true); }, "OptionalSecretNotFound", true,
     "secret \"s\" not found"},
    {"envFrom secretRef optional, read error",
     [](corev1::Container* c, FakeResources* r) {
       r->FailReads("ns", "s", kForbidden);
       AddEnvFromSecret(c, "s", true);
     },
     "FailedToReadOptionalSecret", true, "failed to read secret \"s\": no access"},
    {"envFrom secretRef mandatory, not found",
     [](corev1::Container* c, FakeResources*) { AddEnvFromSecret(c, "s", false); }, "MandatorySecretNotFound", false,
     "secret \"s\" not found"},
    {"envFrom secretRef mandatory, read error",
     [](corev1::Container* c, FakeResources* r) {
       r->FailReads("ns", "s", kForbidden);
       AddEnvFromSecret(c, "s", false);
     },
     "FailedToReadMandatorySecret", false, "failed to read secret \"s\": no access"},
    {"configMapKeyRef optional, configmap not found",
     [](corev1::Container* c, FakeResources*) { AddConfigMapKeyRef(c, "V", "cm", "k", true); },
     "OptionalConfigMapNotFound", true, "skipping optional envvar \"V\": configmap \"cm\" not found"},
    {"configMapKeyRef optional, read error",
     [](corev1::Container* c, FakeResources* r) {
       r->FailReads("ns", "cm", kForbidden);
       AddConfigMapKeyRef(c, "V", "cm", "k", true);
     },
     "FailedToReadOptionalConfigMap", true, "failed to read configmap \"cm\": no access"},
    {"configMapKeyRef optional, key missing",
     [](corev1::Container* c, FakeResources* r) {
       r->AddConfigMap("ns", "cm", {{"other", "x"}});
       AddConfigMapKeyRef(c, "V", "cm", "k", true);
     },
     "OptionalConfigMapKeyNotFound", true, "skipping optional envvar \"V\": key \"k\" does not exist in configmap \"cm\""},
    {"configMapKeyRef mandatory, configmap not found",
     [](corev1::Container* c, FakeResources*) { AddConfigMapKeyRef(c, "V", "cm", "k", false); },
     "MandatoryConfigMapNotFound", false, "configmap \"cm\" not found"},
    {"configMapKeyRef mandatory, read error",
     [](corev1::Container* c, FakeResources* r) {
       r->FailReads("ns", "cm", kForbidden);
       AddConfigMapKeyRef(c, "V", "cm", "k", false);
     },
     "FailedToReadMandatoryConfigMap", false, "failed to read configmap \"cm\": no access"},
    {"configMapKeyRef mandatory, key missing",
     [](corev1::Container* c, FakeResources* r) {
       r->AddConfigMap("ns", "cm", {{"other", "x"}});
       AddConfigMapKeyRef(c, "V", "cm", "k", false);
     },
     "MandatoryConfigMapKeyNotFound", false, "key \"k\" does not exist in configmap \"cm\""},
    {"secretKeyRef optional, secret not found",
     [](corev1::Container* c, FakeResources*) { AddSecretKeyRef(c, "V", "s", "k", true); }, "OptionalSecretNotFound",
     true, "skipping optional envvar \"V\": secret \"s\" not found"},
    {"secretKeyRef optional, read error",
     [](corev1::Container* c, FakeResources* r) {
       r->FailReads("ns", "s", kForbidden);
       AddSecretKeyRef(c, "V", "s", "k", true);
     },
     "FailedToReadOptionalSecret", true, "failed to read secret \"s\": no access"},
    {"secretKeyRef optional, key missing",
     [](corev1::Container* c, FakeResources* r) {
       r->AddSecret("ns", "s", {{"other", "x"}});
       AddSecretKeyRef(c, "V", "s", "k", true);
     },
     "OptionalSecretKeyNotFound", true, "skipping optional envvar \"V\": key \"k\" does not exist in secret \"s\""},
    {"secretKeyRef mandatory, secret not found",
     [](corev1::Container* c, FakeResources*) { AddSecretKeyRef(c, "V", "s", "k", false); },
     "MandatorySecretNotFound", false, "secret \"s\" not found"},
    {"secretKeyRef mandatory, read error",
     [](corev1::Container* c, FakeResources* r) {
       r->FailReads("ns", "s", kForbidden);
       AddSecretKeyRef(c, "V", "s", "k", false);
     },
     "FailedToReadMandatorySecret", false, "failed to read secret \"s\": no access"},
    {"secretKeyRef mandatory, key missing",
     [](corev1::Container* c, FakeResources* r) {
       r->AddSecret("ns", "s", {{"other", "x"}});
       AddSecretKeyRef(c, "V", "s", "k", false);
     },
     "MandatorySecretKeyNotFound", false, "key \"k\" does not exist in secret \"s\""},
    {"envFrom keys that are not variable names",
     [](corev1::Container* c, FakeResources* r) {
       r->AddConfigMap("ns", "cm", {{"1INVALID", "a"}, {"2INVALID", "b"}, {"GOOD", "c"}});
       AddEnvFromConfigMap(c, "cm", false);
     },
     "InvalidEnvironmentVariableNames", true,
     "keys [1INVALID, 2INVALID] from configmap ns/cm were skipped since they are invalid as environment variable "
     "names"},
};

TEST_CASE("env resolution: every row of the event table") {
  for (const Row& row : kRows) {
    SUBCASE(row.name) {
      FakeResources resources;
      MemoryEventRecorder events;
      corev1::Pod pod = MakePod();
      row.setup(App(&pod), &resources);
      absl::Status st = ResolvePodEnvironment(Context::Background(), &pod, resources, events);
      CHECK(st.ok() == row.ok);
      if (!row.ok) CHECK_FALSE(st.message().empty());
      auto recorded = events.events();
      REQUIRE(recorded.size() == 1);
      CHECK(recorded[0].reason == row.reason);
      CHECK(recorded[0].type == "Warning");
      CHECK(recorded[0].message == row.message);
      CHECK(recorded[0].object.kind() == "Pod");
      CHECK(recorded[0].object.name() == "web");
      CHECK(recorded[0].object.namespace_() == "ns");
      CHECK(recorded[0].object.uid() == "uid-1");
      if (row.ok) {
        // The optional variable is omitted; the envFrom source is cleared.
        CHECK(App(&pod)->envfrom_size() == 0);
        auto env = EnvMap(*App(&pod));
        CHECK(env.count("V") == 0);
        if (std::string(row.reason) == "InvalidEnvironmentVariableNames") {
          CHECK(env == std::map<std::string, std::string>{{"GOOD", "c"}});
        }
      }
    }
  }
}

TEST_CASE("mandatory failure errors: NotFound for a missing object or key, the reader's error otherwise") {
  FakeResources resources;
  MemoryEventRecorder events;
  corev1::Pod pod = MakePod();
  AddConfigMapKeyRef(App(&pod), "V", "cm", "k", false);
  auto st = ResolvePodEnvironment(Context::Background(), &pod, resources, events);
  CHECK(errdefs::IsNotFound(st));
  CHECK(st.message() == "configmap \"cm\" not found");

  resources.AddConfigMap("ns", "cm", {{"x", "1"}});
  pod = MakePod();
  AddConfigMapKeyRef(App(&pod), "V", "cm", "k", false);
  st = ResolvePodEnvironment(Context::Background(), &pod, resources, events);
  CHECK(errdefs::IsNotFound(st));
  CHECK(st.message() == "configmap \"cm\" doesn't contain the \"k\" key required by pod web");

  resources.FailReads("ns", "s", errdefs::Unavailable("apiserver down"));
  pod = MakePod();
  AddSecretKeyRef(App(&pod), "V", "s", "k", false);
  st = ResolvePodEnvironment(Context::Background(), &pod, resources, events);
  CHECK(errdefs::IsUnavailable(st));
  CHECK(errdefs::IsTransient(st));
}

TEST_CASE("values from configmaps and secrets, envFrom with prefixes, precedence and order") {
  FakeResources resources;
  resources.AddConfigMap("ns", "cm", {{"B", "cm-b"}, {"A", "cm-a"}, {"key", "from-key"}});
  resources.AddSecret("ns", "s", {{"PASSWORD", "hunter2"}, {"A", "secret-a"}});
  MemoryEventRecorder events;
  corev1::Pod pod = MakePod();
  auto* c = App(&pod);
  AddEnvFromConfigMap(c, "cm", false);
  AddEnvFromSecret(c, "s", false, "S_");
  AddValue(c, "Z", "z");
  AddConfigMapKeyRef(c, "FROM_CM", "cm", "key", false);
  AddSecretKeyRef(c, "FROM_SECRET", "s", "PASSWORD", false);
  AddValue(c, "A", "explicit");  // overrides envFrom, keeps its position
  VK_REQUIRE_OK(ResolvePodEnvironment(Context::Background(), &pod, resources, events));
  CHECK(events.events().empty());
  CHECK(c->envfrom_size() == 0);
  std::vector<std::pair<std::string, std::string>> want = {
      {"A", "explicit"}, {"B", "cm-b"}, {"key", "from-key"}, {"S_A", "secret-a"}, {"S_PASSWORD", "hunter2"},
      {"Z", "z"},        {"FROM_CM", "from-key"}, {"FROM_SECRET", "hunter2"}};
  CHECK(EnvOf(*c) == want);

  // Deterministic: the same input resolves to the same list every time.
  for (int i = 0; i < 5; ++i) {
    corev1::Pod again = MakePod();
    auto* c2 = App(&again);
    AddEnvFromConfigMap(c2, "cm", false);
    AddEnvFromSecret(c2, "s", false, "S_");
    AddValue(c2, "Z", "z");
    AddConfigMapKeyRef(c2, "FROM_CM", "cm", "key", false);
    AddSecretKeyRef(c2, "FROM_SECRET", "s", "PASSWORD", false);
    AddValue(c2, "A", "explicit");
    VK_REQUIRE_OK(ResolvePodEnvironment(Context::Background(), &again, resources, events));
    CHECK(EnvOf(*c2) == want);
  }
}

TEST_CASE("init and ephemeral containers are resolved too") {
  FakeResources resources;
  resources.AddConfigMap("ns", "cm", {{"k", "v"}});
  MemoryEventRecorder events;
  corev1::Pod pod = MakePod();
  auto* init = pod.mutable_spec()->add_initcontainers();
  init->set_name("init");
  AddConfigMapKeyRef(init, "I", "cm", "k", false);
  auto* eph = pod.mutable_spec()->add_ephemeralcontainers()->mutable_ephemeralcontainercommon();
  eph->set_name("debug");
  auto* f = eph->add_envfrom();
  f->mutable_configmapref()->mutable_localobjectreference()->set_name("cm");
  VK_REQUIRE_OK(ResolvePodEnvironment(Context::Background(), &pod, resources, events));
  CHECK(EnvMap(pod.spec().initcontainers(0)).at("I") == "v");
  REQUIRE(pod.spec().ephemeralcontainers(0).ephemeralcontainercommon().env_size() == 1);
  CHECK(pod.spec().ephemeralcontainers(0).ephemeralcontainercommon().env(0).value() == "v");
}

// --- Expansion ----------------------------------------------------------------------------

TEST_CASE("$(VAR) expansion follows the Kubernetes rules") {
  std::map<std::string, std::string> vars = {{"VAR_A", "A"}, {"VAR_B", "B"}, {"EMPTY", ""}};
  auto lookup = [&](std::string_view n) -> const std::string* {
    auto it = vars.find(std::string(n));
    return it == vars.end() ? nullptr : &it->second;
  };
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      {"$(VAR_A)", "A"},
      {"___$(VAR_B)___", "___B___"},
      {"$(VAR_A)-$(VAR_B)", "A-B"},
      {"$(VAR_A)$(VAR_B)", "AB"},
      {"$(UNKNOWN)", "$(UNKNOWN)"},
      {"$$(VAR_A)", "$(VAR_A)"},
      {"$$$(VAR_A)", "$A"},
      {"$$$$(VAR_A)", "$$(VAR_A)"},
      {"$(EMPTY)x", "x"},
      {"$(VAR_A", "$(VAR_A"},
      {"$VAR_A", "$VAR_A"},
      {"$", "$"},
      {"x$", "x$"},
      {"$$", "$"},
      {"$()", "$()"},
      {"()", "()"},
      {"$(VAR_A)$", "A$"},
      {"$(VAR_A(", "$(VAR_A("},
      {"no refs", "no refs"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.in);
    CHECK(ExpandEnvReferences(c.in, lookup) == c.out);
  }
}

TEST_CASE("expansion in the pod sees envFrom, earlier variables and service links, not later ones") {
  FakeResources resources;
  resources.AddConfigMap("ns", "cm", {{"HOST", "db.local"}});
  resources.AddService("ns", "backend", "10.0.0.7", {{"", 8080}});
  MemoryEventRecorder events;
  corev1::Pod pod = MakePod();
  auto* c = App(&pod);
  AddEnvFromConfigMap(c, "cm", false);
  AddValue(c, "URL", "http://$(HOST):$(PORT)/x");
  AddValue(c, "PORT", "5432");
  AddValue(c, "BOTH", "$(URL) $(PORT)");
  AddValue(c, "SVC", "$(BACKEND_SERVICE_HOST)");
  AddValue(c, "ESC", "$$(HOST)");
  VK_REQUIRE_OK(ResolvePodEnvironment(Context::Background(), &pod, resources, events));
  auto env = EnvMap(*c);
  CHECK(env.at("URL") == "http://db.local:$(PORT)/x");
  CHECK(env.at("BOTH") == "http://db.local:$(PORT)/x 5432");
  CHECK(env.at("SVC") == "10.0.0.7");
  CHECK(env.at("ESC") == "$(HOST)");
}

TEST_CASE("variable names") {
  for (const char* ok : {"A", "a_b", "my.env-name", "MY_ENV.NAME", "MyEnvName1", "_x", "-x", ".x"}) {
    CAPTURE(ok);
    CHECK(IsValidEnvVarName(ok));
  }
  for (const char* bad : {"", "1A", "A B", "A=B", ".", "..", "..x", "ä"}) {
    CAPTURE(bad);
    CHECK_FALSE(IsValidEnvVarName(bad));
  }
}

// --- Downward API ------------------------------------------------------------------------------

TEST_CASE("fieldRef paths") {
  corev1::Pod pod = MakePod();
  auto* m = pod.mutable_metadata();
  (*m->mutable_labels())["app"] = "web";
  (*m->mutable_labels())["tier"] = "front\"end";
  (*m->mutable_annotations())["note"] = "a\nb";
  pod.mutable_spec()->set_serviceaccountname("sa");
  pod.mutable_status()->set_podip("10.1.0.5");
  pod.mutable_status()->add_podips()->set_ip("10.1.0.5");
  pod.mutable_status()->add_podips()->set_ip("fd00::5");
  auto get = [&](const char* path) {
    auto v = ResolveFieldRef(pod, "v1", path, {"192.168.0.9"});
    REQUIRE_MESSAGE(v.ok(), v.status().ToString());
    return *v;
  };
  CHECK(get("metadata.name") == "web");
  CHECK(get("metadata.namespace") == "ns");
  CHECK(get("metadata.uid") == "uid-1");
  CHECK(get("metadata.labels") == "app=\"web\"\ntier=\"front\\\"end\"");
  CHECK(get("metadata.annotations") == "note=\"a\\nb\"");
  CHECK(get("metadata.labels['app']") == "web");
  CHECK(get("metadata.annotations['note']") == "a\nb");
  CHECK(get("metadata.labels['missing']") == "");
  CHECK(get("spec.nodeName") == "vk");
  CHECK(get("spec.serviceAccountName") == "sa");
  CHECK(get("status.podIP") == "10.1.0.5");
  CHECK(get("status.podIPs") == "10.1.0.5,fd00::5");
  // No hostIP in the status yet: the node's address.
  CHECK(get("status.hostIP") == "192.168.0.9");
  CHECK(get("status.hostIPs") == "192.168.0.9");
  pod.mutable_status()->set_hostip("192.168.0.1");
  CHECK(get("status.hostIP") == "192.168.0.1");

  CHECK(errdefs::IsInvalidInput(ResolveFieldRef(pod, "v1", "spec.bogus").status()));
  CHECK(errdefs::IsInvalidInput(ResolveFieldRef(pod, "v2", "metadata.name").status()));
  CHECK(errdefs::IsInvalidInput(ResolveFieldRef(pod, "v1", "metadata.finalizers['x']").status()));
  CHECK(ResolveFieldRef(pod, "", "metadata.name").value() == "web");
}

TEST_CASE("an unsupported fieldRef fails the pod with an event") {
  FakeResources resources;
  MemoryEventRecorder events;
  corev1::Pod pod = MakePod();
  AddFieldRef(App(&pod), "X", "spec.nope");
  auto st = ResolvePodEnvironment(Context::Background(), &pod, resources, events);
  CHECK(errdefs::IsInvalidInput(st));
  CHECK(events.Count(kReasonFailedToResolveEnv) == 1);
}

// --- resourceFieldRef -------------------------------------------------------------------------

TEST_CASE("resourceFieldRef: limits and requests with divisors, node allocatable as the default limit") {
  FakeResources resources;
  MemoryEventRecorder events;
  corev1::Pod pod = MakePod();
  auto* c = App(&pod);
  auto& limits = *c->mutable_resources()->mutable_limits();
  auto& requests = *c->mutable_resources()->mutable_requests();
  limits["cpu"].set_string("1500m");
  limits["memory"].set_string("1Gi");
  requests["cpu"].set_string("250m");
  requests["memory"].set_string("100M");
  requests["hugepages-2Mi"].set_string("4Mi");
  AddResourceRef(c, "CPU_LIMIT", "limits.cpu");                  // ceil(1.5) = 2
  AddResourceRef(c, "CPU_LIMIT_M", "limits.cpu", "1m");          // 1500
  AddResourceRef(c, "CPU_REQ", "requests.cpu", "100m");          // ceil(2.5) = 3
  AddResourceRef(c, "MEM_LIMIT_MI", "limits.memory", "1Mi");     // 1024
  AddResourceRef(c, "MEM_REQ", "requests.memory");               // 100000000
  AddResourceRef(c, "MEM_REQ_KI", "requests.memory", "1Ki");     // ceil(97656.25) = 97657
  AddResourceRef(c, "HUGE", "requests.hugepages-2Mi", "1Mi");    // 4
  AddResourceRef(c, "EPH_LIMIT", "limits.ephemeral-storage", "1Gi");  // from the node: 100Gi
  AddResourceRef(c, "EPH_REQ", "requests.ephemeral-storage");    // none: 0
  auto* side = pod.mutable_spec()->add_containers();
  side->set_name("side");
  AddResourceRef(side, "APP_CPU", "limits.cpu", "1m", "app");    // other container: 1500
  AddResourceRef(side, "OWN_CPU", "limits.cpu");                 // no limit: node's 4 cpus
  EnvResolutionOptions options;
  options.node_allocatable = {{"cpu", "4"}, {"memory", "16Gi"}, {"ephemeral-storage", "100Gi"}};
  VK_REQUIRE_OK(ResolvePodEnvironment(Context::Background(), &pod, resources, events, options));
  auto env = EnvMap(*c);
  CHECK(env.at("CPU_LIMIT") == "2");
  CHECK(env.at("CPU_LIMIT_M") == "1500");
  CHECK(env.at("CPU_REQ") == "3");
  CHECK(env.at("MEM_LIMIT_MI") == "1024");
  CHECK(env.at("MEM_REQ") == "100000000");
  CHECK(env.at("MEM_REQ_KI") == "97657");
  CHECK(env.at("HUGE") == "4");
  CHECK(env.at("EPH_LIMIT") == "100");
  CHECK(env.at("EPH_REQ") == "0");
  auto side_env = EnvMap(pod.spec().containers(1));
  CHECK(side_env.at("APP_CPU") == "1500");
  CHECK(side_env.at("OWN_CPU") == "4");
}

TEST_CASE("resourceFieldRef errors") {
  corev1::Pod pod = MakePod();
  corev1::ResourceFieldSelector sel;
  sel.set_resource("limits.gpu");
  CHECK(errdefs::IsInvalidInput(ResolveResourceFieldRef(pod, sel, "app").status()));
  sel.set_resource("limits.cpu");
  sel.set_containername("nope");
  CHECK(errdefs::IsInvalidInput(ResolveResourceFieldRef(pod, sel, "app").status()));
  sel.clear_containername();
  sel.mutable_divisor()->set_string("abc");
  CHECK(errdefs::IsInvalidInput(ResolveResourceFieldRef(pod, sel, "app").status()));
  (*App(&pod)->mutable_resources()->mutable_limits())["cpu"].set_string("x1");
  sel.mutable_divisor()->set_string("1");
  CHECK(errdefs::IsInvalidInput(ResolveResourceFieldRef(pod, sel, "app").status()));
}

// --- Service links --------------------------------------------------------------------------

TEST_CASE("service links: kubernetes always, own namespace when enabled, explicit variables win") {
  FakeResources resources;
  resources.AddService("default", "kubernetes", "1.2.3.1", {{"https", 443}});
  resources.AddService("ns", "my-svc", "10.0.0.2", {{"", 8081}, {"metrics", 9090}});
  resources.AddService("ns", "headless", "None", {{"", 80}});
  resources.AddService("other", "foreign", "10.9.9.9", {{"", 80}});
  MemoryEventRecorder events;
  corev1::Pod pod = MakePod();
  AddValue(App(&pod), "MY_SVC_SERVICE_HOST", "overridden");
  VK_REQUIRE_OK(ResolvePodEnvironment(Context::Background(), &pod, resources, events));
  auto env = EnvMap(*App(&pod));
  CHECK(env.at("KUBERNETES_SERVICE_HOST") == "1.2.3.1");
  CHECK(env.at("KUBERNETES_SERVICE_PORT") == "443");
  CHECK(env.at("KUBERNETES_SERVICE_PORT_HTTPS") == "443");
  CHECK(env.at("KUBERNETES_PORT") == "tcp://1.2.3.1:443");
  CHECK(env.at("KUBERNETES_PORT_443_TCP") == "tcp://1.2.3.1:443");
  CHECK(env.at("KUBERNETES_PORT_443_TCP_PROTO") == "tcp");
  CHECK(env.at("KUBERNETES_PORT_443_TCP_PORT") == "443");
  CHECK(env.at("KUBERNETES_PORT_443_TCP_ADDR") == "1.2.3.1");
  CHECK(env.at("MY_SVC_SERVICE_HOST") == "overridden");
  CHECK(env.at("MY_SVC_SERVICE_PORT") == "8081");
  CHECK(env.at("MY_SVC_SERVICE_PORT_METRICS") == "9090");
  CHECK(env.at("MY_SVC_PORT") == "tcp://10.0.0.2:8081");
  CHECK(env.at("MY_SVC_PORT_9090_TCP_ADDR") == "10.0.0.2");
  CHECK(env.count("HEADLESS_SERVICE_HOST") == 0);
  CHECK(env.count("FOREIGN_SERVICE_HOST") == 0);
  // The explicit variable keeps its place (first); service variables follow, by service name.
  CHECK(App(&pod)->env(0).name() == "MY_SVC_SERVICE_HOST");
  CHECK(App(&pod)->env(1).name() == "KUBERNETES_SERVICE_HOST");

  corev1::Pod no_links = MakePod();
  no_links.mutable_spec()->set_enableservicelinks(false);
  VK_REQUIRE_OK(ResolvePodEnvironment(Context::Background(), &no_links, resources, events));
  auto env2 = EnvMap(*App(&no_links));
  CHECK(env2.count("KUBERNETES_SERVICE_HOST") == 1);
  CHECK(env2.count("MY_SVC_SERVICE_HOST") == 0);
}

TEST_CASE("IPv6 cluster IPs are bracketed in link URLs") {
  auto svc = std::make_shared<corev1::Service>();
  svc->mutable_metadata()->set_name("v6");
  svc->mutable_spec()->set_clusterip("fd00::1");
  auto* p = svc->mutable_spec()->add_ports();
  p->set_port(53);
  p->set_protocol("UDP");
  auto vars = ServiceLinkEnvVars({svc});
  std::map<std::string, std::string> m;
  for (const auto& v : vars) m[v.name()] = v.value();
  CHECK(m.at("V6_PORT") == "udp://[fd00::1]:53");
  CHECK(m.at("V6_PORT_53_UDP_PROTO") == "udp");
}

}  // namespace
}  // namespace vkubelet::node
