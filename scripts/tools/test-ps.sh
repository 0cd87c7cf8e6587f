#!/usr/bin/env bash
# `npm run test:ps`: the Pester tests under test/ps (deploy-windows.ps1, the azd hooks for Windows, and
# PowerShell's own parser on every .ps1). Uses ./.tools (bash scripts/tools/install.sh) when present, else
# pwsh and Pester from PATH and PSModulePath. Not part of `npm test`, which needs only Node and npm.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
tools="$root/.tools"
[ ! -d "$tools/bin" ] || export PATH="$tools/bin:$PATH"
[ ! -d "$tools/modules" ] || export PSModulePath="$tools/modules${PSModulePath:+:$PSModulePath}"
if ! command -v pwsh >/dev/null 2>&1; then
  echo "test:ps: PowerShell (pwsh) is not installed: run bash scripts/tools/install.sh (needs the .NET SDK);" >&2
  echo "         it installs pwsh 7.6.9 and Pester 5.7.1 into ./.tools, which npm run test:ps finds on its own" >&2
  exit 1
fi
exec pwsh -NoLogo -NoProfile -NonInteractive -File "$root/test/ps/run.ps1"
