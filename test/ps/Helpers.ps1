# Shared by the Pester tests: the repository root, fake native commands, and a runner that captures what a
# script writes with [Console]::Out/Error (which PowerShell's own redirection does not see) and its exit code.

$script:Repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path

# Writes an executable bash script (a fake native command: msdeploy.exe, appcmd.exe, az, azd) and returns its path.
function New-FakeCommand([string]$Path, [string]$Body) {
    $dir = Split-Path -Parent $Path
    if (-not (Test-Path -LiteralPath $dir)) { New-Item -ItemType Directory -Force -Path $dir | Out-Null }
    Set-Content -LiteralPath $Path -Value "#!/usr/bin/env bash`n$Body`n" -NoNewline -Encoding ascii
    & chmod +x $Path
    return $Path
}

# Runs a script in this session (so Pester mocks apply to the cmdlets it calls) and returns its exit code
# and console output. Env fallbacks of the deploy script are cleared first, so only $Parameters count.
function Invoke-CapturedScript([string]$Path, [hashtable]$Parameters = @{}) {
    $out = [System.IO.StringWriter]::new()
    $err = [System.IO.StringWriter]::new()
    $savedOut = [Console]::Out
    $savedErr = [Console]::Error
    [Console]::SetOut($out)
    [Console]::SetError($err)
    $global:LASTEXITCODE = 0
    try {
        $stream = & $Path @Parameters *>&1 | Out-String
        $code = $global:LASTEXITCODE
    }
    finally {
        [Console]::SetOut($savedOut)
        [Console]::SetError($savedErr)
    }
    return [pscustomobject]@{
        Code   = $code
        Stdout = $out.ToString()
        Stderr = $err.ToString()
        Stream = $stream
    }
}

# The contract shared by both deploy scripts and the app's hook.
function Get-Contract { Get-Content -LiteralPath (Join-Path $script:Repo 'scripts/contract.json') -Raw | ConvertFrom-Json }

# An examples-table value: a string, or {repeat, times}.
function Get-ExampleValue($Value) {
    if ($Value -is [string]) { return $Value }
    return ([string]$Value.repeat) * [int]$Value.times
}

# What ruleProblem (src/core/contract.ts) says about a value: the same wording the scripts print.
function Get-RuleProblem($Rule, [string]$Value) {
    if ($Value.Length -gt $Rule.maxLength) { return "is longer than $($Rule.maxLength) characters ($($Value.Length))" }
    if ($null -ne $Rule.pattern -and $Rule.pattern -ne '') {
        $pattern = $Rule.pattern -replace '\$$', '\z'
        if (-not [regex]::IsMatch($Value, $pattern, [Text.RegularExpressions.RegexOptions]::CultureInvariant)) { return $Rule.rule }
    }
    return $null
}
