#!/usr/bin/env bash
# Installs the pinned Azure tools the checks use into .tools/ (git-ignored): the Bicep CLI and Pester
# from NuGet, PowerShell as a .NET tool. Needs the .NET SDK. Safe to run again: present tools are kept.
# Prints the PATH line to use; `npm run check:infra` and `npm run test:ps` find .tools/ on their own.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
tools="$root/.tools"
BICEP_VERSION=0.49.2
PESTER_VERSION=5.7.1
PWSH_VERSION=7.6.9

if ! command -v dotnet >/dev/null 2>&1; then
  echo "install-tools: the .NET SDK (dotnet) is needed to fetch Bicep, PowerShell and Pester from NuGet" >&2
  exit 1
fi
mkdir -p "$tools/bin"

if [ ! -x "$tools/bin/bicep" ] || ! "$tools/bin/bicep" --version 2>/dev/null | grep -q "$BICEP_VERSION"; then
  dotnet restore "$root/scripts/tools/tools.csproj" --packages "$tools/nuget" --nologo -v quiet
  cp "$tools/nuget/azure.bicep.commandline.linux-x64/$BICEP_VERSION/tools/bicep" "$tools/bin/bicep"
  chmod +x "$tools/bin/bicep"
fi

pester="$tools/nuget/pester/$PESTER_VERSION/tools"
if [ ! -f "$pester/Pester.psd1" ]; then
  dotnet restore "$root/scripts/tools/tools.csproj" --packages "$tools/nuget" --nologo -v quiet
fi
mkdir -p "$tools/modules/Pester"
[ -e "$tools/modules/Pester/$PESTER_VERSION" ] || ln -s "$pester" "$tools/modules/Pester/$PESTER_VERSION"

if [ ! -x "$tools/pwsh/pwsh" ]; then
  dotnet tool install PowerShell --version "$PWSH_VERSION" --tool-path "$tools/pwsh"
fi
ln -sf "$tools/pwsh/pwsh" "$tools/bin/pwsh"

echo "install-tools: bicep $("$tools/bin/bicep" --version | awk '{print $4}'), pwsh $("$tools/bin/pwsh" -NoProfile -Command '$PSVersionTable.PSVersion.ToString()'), Pester $PESTER_VERSION in $tools"
echo "export PATH=\"$tools/bin:\$PATH\" PSModulePath=\"$tools/modules\""
