# Shared helpers for scripts/openstack-harness/* (sourced, not run).

HARNESS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# The cache folder for venvs that outlive one run: $DOCKYARD_HARNESS_DIR, else
# /var/cache/dockyard-harness, else ~/.cache/dockyard-harness.
harness_dir() {
  local dir="${DOCKYARD_HARNESS_DIR:-}"
  if [ -z "$dir" ]; then
    dir=/var/cache/dockyard-harness
    if ! mkdir -p "$dir" 2>/dev/null || [ ! -w "$dir" ]; then
      dir="${XDG_CACHE_HOME:-$HOME/.cache}/dockyard-harness"
    fi
  fi
  mkdir -p "$dir"
  (cd "$dir" && pwd)
}

# uv for fast installs: $UV, the project's .venv/bin/uv, or one on PATH ("" when none).
find_uv() {
  if [ -n "${UV:-}" ] && [ -x "$UV" ]; then
    echo "$UV"
  elif [ -x "$HARNESS_ROOT/.venv/bin/uv" ]; then
    echo "$HARNESS_ROOT/.venv/bin/uv"
  else
    command -v uv || true
  fi
}

# The interpreter new venvs are made from: $HARNESS_PYTHON, else the one the project's .venv
# was made from, else the first python3 on PATH (resolved past pyenv shims).
base_python() {
  if [ -n "${HARNESS_PYTHON:-}" ]; then
    "$HARNESS_PYTHON" -c 'import sys; print(sys.executable)'
  elif [ -x "$HARNESS_ROOT/.venv/bin/python" ]; then
    "$HARNESS_ROOT/.venv/bin/python" -c 'import sys; print(sys._base_executable)'
  else
    python3 -c 'import sys; print(sys.executable)'
  fi
}

# A free TCP port on 127.0.0.1.
free_port() {
  "$(base_python)" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_http URL SECONDS PID: until URL answers any HTTP status; fails when PID dies first.
wait_http() {
  local url="$1" deadline=$((SECONDS + $2)) pid="$3"
  while [ $SECONDS -lt $deadline ]; do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "$url")" != 000 ]; then
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "process $pid exited before $url answered" >&2
      return 1
    fi
    sleep 0.2
  done
  echo "timed out waiting for $url" >&2
  return 1
}

# stop_group PIDFILE SIGNAL [GRACE]: send SIGNAL to the process group led by the pid in PIDFILE
# (servers are started with setsid, so the leader's pid is the group id and its workers are in
# it), wait up to GRACE seconds (default 6) for the whole group to go, then SIGKILL what is left.
stop_group() {
  local file="$1" signal="$2" grace="${3:-6}" pid waited=0
  [ -f "$file" ] || return 0
  pid="$(cat "$file")"
  if [ -n "$pid" ] && kill -0 -- "-$pid" 2>/dev/null; then
    kill "-$signal" -- "-$pid" 2>/dev/null || true
    while kill -0 -- "-$pid" 2>/dev/null && [ "$waited" -lt $((grace * 10)) ]; do
      sleep 0.1
      waited=$((waited + 1))
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

# install_cached_venv NAME CHECK PACKAGE...: build NAME's venv once and print its path.
# The venv is $(harness_dir)/NAME-<hash of interpreter, packages and constraints.txt>, so a
# change to any of them builds a new one beside the old. CHECK (a shell command run with $VENV
# set) must succeed before the venv is marked complete; a complete venv returns at once.
# Concurrent calls wait for each other (flock). Installs with uv when found, else pip.
install_cached_venv() {
  local name="$1" check="$2" python constraints key venv marker log start uv
  shift 2
  python="$(base_python)"
  constraints="$HARNESS_ROOT/scripts/openstack-harness/constraints.txt"
  key="$( { printf '%s\n' "$python" "$@"; cat "$constraints"; } | sha256sum | cut -c1-12)"
  venv="$(harness_dir)/$name-$key"
  marker="$venv/.dockyard-harness-complete"
  if [ -f "$marker" ]; then
    echo "$venv"
    return 0
  fi
  exec 9>"$(harness_dir)/install-$name.lock"
  flock 9
  if [ ! -f "$marker" ]; then  # else another run finished it while this one waited
    start=$SECONDS
    rm -rf "$venv"
    log="$(harness_dir)/install-$name.log"
    echo "install $name: building $venv (log: $log)" >&2
    uv="$(find_uv)"
    if ! {
      if [ -n "$uv" ]; then
        "$uv" venv -q --python "$python" "$venv" &&
          "$uv" pip install --python "$venv/bin/python" -c "$constraints" "$@"
      else
        "$python" -m venv "$venv" && "$venv/bin/pip" install -q -c "$constraints" "$@"
      fi
    } >"$log" 2>&1 || ! VENV="$venv" bash -c "$check" >>"$log" 2>&1; then
      tail -n 30 "$log" >&2
      echo "install $name: FAILED; see $log" >&2
      exec 9>&-
      return 1
    fi
    date -u +%FT%TZ >"$marker"
    echo "install $name: done in $((SECONDS - start))s" >&2
  fi
  exec 9>&-
  echo "$venv"
}
