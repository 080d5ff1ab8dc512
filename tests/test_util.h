// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Small helpers shared by the project's own tests.

#ifndef VKUBELET_TESTS_TEST_UTIL_H_
#define VKUBELET_TESTS_TEST_UTIL_H_

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "vkubelet/testing/assertions.h"

namespace vkubelet::test {

inline std::string ReadTestdata(const std::string& relative) {
  std::ifstream in(std::string(VKUBELET_TESTDATA_DIR) + "/" + relative, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing testdata file " << relative);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace vkubelet::test

#endif  // VKUBELET_TESTS_TEST_UTIL_H_
