// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Kubernetes API types (generated from lib/proto/**/generated.proto) under short
// namespace aliases:
//
//   vkubelet::corev1::Pod           = k8s::io::api::core::v1::Pod
//   vkubelet::metav1::ObjectMeta    = k8s::io::apimachinery::pkg::apis::meta::v1::ObjectMeta
//   vkubelet::coordinationv1::Lease = k8s::io::api::coordination::v1::Lease
//
// Field accessors follow protoc's C++ naming: the upstream JSON name in lower
// case (pod.spec().nodename(), pod.metadata().creationtimestamp()).

#ifndef VKUBELET_TYPES_H_
#define VKUBELET_TYPES_H_

#include "k8s.io/api/authentication/v1/generated.pb.h"
#include "k8s.io/api/authorization/v1/generated.pb.h"
#include "k8s.io/api/coordination/v1/generated.pb.h"
#include "k8s.io/api/core/v1/generated.pb.h"
#include "k8s.io/api/events/v1/generated.pb.h"
#include "k8s.io/api/policy/v1/generated.pb.h"
#include "k8s.io/apimachinery/pkg/api/resource/generated.pb.h"
#include "k8s.io/apimachinery/pkg/apis/meta/v1/generated.pb.h"
#include "k8s.io/apimachinery/pkg/runtime/generated.pb.h"
#include "k8s.io/apimachinery/pkg/util/intstr/generated.pb.h"

namespace vkubelet {

namespace corev1 = ::k8s::io::api::core::v1;
namespace metav1 = ::k8s::io::apimachinery::pkg::apis::meta::v1;
namespace coordinationv1 = ::k8s::io::api::coordination::v1;
namespace eventsv1 = ::k8s::io::api::events::v1;
namespace policyv1 = ::k8s::io::api::policy::v1;
namespace authenticationv1 = ::k8s::io::api::authentication::v1;
namespace authorizationv1 = ::k8s::io::api::authorization::v1;
namespace k8sruntime = ::k8s::io::apimachinery::pkg::runtime;
namespace resourcepb = ::k8s::io::apimachinery::pkg::api::resource;
namespace intstr = ::k8s::io::apimachinery::pkg::util::intstr;

}  // namespace vkubelet

#endif  // VKUBELET_TYPES_H_
