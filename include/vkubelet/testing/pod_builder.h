// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// PodBuilder: a fluent way to write the pods a provider test feeds to its
// provider (or to the API server).
//
//   corev1::Pod pod = testing::PodBuilder()
//                         .Namespace("team-a")
//                         .Name("web")
//                         .Label("app", "web")
//                         .Container("app", "nginx:1.25")
//                         .Command({"nginx", "-g", "daemon off;"})
//                         .Env("MODE", "test")
//                         .Request("cpu", "250m")
//                         .Build();
//
// Container-level calls (Command, Args, Env*, Request, Limit, Port,
// WorkingDir) apply to the container added last; called before any
// Container() they add a container named "app" with image "busybox:1.36"
// first. Build() of a builder without containers gives that same single
// container, so Build() always yields a pod a provider can run.
//
// A plain value: copy it to derive variants. Not thread-safe (like any value).

#ifndef VKUBELET_TESTING_POD_BUILDER_H_
#define VKUBELET_TESTING_POD_BUILDER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "vkubelet/types.h"

namespace vkubelet::testing {

class PodBuilder {
 public:
  // Namespace "default", name "pod", no uid, restartPolicy "Always".
  PodBuilder();
  // Starts from an existing pod (e.g. a template).
  explicit PodBuilder(corev1::Pod pod);

  // --- Metadata -----------------------------------------------------------
  PodBuilder& Name(std::string name);
  PodBuilder& Namespace(std::string ns);
  PodBuilder& Uid(std::string uid);
  PodBuilder& Label(std::string key, std::string value);
  PodBuilder& Annotation(std::string key, std::string value);

  // --- Spec ---------------------------------------------------------------
  PodBuilder& NodeName(std::string node);
  PodBuilder& RestartPolicy(std::string policy);  // "Always", "OnFailure", "Never"
  PodBuilder& TerminationGracePeriodSeconds(int64_t seconds);
  PodBuilder& ServiceAccount(std::string name);
  PodBuilder& Toleration(std::string key, std::string op, std::string value, std::string effect);

  // Adds a container (or an init container); later container-level calls
  // apply to it.
  PodBuilder& Container(std::string name, std::string image);
  PodBuilder& InitContainer(std::string name, std::string image);

  // --- The last container ---------------------------------------------------
  PodBuilder& Command(std::vector<std::string> command);
  PodBuilder& Args(std::vector<std::string> args);
  PodBuilder& WorkingDir(std::string dir);
  PodBuilder& Env(std::string name, std::string value);
  // env[].valueFrom.secretKeyRef / configMapKeyRef.
  PodBuilder& EnvFromSecretKey(std::string name, std::string secret, std::string key, bool optional = false);
  PodBuilder& EnvFromConfigMapKey(std::string name, std::string config_map, std::string key, bool optional = false);
  // env[].valueFrom.fieldRef (apiVersion v1), e.g. "metadata.name".
  PodBuilder& EnvFromField(std::string name, std::string field_path);
  // envFrom[].secretRef / configMapRef (every key, with an optional prefix).
  PodBuilder& EnvFromSecret(std::string secret, bool optional = false, std::string prefix = "");
  PodBuilder& EnvFromConfigMap(std::string config_map, bool optional = false, std::string prefix = "");
  PodBuilder& Request(std::string resource, std::string quantity);
  PodBuilder& Limit(std::string resource, std::string quantity);
  PodBuilder& Port(int32_t container_port, std::string name = "", std::string protocol = "TCP");

  // The pod (the builder stays usable).
  corev1::Pod Build() const;

 private:
  corev1::Container* Last();
  corev1::Pod pod_;
  // The container later calls apply to: index into containers or initContainers.
  bool last_is_init_ = false;
  int last_index_ = -1;
};

}  // namespace vkubelet::testing

#endif  // VKUBELET_TESTING_POD_BUILDER_H_
