// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The mock provider's built-in shell: what `kubectl exec` runs in a mock
// container. A handful of commands (echo, env, printenv, cat, ls, pwd,
// hostname, date, sleep, true, false, id, whoami, uname, stty size, exit) and
// `sh -c '<list>'` / an interactive `sh` with `;`, `&&`, `||`, quoting and
// `$VAR` expansion. Pipes, redirections, background jobs and command
// substitution are rejected with exit code 2. Private to the mock provider.

#ifndef VKUBELET_PROVIDERS_MOCK_SHELL_H_
#define VKUBELET_PROVIDERS_MOCK_SHELL_H_

#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "vkubelet/clock.h"
#include "vkubelet/context.h"
#include "vkubelet/provider.h"

namespace vkubelet::mock::internal {

// What a command sees of its container. Not owned; valid during the command.
struct ShellContext {
  Context ctx = Context::Background();
  const Clock* clock = Clock::Real();
  std::string hostname;
  std::string working_dir = "/";
  // The environment in order (PATH, HOSTNAME, the container's env, HOME).
  std::vector<std::pair<std::string, std::string>> env;
  // The container's files; NotFound when absent. Null: nothing but "/".
  std::function<absl::StatusOr<std::string>(const std::string& path)> read_file;
  std::function<absl::StatusOr<std::vector<std::string>>(const std::string& dir)> list_dir;
  // The client's terminal size, if known.
  std::function<std::optional<TermSize>()> term_size;
};

// The standard streams of a command.
class ShellStreams {
 public:
  virtual ~ShellStreams() = default;
  // Standard input: up to `size` bytes, 0 at end of input (or with no stdin).
  virtual absl::StatusOr<size_t> Read(char* buffer, size_t size) = 0;
  virtual absl::Status Out(std::string_view data) = 0;
  virtual absl::Status Err(std::string_view data) = 0;
  virtual bool Tty() const = 0;
};

// ShellStreams over an exec session. With a TTY it plays the terminal's line
// discipline: input is echoed and handed over a line at a time (backspace
// edits, ^C drops the line, ^D on an empty line ends input) and output "\n"
// becomes "\r\n". Writes are serialised, so another thread may write to the
// same session's stdout through Out().
class AttachShellStreams : public ShellStreams {
 public:
  explicit AttachShellStreams(AttachIO& io);
  absl::StatusOr<size_t> Read(char* buffer, size_t size) override;
  absl::Status Out(std::string_view data) override;
  absl::Status Err(std::string_view data) override;
  bool Tty() const override { return io_.Tty(); }

 private:
  absl::Status WriteLocked(ByteWriter* w, std::string_view data);
  AttachIO& io_;
  std::mutex write_mu_;
  std::string cooked_;  // a finished line not yet handed out
  std::string line_;    // the line being typed
  bool eof_ = false;
};

// One word of a parsed command line: literal text and variable references.
struct WordPiece {
  bool variable = false;  // text is a variable name ("?" for the last status)
  std::string text;
};
struct Word {
  std::vector<WordPiece> pieces;
  bool quoted = false;  // an empty quoted word survives expansion
};
// A simple command and how the next one is joined to it.
struct Step {
  enum class Join { kAlways, kIfSuccess, kIfFailure };
  std::vector<Word> words;
  Join next = Join::kAlways;
};

// Parses a command list. Errors: InvalidArgument naming the unsupported
// syntax or the unterminated quote.
absl::StatusOr<std::vector<Step>> ParseScript(std::string_view script);

// Runs `argv` as the container's runtime would exec it and returns the exit
// code (127 for unknown commands, 2 for usage and syntax errors).
int RunCommand(const std::vector<std::string>& argv, ShellContext& sc, ShellStreams& io);

}  // namespace vkubelet::mock::internal

#endif  // VKUBELET_PROVIDERS_MOCK_SHELL_H_
