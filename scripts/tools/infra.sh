#!/usr/bin/env bash
# The Bicep CLI's checks of infra/ (Azure's own compiler and linter, rules in bicepconfig.json):
#   infra.sh build   compile infra/main.bicep into infra/main.json (commit it: npm test reads it)
#   infra.sh check   compile and lint every .bicep file with no diagnostic allowed, and fail when the
#                    committed infra/main.json is not what the compiler produces
# Uses ./.tools/bin/bicep (bash scripts/tools/install.sh), else `bicep` on PATH; the version must be the
# pinned one, since the compiled JSON records the compiler's version.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
pinned="$(sed -n 's/^BICEP_VERSION=//p' scripts/tools/install.sh)"

if [ -x "$root/.tools/bin/bicep" ]; then
  bicep="$root/.tools/bin/bicep"
elif command -v bicep >/dev/null 2>&1; then
  bicep="$(command -v bicep)"
else
  echo "check:infra: the Bicep CLI is not installed. Install the pinned version ($pinned) into ./.tools with" >&2
  echo "  bash scripts/tools/install.sh      (needs the .NET SDK; fetches Azure.Bicep.CommandLine.linux-x64 from NuGet)" >&2
  exit 2
fi
version="$("$bicep" --version | awk '{print $4}')"
if [ "$version" != "$pinned" ]; then
  echo "check:infra: $bicep is Bicep $version; this repository pins $pinned (infra/main.json records the version)." >&2
  echo "  bash scripts/tools/install.sh      installs $pinned into ./.tools, which is used first" >&2
  exit 2
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# Any diagnostic fails: warnings from the compiler as well as the linter's rules (all errors in bicepconfig.json).
compile() {
  if ! "$bicep" build infra/main.bicep --outfile "$1" 2>"$tmp/build.err" || [ -s "$tmp/build.err" ]; then
    sed "s|$root/||" "$tmp/build.err" >&2
    echo "check:infra: bicep build infra/main.bicep reported the diagnostics above" >&2
    exit 1
  fi
}

case "${1:-}" in
  build)
    compile infra/main.json
    echo "build:infra: infra/main.json compiled by Bicep $version"
    ;;
  check)
    compile "$tmp/main.json"
    # Every file, also one no module references yet (one process: the CLI starts slowly).
    if ! "$bicep" lint --pattern 'infra/**/*.bicep' >"$tmp/lint.out" 2>&1 || [ -s "$tmp/lint.out" ]; then
      sed "s|$root/||" "$tmp/lint.out" >&2
      echo "check:infra: bicep lint reported the diagnostics above" >&2
      exit 1
    fi
    if ! cmp -s "$tmp/main.json" infra/main.json; then
      diff -u infra/main.json "$tmp/main.json" | head -40 >&2 || true
      echo "check:infra: infra/main.json is not what infra/main.bicep compiles to; run npm run build:infra and commit it" >&2
      exit 1
    fi
    echo "check:infra: infra/*.bicep compile and lint clean with Bicep $version; infra/main.json is current"
    ;;
  *)
    echo "usage: $0 build|check" >&2
    exit 2
    ;;
esac
