// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/testing/pod_builder.h"

#include <utility>

namespace vkubelet::testing {

namespace {
constexpr char kDefaultContainer[] = "app";
constexpr char kDefaultImage[] = "busybox:1.36";
}  // namespace

PodBuilder::PodBuilder() {
  pod_.mutable_metadata()->set_namespace_("default");
  pod_.mutable_metadata()->set_name("pod");
  pod_.mutable_spec()->set_restartpolicy("Always");
}

PodBuilder::PodBuilder(corev1::Pod pod) : pod_(std::move(pod)) {
  if (pod_.spec().containers_size() > 0) last_index_ = pod_.spec().containers_size() - 1;
}

PodBuilder& PodBuilder::Name(std::string name) {
  pod_.mutable_metadata()->set_name(std::move(name));
  return *this;
}
PodBuilder& PodBuilder::Namespace(std::string ns) {
  pod_.mutable_metadata()->set_namespace_(std::move(ns));
  return *this;
}
PodBuilder& PodBuilder::Uid(std::string uid) {
  pod_.mutable_metadata()->set_uid(std::move(uid));
  return *this;
}
PodBuilder& PodBuilder::Label(std::string key, std::string value) {
  (*pod_.mutable_metadata()->mutable_labels())[std::move(key)] = std::move(value);
  return *this;
}
PodBuilder& PodBuilder::Annotation(std::string key, std::string value) {
  (*pod_.mutable_metadata()->mutable_annotations())[std::move(key)] = std::move(value);
  return *this;
}
PodBuilder& PodBuilder::NodeName(std::string node) {
  pod_.mutable_spec()->set_nodename(std::move(node));
  return *this;
}
PodBuilder& PodBuilder::RestartPolicy(std::string policy) {
  pod_.mutable_spec()->set_restartpolicy(std::move(policy));
  return *this;
}
PodBuilder& PodBuilder::TerminationGracePeriodSeconds(int64_t seconds) {
  pod_.mutable_spec()->set_terminationgraceperiodseconds(seconds);
  return *this;
}
PodBuilder& PodBuilder::ServiceAccount(std::string name) {
  pod_.mutable_spec()->set_serviceaccountname(std::move(name));
  return *this;
}
PodBuilder& PodBuilder::Toleration(std::string key, std::string op, std::string value, std::string effect) {
  auto* t = pod_.mutable_spec()->add_tolerations();
  t->set_key(std::move(key));
  t->set_operator_(std::move(op));
  t->set_value(std::move(value));
  t->set_effect(std::move(effect));
  return *this;
}

PodBuilder& PodBuilder::Container(std::string name, std::string image) {
  auto* c = pod_.mutable_spec()->add_containers();
  c->set_name(std::move(name));
  c->set_image(std::move(image));
  last_is_init_ = false;
  last_index_ = pod_.spec().containers_size() - 1;
  return *this;
}

PodBuilder& PodBuilder::InitContainer(std::string name, std::string image) {
  auto* c = pod_.mutable_spec()->add_initcontainers();
  c->set_name(std::move(name));
  c->set_image(std::move(image));
  last_is_init_ = true;
  last_index_ = pod_.spec().initcontainers_size() - 1;
  return *this;
}

corev1::Container* PodBuilder::Last() {
  if (last_index_ < 0) Container(kDefaultContainer, kDefaultImage);
  return last_is_init_ ? pod_.mutable_spec()->mutable_initcontainers(last_index_)
                       : pod_.mutable_spec()->mutable_containers(last_index_);
}

PodBuilder& PodBuilder::Command(std::vector<std::string> command) {
  auto* c = Last();
  c->clear_command();
  for (auto& a : command) c->add_command(std::move(a));
  return *this;
}
PodBuilder& PodBuilder::Args(std::vector<std::string> args) {
  auto* c = Last();
  c->clear_args();
  for (auto& a : args) c->add_args(std::move(a));
  return *this;
}
PodBuilder& PodBuilder::WorkingDir(std::string dir) {
  Last()->set_workingdir(std::move(dir));
  return *this;
}
PodBuilder& PodBuilder::Env(std::string name, std::string value) {
  auto* e = Last()->add_env();
  e->set_name(std::move(name));
  e->set_value(std::move(value));
  return *this;
}
PodBuilder& PodBuilder::EnvFromSecretKey(std::string name, std::string secret, std::string key, bool optional) {
  auto* e = Last()->add_env();
  e->set_name(std::move(name));
  auto* ref = e->mutable_valuefrom()->mutable_secretkeyref();
  ref->mutable_localobjectreference()->set_name(std::move(secret));
  ref->set_key(std::move(key));
  if (optional) ref->set_optional(true);
  return *this;
}
PodBuilder& PodBuilder::EnvFromConfigMapKey(std::string name, std::string config_map, std::string key,
                                            bool optional) {
  auto* e = Last()->add_env();
  e->set_name(std::move(name));
  auto* ref = e->mutable_valuefrom()->mutable_configmapkeyref();
  ref->mutable_localobjectreference()->set_name(std::move(config_map));
  ref->set_key(std::move(key));
  if (optional) ref->set_optional(true);
  return *this;
}
PodBuilder& PodBuilder::EnvFromField(std::string name, std::string field_path) {
  auto* e = Last()->add_env();
  e->set_name(std::move(name));
  auto* ref = e->mutable_valuefrom()->mutable_fieldref();
  ref->set_apiversion("v1");
  ref->set_fieldpath(std::move(field_path));
  return *this;
}
PodBuilder& PodBuilder::EnvFromSecret(std::string secret, bool optional, std::string prefix) {
  auto* e = Last()->add_envfrom();
  if (!prefix.empty()) e->set_prefix(std::move(prefix));
  e->mutable_secretref()->mutable_localobjectreference()->set_name(std::move(secret));
  if (optional) e->mutable_secretref()->set_optional(true);
  return *this;
}
PodBuilder& PodBuilder::EnvFromConfigMap(std::string config_map, bool optional, std::string prefix) {
  auto* e = Last()->add_envfrom();
  if (!prefix.empty()) e->set_prefix(std::move(prefix));
  e->mutable_configmapref()->mutable_localobjectreference()->set_name(std::move(config_map));
  if (optional) e->mutable_configmapref()->set_optional(true);
  return *this;
}
PodBuilder& PodBuilder::Request(std::string resource, std::string quantity) {
  (*Last()->mutable_resources()->mutable_requests())[std::move(resource)].set_string(std::move(quantity));
  return *this;
}
PodBuilder& PodBuilder::Limit(std::string resource, std::string quantity) {
  (*Last()->mutable_resources()->mutable_limits())[std::move(resource)].set_string(std::move(quantity));
  return *this;
}
PodBuilder& PodBuilder::Port(int32_t container_port, std::string name, std::string protocol) {
  auto* p = Last()->add_ports();
  p->set_containerport(container_port);
  if (!name.empty()) p->set_name(std::move(name));
  p->set_protocol(std::move(protocol));
  return *this;
}

corev1::Pod PodBuilder::Build() const {
  corev1::Pod pod = pod_;
  if (pod.spec().containers_size() == 0) {
    auto* c = pod.mutable_spec()->add_containers();
    c->set_name(kDefaultContainer);
    c->set_image(kDefaultImage);
  }
  return pod;
}

}  // namespace vkubelet::testing
