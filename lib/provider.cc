// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/provider.h"

#include "vkubelet/errdefs.h"

namespace vkubelet {

absl::Status ContainerExecProvider::AttachToContainer(const Context&, const AttachRequest&, AttachIO&) {
  return errdefs::Unimplemented("the provider does not support attaching to containers");
}

}  // namespace vkubelet
