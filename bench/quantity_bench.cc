// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// resource::Quantity parse and canonical-string costs (ns/op), over the same
// mix of values upstream's quantity_test.go benchmarks use.

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "vkubelet/resource/quantity.h"

namespace {

using vkubelet::resource::Format;
using vkubelet::resource::Quantity;

std::vector<Quantity> Values() {
  return {
      Quantity::FromInt(int64_t{1} << 30, Format::kBinarySI),
      Quantity::FromInt(int64_t{1} << 40, Format::kBinarySI),
      Quantity::FromScaled(1000000, 3),
      Quantity::FromInt(1000000000),
      Quantity::FromMilli(1),
      Quantity::FromMilli(80),
      Quantity::FromMilli(1080),
      Quantity::FromInt(0, Format::kBinarySI),
      Quantity::FromScaled(1, 9, Format::kDecimalExponent),
      Quantity::FromScaled(1, -9),
      Quantity::FromScaled(1000000, 10),
  };
}

void BM_QuantityParse(benchmark::State& state) {
  std::vector<std::string> inputs;
  for (const Quantity& q : Values()) inputs.push_back(q.ToString());
  size_t i = 0;
  for (auto _ : state) {
    auto q = Quantity::Parse(inputs[i++ % inputs.size()]);
    benchmark::DoNotOptimize(q);
  }
}
BENCHMARK(BM_QuantityParse);

void BM_QuantityParseFractional(benchmark::State& state) {
  const std::vector<std::string> inputs = {"1.5Gi", "0.5", "100.035k", "3.001n", "0.025Ti"};
  size_t i = 0;
  for (auto _ : state) {
    auto q = Quantity::Parse(inputs[i++ % inputs.size()]);
    benchmark::DoNotOptimize(q);
  }
}
BENCHMARK(BM_QuantityParseFractional);

void BM_QuantityParseBig(benchmark::State& state) {
  const std::vector<std::string> inputs = {"9223372036854775808", "123456789012345678901234567890.5", "1000E"};
  size_t i = 0;
  for (auto _ : state) {
    auto q = Quantity::Parse(inputs[i++ % inputs.size()]);
    benchmark::DoNotOptimize(q);
  }
}
BENCHMARK(BM_QuantityParseBig);

void BM_QuantityToString(benchmark::State& state) {
  const std::vector<Quantity> values = Values();
  size_t i = 0;
  for (auto _ : state) {
    std::string s = values[i++ % values.size()].ToString();
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_QuantityToString);

void BM_QuantityToStringBinarySI(benchmark::State& state) {
  std::vector<Quantity> values;
  for (const Quantity& q : Values()) values.push_back(q.WithFormat(Format::kBinarySI));
  size_t i = 0;
  for (auto _ : state) {
    std::string s = values[i++ % values.size()].ToString();
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_QuantityToStringBinarySI);

void BM_QuantityAdd(benchmark::State& state) {
  const std::vector<Quantity> values = Values();
  const Quantity base = Quantity::FromInt(100);
  size_t i = 0;
  for (auto _ : state) {
    Quantity sum = base + values[i++ % values.size()];
    benchmark::DoNotOptimize(sum);
  }
}
BENCHMARK(BM_QuantityAdd);

void BM_QuantityCompare(benchmark::State& state) {
  const std::vector<Quantity> values = Values();
  size_t i = 0;
  for (auto _ : state) {
    const Quantity& a = values[i % values.size()];
    const Quantity& b = values[(i + 1) % values.size()];
    ++i;
    benchmark::DoNotOptimize(a.Compare(b));
  }
}
BENCHMARK(BM_QuantityCompare);

}  // namespace

BENCHMARK_MAIN();
