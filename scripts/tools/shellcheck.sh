#!/usr/bin/env bash
# `npm run lint:sh`: shellcheck on the shell scripts the project ships (the deploy script and the azd hooks:
# scripts/*.sh and infra/hooks/*.sh). Part of `npm run lint`, not of `npm test`, so that `npm test` needs
# only Node and npm.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

if ! command -v shellcheck >/dev/null 2>&1; then
  echo "lint:sh: shellcheck is not installed; install it with: apt-get install shellcheck" >&2
  echo "         (macOS: brew install shellcheck). .ci/run installs it." >&2
  exit 1
fi

mapfile -t files < <(find scripts infra/hooks -maxdepth 1 -type f -name '*.sh' | sort)
if [ "${#files[@]}" -eq 0 ]; then
  echo "lint:sh: no shell scripts found under scripts/ or infra/hooks/" >&2
  exit 1
fi
shellcheck --severity=style "${files[@]}"
echo "lint:sh: shellcheck $(shellcheck --version | sed -n 's/^version: //p') clean on ${#files[@]} scripts: ${files[*]}"
