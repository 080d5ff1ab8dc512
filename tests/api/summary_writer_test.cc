// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The Summary JSON encoder (cursor-based, streamed in pieces) against the
// encoder it replaced (summary_json_reference.h): the same bytes, and the
// same JSON once parsed, on generated summaries with hostile names (quotes,
// backslashes, control and HTML characters, multi-byte and invalid UTF-8,
// U+2028), odd times and non-finite numbers; pieces that join to ToJson's
// output; the CPU-and-memory view without copying the Summary.

#include "stats/summary_writer.h"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "stats/resource_metrics.h"
#include "summary_json_reference.h"
#include "vkubelet/stats/summary.h"

namespace vkubelet::stats {
namespace {

// Generates summaries from a seed; every optional is present about half the
// time, so both the omitted and the written forms of each field occur.
class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  Summary Make(int pods) {
    Summary s;
    s.node.node_name = Name();
    for (int i = Below(3); i > 0; --i) s.node.system_containers.push_back(Container());
    s.node.start_time = Time();
    if (Coin()) s.node.cpu = Cpu();
    if (Coin()) s.node.memory = Memory();
    if (Coin()) s.node.io = IOStats{Time(), Psi()};
    if (Coin()) s.node.network = Network();
    if (Coin()) s.node.fs = Fs();
    if (Coin()) s.node.runtime = RuntimeStats{OptFs(), OptFs()};
    if (Coin()) s.node.rlimit = RlimitStats{Time(), OptI64(), OptI64()};
    if (Coin()) s.node.swap = Swap();
    for (int i = 0; i < pods; ++i) s.pods.push_back(Pod());
    return s;
  }

 private:
  bool Coin() { return rng_() % 2 == 0; }
  int Below(int n) { return static_cast<int>(rng_() % static_cast<uint32_t>(n)); }

  std::string Name() {
    static const std::vector<std::string> kPieces = {"web",
                                                     "pod-1",
                                                     "a\"b",
                                                     "back\\slash",
                                                     "new\nline",
                                                     "tab\t",
                                                     "cr\r",
                                                     "\x01\x1f",
                                                     "<script>",
                                                     "a&b",
                                                     "caf\xc3\xa9",
                                                     "\xe2\x82\xac",
                                                     "\xf0\x9f\x98\x80",
                                                     "\xff\xfe",
                                                     "\xc3",
                                                     "\xe2\x80\xa8",
                                                     "\xe2\x80\xa9",
                                                     "\xed\xa0\x80",
                                                     "\xc0\xaf",
                                                     "",
                                                     " ",
                                                     "/",
                                                     "\x7f",
                                                     "ns.example.com"};
    std::string out;
    for (int i = Below(4); i >= 0; --i)
      out += kPieces[static_cast<size_t>(Below(static_cast<int>(kPieces.size())))];
    return out;
  }

  absl::Time Time() {
    switch (Below(9)) {
      case 0:
        return absl::Time();  // zero: null
      case 1:
        return absl::InfinitePast();
      case 2:
        return absl::FromUnixSeconds(-1) - absl::Milliseconds(1);  // before the epoch
      case 3:
        return absl::FromCivil(absl::CivilSecond(12000, 1, 1, 0, 0, 0), absl::UTCTimeZone());  // past 9999
      case 4:
        return absl::FromCivil(absl::CivilSecond(2024, 2, 29, 23, 59, 59), absl::UTCTimeZone()) +
               absl::Milliseconds(999);
      case 5:
        return absl::FromCivil(absl::CivilSecond(1, 1, 1, 0, 0, 0), absl::UTCTimeZone());
      default:
        // Mostly a few repeated instants, as real summaries have.
        return absl::FromUnixSeconds(1700000000 + Below(3)) + absl::Milliseconds(Below(1000));
    }
  }

