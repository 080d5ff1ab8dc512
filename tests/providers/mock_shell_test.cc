// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The mock provider's built-in shell, without a provider around it.

#include <doctest/doctest.h>

#include "absl/strings/match.h"
#include "providers/mock/ip_pool.h"
#include "providers/mock/shell.h"
#include "tests/providers/provider_test_util.h"
#include "vkubelet/testing/assertions.h"

namespace vkubelet::mock::internal {
namespace {

// Streams over strings.
class StringStreams : public ShellStreams {
 public:
  explicit StringStreams(std::string in = "", bool tty = false) : in_(std::move(in)), tty_(tty) {}
  absl::StatusOr<size_t> Read(char* buffer, size_t size) override {
    size_t n = std::min(size, in_.size());
    in_.copy(buffer, n);
    in_.erase(0, n);
    return n;
  }
  absl::Status Out(std::string_view d) override {
    out.append(d);
    return absl::OkStatus();
  }
  absl::Status Err(std::string_view d) override {
    err.append(d);
    return absl::OkStatus();
  }
  bool Tty() const override { return tty_; }
  std::string out, err;

 private:
  std::string in_;
  bool tty_;
};

std::string Words(const Step& step) {
  std::string out;
  for (const Word& w : step.words) {
    out += "[";
    for (const WordPiece& p : w.pieces) out += p.variable ? "$" + p.text : p.text;
    out += "]";
  }
  return out;
}

TEST_CASE("ParseScript: words, quoting, joins") {
  auto steps = ParseScript(R"(echo "a b" 'c $X' d\ e $Y${Z}f; true && x || y)");
  VK_REQUIRE_OK(steps);
  REQUIRE(steps->size() == 4);
  CHECK(Words((*steps)[0]) == "[echo][a b][c $X][d e][$Y$Zf]");
  CHECK((*steps)[0].next == Step::Join::kAlways);
  CHECK((*steps)[1].next == Step::Join::kIfSuccess);
  CHECK((*steps)[2].next == Step::Join::kIfFailure);
  CHECK(Words((*steps)[3]) == "[y]");

  auto comment = ParseScript("echo a # not this\necho b");
  VK_REQUIRE_OK(comment);
  CHECK(comment->size() == 2);
  auto continued = ParseScript("true &&\n echo ok");
  VK_REQUIRE_OK(continued);
  CHECK(continued->size() == 2);
  auto empty = ParseScript(" ; ;");
  VK_REQUIRE_OK(empty);
  CHECK(empty->empty());
}

TEST_CASE("ParseScript: unsupported syntax and errors") {
  for (const char* bad : {"a | b", "a > f", "a < f", "a &", "echo $(id)", "echo `id`", "(a)", "echo 'x",
                          "echo \"x", "&& a", "a &&", "a || ; b", "echo ${1x}"}) {
    CHECK_MESSAGE(!ParseScript(bad).ok(), bad);
  }
}

TEST_CASE("RunCommand: env with assignments, printenv, ls, date, uname, id") {
  ShellContext sc;
  sc.hostname = "h";
  sc.env = {{"A", "1"}, {"B", "2"}, {"A", "3"}};
  StringStreams io;
  CHECK(RunCommand({"env"}, sc, io) == 0);
  CHECK(io.out == "B=2\nA=3\n");  // the later A wins, in its place
  io.out.clear();
  CHECK(RunCommand({"env", "C=4", "printenv", "C"}, sc, io) == 0);
  CHECK(io.out == "4\n");
  CHECK(sc.env.size() == 3);  // the assignment did not leak
  io.out.clear();
  CHECK(RunCommand({"printenv", "NOPE"}, sc, io) == 1);
  CHECK(RunCommand({"ls", "/"}, sc, io) == 2);  // no filesystem given
  CHECK(RunCommand({"uname"}, sc, io) == 0);
  CHECK(RunCommand({"id"}, sc, io) == 0);
  CHECK(RunCommand({"date"}, sc, io) == 0);
  CHECK(absl::StrContains(io.out, "UTC"));
  CHECK(RunCommand({"echo", "-n", "x"}, sc, io) == 0);
  CHECK(
      absl::EndsWith(io.out, "UTC " + absl::FormatTime("%Y", sc.clock->Now(), absl::UTCTimeZone()) + "\nx"));
  CHECK(RunCommand({"sleep", "abc"}, sc, io) == 1);
  CHECK(RunCommand({"exit", "300"}, sc, io) == 44);
  CHECK(RunCommand({"exit", "x"}, sc, io) == 2);
  CHECK(RunCommand({"stty", "size"}, sc, io) == 1);  // not a terminal
}

TEST_CASE("RunCommand: an empty-expanding word disappears, a quoted one stays") {
  ShellContext sc;
  StringStreams io;
  CHECK(RunCommand({"sh", "-c", "echo $NOPE x \"\" y"}, sc, io) == 0);
  CHECK(io.out == "x  y\n");
}

TEST_CASE("AttachShellStreams: the TTY line discipline") {
  test::FakeAttachIO io(true, true);
  AttachShellStreams streams(io);
  io.stdin_pipe().Push(
      "ab\x7f"
      "c\r");
  char buf[64];
  auto n = streams.Read(buf, sizeof buf);
  VK_REQUIRE_OK(n);
  CHECK(std::string(buf, *n) == "ac\n");
  CHECK(io.out().data() == "ab\b \bc\r\n");
  io.stdin_pipe().Push(
      "junk\x03"
      "\x04");
  n = streams.Read(buf, sizeof buf);
  VK_REQUIRE_OK(n);
  CHECK(std::string(buf, *n) == "\n");  // ^C dropped the line
  n = streams.Read(buf, sizeof buf);
  VK_REQUIRE_OK(n);
  CHECK(*n == 0);  // ^D on an empty line
  VK_CHECK_OK(streams.Out("x\ny\r\n"));
  CHECK(absl::EndsWith(io.out().data(), "x\r\ny\r\n"));
  VK_CHECK_OK(streams.Err("e\n"));  // a TTY has no stderr
  CHECK(absl::EndsWith(io.out().data(), "e\r\n"));
}

TEST_CASE("IpPool: range, uniqueness, round robin, exhaustion") {
  auto pool = IpPool::Parse("10.1.2.0/29");  // .2 to .6
  VK_REQUIRE_OK(pool);
  CHECK(pool->size() == 5);
  std::vector<std::string> got;
  for (int i = 0; i < 5; ++i) got.push_back(*pool->Allocate());
  CHECK(got.front() == "10.1.2.2");
  CHECK(got.back() == "10.1.2.6");
  CHECK_FALSE(pool->Allocate().has_value());
  pool->Release("10.1.2.4");
  CHECK(pool->Allocate() == "10.1.2.4");
  pool->Release("10.1.2.3");
  pool->Release("10.1.2.5");
  CHECK(pool->Allocate() == "10.1.2.5");  // round robin: not the lowest free one
  for (const char* bad : {"10.1.2.0", "10.1.2.0/31", "10.1.2.0/7", "300.1.2.0/24", "10.1.2/24", "fd00::/64",
                          "10.01.2.0/24", "10.1.2.0/x"}) {
    CHECK_MESSAGE(!IpPool::Parse(bad).ok(), bad);
  }
  auto odd = IpPool::Parse("10.1.2.77/24");  // host bits are ignored
  VK_REQUIRE_OK(odd);
  CHECK(odd->Allocate() == "10.1.2.2");
}

}  // namespace
}  // namespace vkubelet::mock::internal
