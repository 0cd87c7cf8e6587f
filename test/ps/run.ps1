# `npm run test:ps` (through scripts/tools/test-ps.sh): runs every Pester test under test/ps and ends with
# the plain "N passed, N failed" line; exits non-zero when a test fails or Pester 5 is missing.
$ErrorActionPreference = 'Stop'
$pester = Get-Module -ListAvailable -Name Pester | Where-Object { $_.Version -ge [version]'5.0' } | Sort-Object Version -Descending | Select-Object -First 1
if ($null -eq $pester) {
    [Console]::Error.WriteLine('test:ps: Pester 5 is not installed: run bash scripts/tools/install.sh (it puts Pester 5.7.1 into ./.tools/modules, which npm run test:ps finds on its own)')
    exit 1
}
Import-Module $pester.Path
$config = New-PesterConfiguration
$config.Run.Path = $PSScriptRoot
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$result = Invoke-Pester -Configuration $config
"test:ps: Pester $($pester.Version) on PowerShell $($PSVersionTable.PSVersion)"
"$($result.PassedCount) passed, $($result.FailedCount) failed, $($result.SkippedCount) skipped"
if ($result.FailedCount -gt 0 -or $result.Result -ne 'Passed' -or $result.PassedCount -eq 0) { exit 1 }
exit 0
