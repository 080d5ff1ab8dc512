# Shared helpers of the shell end-to-end tests (sourced).
# Every wait polls a condition with a deadline; nothing relies on a fixed sleep.

fail() {
  echo "FAIL: $*" >&2
  for f in "${work:-/nonexistent}"/*.out "${work:-/nonexistent}"/*.err; do
    [[ -f "$f" ]] || continue
    echo "----- $f (last 40 lines)" >&2
    tail -n 40 "$f" >&2
  done
  exit 1
}

# wait_until SECONDS DESCRIPTION COMMAND...: runs COMMAND until it succeeds.
wait_until() {
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || fail "timed out after ${seconds}s waiting for: $what"
    sleep 0.2
  done
}

# expect_eq DESCRIPTION WANT GOT
expect_eq() {
  [[ "$2" == "$3" ]] || fail "$1: want '$2', got '$3'"
  echo "ok: $1"
}

# expect_contains DESCRIPTION NEEDLE HAYSTACK
expect_contains() {
  [[ "$3" == *"$2"* ]] || fail "$1: '$2' not found in: $3"
  echo "ok: $1"
}

# stop_process PID SECONDS: SIGINT, then wait at most SECONDS for the exit;
# sets stopped_rc to the exit code. Fails when the process outlives the
# deadline. (Not for $(...): only this shell can wait for its children.)
stop_process() {
  local pid=$1 seconds=$2
  kill -INT "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + seconds))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      kill -KILL "$pid" 2>/dev/null || true
      fail "process $pid still running ${seconds}s after SIGINT"
    fi
    sleep 0.05
  done
  stopped_rc=0
  wait "$pid" || stopped_rc=$?
}