  std::optional<uint64_t> OptU64() {
    if (Coin()) return std::nullopt;
    switch (Below(4)) {
      case 0:
        return 0;
      case 1:
        return UINT64_MAX;
      default:
        return (static_cast<uint64_t>(rng_()) << 32) | rng_();
    }
  }
  std::optional<int64_t> OptI64() {
    if (Coin()) return std::nullopt;
    return Coin() ? INT64_MIN : static_cast<int64_t>(rng_()) - (1LL << 31);
  }
  double Double() {
    static const double kValues[] = {0,    -0.0,  0.5,    1e-7,     1e21,     123456789.125,
                                     1e-6, 1e20,  -2.75,  NAN,      INFINITY, -INFINITY,
                                     3.14, 1e300, 5e-324, 0.1 + 0.2};
    return kValues[Below(static_cast<int>(std::size(kValues)))];
  }
  std::optional<PSIStats> Psi() {
    if (Coin()) return std::nullopt;
    return PSIStats{{rng_(), Double(), Double(), Double()}, {rng_(), Double(), Double(), Double()}};
  }
  CPUStats Cpu() { return CPUStats{Time(), OptU64(), OptU64(), Psi()}; }
  MemoryStats Memory() {
    MemoryStats m;
    m.time = Time();
    m.available_bytes = OptU64();
    m.usage_bytes = OptU64();
    m.working_set_bytes = OptU64();
    m.rss_bytes = OptU64();
    m.page_faults = OptU64();
    m.major_page_faults = OptU64();
    m.psi = Psi();
    return m;
  }
  SwapStats Swap() { return SwapStats{Time(), OptU64(), OptU64()}; }
  FsStats Fs() {
    FsStats f;
    f.time = Time();
    f.available_bytes = OptU64();
    f.capacity_bytes = OptU64();
    f.used_bytes = OptU64();
    f.inodes_free = OptU64();
    f.inodes = OptU64();
    f.inodes_used = OptU64();
    return f;
  }
  std::optional<FsStats> OptFs() {
    if (Coin()) return std::nullopt;
    return Fs();
  }
  InterfaceStats Interface() { return InterfaceStats{Name(), OptU64(), OptU64(), OptU64(), OptU64()}; }
  NetworkStats Network() {
    NetworkStats n;
    n.time = Time();
    n.default_interface = Interface();
    for (int i = Below(3); i > 0; --i) n.interfaces.push_back(Interface());
    return n;
  }
  ContainerStats Container() {
    ContainerStats c;
    c.name = Name();
    c.start_time = Time();
    if (Coin()) c.cpu = Cpu();
    if (Coin()) c.memory = Memory();
    if (Coin()) c.io = IOStats{Time(), Psi()};
    for (int i = Below(3) - 1; i > 0; --i) {
      c.accelerators.push_back(AcceleratorStats{Name(), Name(), Name(), rng_(), rng_(), rng_()});
    }
    c.rootfs = OptFs();
    c.logs = OptFs();
    for (int i = Below(3) - 1; i > 0; --i) {
      UserDefinedMetric m;
      m.name = Name();
      m.type = Coin() ? "gauge" : "cumulative";
      m.units = Name();
      for (int k = Below(3); k > 0; --k) m.labels[Name()] = Name();
      m.time = Time();
      m.value = Double();
      c.user_defined_metrics.push_back(m);
    }
    if (Coin()) c.swap = Swap();
    return c;
  }
  PodStats Pod() {
    PodStats p;
    p.pod_ref = {Name(), Name(), Name()};
    p.start_time = Time();
    for (int i = Below(4); i > 0; --i) p.containers.push_back(Container());
    if (Coin()) p.cpu = Cpu();
    if (Coin()) p.memory = Memory();
    if (Coin()) p.io = IOStats{Time(), Psi()};
    if (Coin()) p.network = Network();
    for (int i = Below(3); i > 0; --i) {
      VolumeStats v;
      v.fs = Fs();
      v.name = Coin() ? "" : Name();
      if (Coin()) v.pvc_ref = PVCReference{Name(), Name()};
      p.volume.push_back(v);
    }
    p.ephemeral_storage = OptFs();
    if (Coin()) p.process_stats = ProcessStats{OptU64()};
    if (Coin()) p.swap = Swap();
    return p;
  }

  std::mt19937 rng_;
};

std::string Pieces(const Summary& s, internal::SummaryJsonOptions o, int* count = nullptr) {
  std::string joined;
  int n = 0;
  bool ok = internal::WriteSummaryJson(s, o, [&](std::string& piece) {
    joined += piece;
    ++n;
    return true;
  });
  CHECK(ok);
  if (count) *count = n;
  return joined;
}

TEST_CASE("ToJson writes the same bytes as the previous encoder") {
  for (uint32_t seed = 1; seed <= 200; ++seed) {
    CAPTURE(seed);
    Summary s = Generator(seed).Make(static_cast<int>(seed % 7));
    std::string got = ToJson(s);
    std::string want = reference::ReferenceToJson(s);
    REQUIRE(got == want);
    // And the same document once parsed (invalid UTF-8 is replaced, so both
    // always parse).
    auto a = nlohmann::json::parse(got, nullptr, false);
    auto b = nlohmann::json::parse(want, nullptr, false);
    REQUIRE_FALSE(a.is_discarded());
    CHECK(a == b);
  }
}

TEST_CASE("escaping of names matches Go's encoding/json") {
  Summary s;
  s.node.node_name = "q\"b\\n\n<>&\x01\x7f\xe2\x80\xa8\xff\xc3\xa9";
  PodStats p;
  p.pod_ref = {"a\tb\rc", "\xf0\x9f\x98\x80", std::string("nul\0x", 5)};
  s.pods.push_back(p);
  std::string json = ToJson(s);
  CHECK(json == reference::ReferenceToJson(s));
  CHECK(json.find(R"("nodeName":"q\"b\\n\n\u003c\u003e\u0026\u0001)"
                  "\x7f"
                  R"(\u2028\ufffdé")") != std::string::npos);
  CHECK(json.find(R"("name":"a\tb\rc","namespace":"😀","uid":"nul\u0000x")") != std::string::npos);
}

TEST_CASE("pieces join to exactly ToJson's output, whatever their size") {
  Summary s = Generator(7).Make(40);
  std::string whole = ToJson(s);
  for (size_t piece : {size_t{1}, size_t{7}, size_t{512}, size_t{4096}, size_t{1} << 20}) {
    CAPTURE(piece);
    int count = 0;
    CHECK(Pieces(s, {piece, false}, &count) == whole);
    if (piece >= whole.size()) {
      CHECK(count == 1);
    } else {
      CHECK(count > 1);
    }
  }
}

TEST_CASE("the CPU-and-memory view is written without copying the Summary") {
  for (uint32_t seed = 300; seed < 340; ++seed) {
    CAPTURE(seed);
    Summary s = Generator(seed).Make(5);
    CHECK(Pieces(s, {64, true}) == ToJson(internal::CpuAndMemoryOnly(s)));
  }
}

TEST_CASE("a sink that refuses a piece stops the writing") {
  Summary s = Generator(9).Make(200);
  int calls = 0;
  bool ok = internal::WriteSummaryJson(s, {256, false}, [&](std::string&) { return ++calls < 3; });
  CHECK_FALSE(ok);
  CHECK(calls == 3);
}

}  // namespace
}  // namespace vkubelet::stats
