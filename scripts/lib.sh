# Shared by scripts/demo, scripts/test and the benchmarks: find Python 3.11+, keep .venv current.
# shellcheck shell=bash

find_python() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  echo "Python 3.11 or newer is needed (python3 --version says: $(python3 --version 2>&1))" >&2
  return 1
}

# ensure_venv [dev]: create .venv if needed and (re)install the project when pyproject.toml or
# constraints.txt (the pinned development tools) changed.
ensure_venv() {
  local extras="${1:-}"
  local spec="."
  [ "$extras" = "dev" ] && spec=".[dev]"
  if [ ! -x .venv/bin/python ]; then
    "$(find_python)" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip >/dev/null
  fi
  local stamp=".venv/.installed-${extras:-runtime}"
  local want
  want="$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "installing sla-ledger${extras:+ with $extras extras} into .venv ..."
    if ! .venv/bin/python -m pip install --quiet -c constraints.txt -e "$spec" >.venv/install.log 2>&1; then
      cat .venv/install.log >&2
      echo "installing into .venv failed (log above)" >&2
      return 1
    fi
    echo "$want" > "$stamp"
  fi
}
