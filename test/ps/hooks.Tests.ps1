# Pester tests of the azd hooks for Windows (infra/hooks/*.ps1), against fake az and azd commands on PATH;
# the same cases as the POSIX hooks' tests in test/infra/scripts.test.ts.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Helpers.ps1')
    $script:Hooks = Join-Path $Repo 'infra/hooks'
    $script:Work = Join-Path ([System.IO.Path]::GetTempPath()) "azd-hooks-ps-$([guid]::NewGuid().ToString('N'))"
    $script:Bin = Join-Path $Work 'bin'
    # az: behaviour chosen by FAKE_AZ; every call appended to $FAKE_LOG, one argument per field (|).
    New-FakeCommand (Join-Path $Bin 'az') @'
{ printf 'az'; printf '|%s' "$@"; echo; } >>"$FAKE_LOG"
case "$1 $2" in
  "network traffic-manager" | "afd profile")
    case "$FAKE_AZ" in
      exists) echo traf-abc; exit 0 ;;
      none) exit 0 ;;
      nogroup) echo "(ResourceGroupNotFound) Resource group 'rg-x' could not be found." >&2; exit 3 ;;
      *) echo "(AuthorizationFailed) The client does not have authorization" >&2; exit 1 ;;
    esac ;;
  "keyvault secret") echo "value-of-$7"; exit 0 ;;
  "functionapp function")
    for a in "$@"; do case "$a" in @*) echo "file:$(cat "${a#@}")" >>"$FAKE_LOG" ;; esac; done
    if [ -n "$FAKE_FAIL_ONCE" ] && [ ! -e "$FAKE_LOG.failed" ]; then touch "$FAKE_LOG.failed"; echo "not found" >&2; exit 1; fi
    exit 0 ;;
esac
exit 9
'@ | Out-Null
    New-FakeCommand (Join-Path $Bin 'azd') '{ printf "azd"; printf "|%s" "$@"; echo; } >>"$FAKE_LOG"' | Out-Null

    $script:HookEnv = @('AZURE_ENV_NAME', 'AZURE_RESOURCE_GROUP', 'SAMPLE_TARGET_EXISTS', 'TRAFFIC_PROVIDER', 'AZURE_FUNCTION_NAME',
        'AZURE_KEY_VAULT_NAME', 'DEVOPS_HOOK_URL', 'FAKE_AZ', 'FAKE_FAIL_ONCE', 'FAKE_LOG')

    # Runs a hook in this session with the fakes first on PATH and only the given variables set. A
    # terminating error (Write-Error under $ErrorActionPreference = 'Stop') is exit 1, as under pwsh -File.
    function script:Invoke-Hook([string]$Name, [hashtable]$Environment) {
        $log = Join-Path $Work "log-$([guid]::NewGuid().ToString('N'))"
        Set-Content -LiteralPath $log -Value '' -NoNewline
        $savedPath = $env:PATH
        foreach ($n in $HookEnv) { Remove-Item -LiteralPath "Env:$n" -ErrorAction SilentlyContinue }
        $env:FAKE_LOG = $log
        foreach ($k in $Environment.Keys) { Set-Item -LiteralPath "Env:$k" -Value $Environment[$k] }
        $env:PATH = "$Bin$([System.IO.Path]::PathSeparator)$savedPath"
        $global:LASTEXITCODE = 0
        $errorText = ''
        try {
            $output = & (Join-Path $Hooks $Name) *>&1 | Out-String
            $code = $global:LASTEXITCODE
        }
        catch {
            $output = ''
            $errorText = $_.Exception.Message
            $code = 1
        }
        finally {
            $env:PATH = $savedPath
            foreach ($n in $HookEnv) { Remove-Item -LiteralPath "Env:$n" -ErrorAction SilentlyContinue }
        }
        return [pscustomobject]@{
            Code   = $code
            Output = $output
            Error  = $errorText
            Log    = @(Get-Content -LiteralPath $log | Where-Object { $_ -ne '' })
        }
    }
}

AfterAll { Remove-Item -LiteralPath $Work -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'infra/hooks/preprovision.ps1' {
    It 'first provision: no resource group yet, nothing recorded -> exit 0, nothing saved' {
        $r = Invoke-Hook 'preprovision.ps1' @{ AZURE_ENV_NAME = 'dev'; FAKE_AZ = 'nogroup' }
        $r.Code | Should -Be 0
        $r.Log | Where-Object { $_ -like 'azd*' } | Should -BeNullOrEmpty
        $r.Log[0] | Should -BeExactly "az|network|traffic-manager|profile|list|--resource-group|rg-dev|--query|[?tags.`"azd-env-name`"=='dev'].name|--output|tsv"
    }

    It 're-provision: the profile exists and the environment says so -> left untouched (exit 0)' {
        $r = Invoke-Hook 'preprovision.ps1' @{ AZURE_ENV_NAME = 'dev'; FAKE_AZ = 'exists'; SAMPLE_TARGET_EXISTS = 'True'; AZURE_RESOURCE_GROUP = 'rg-custom' }
        $r.Code | Should -Be 0
        $r.Log[0] | Should -Match '\|--resource-group\|rg-custom\|'
        $r.Log | Where-Object { $_ -like 'azd*' } | Should -BeNullOrEmpty
        $r.Output | Should -Match 'SAMPLE_TARGET_EXISTS=true'
    }

    It 'a profile exists that the environment does not know -> records true and stops before Bicep runs' {
        $r = Invoke-Hook 'preprovision.ps1' @{ AZURE_ENV_NAME = 'dev'; FAKE_AZ = 'exists' }
        $r.Code | Should -Be 1
        $r.Log | Should -Contain 'azd|env|set|SAMPLE_TARGET_EXISTS|true'
        $r.Output | Should -Match 'run the command again'
    }

    It 'TRAFFIC_PROVIDER=frontDoor: looks for the Front Door profile instead (same rule)' {
        $r = Invoke-Hook 'preprovision.ps1' @{ AZURE_ENV_NAME = 'dev'; FAKE_AZ = 'exists'; TRAFFIC_PROVIDER = 'frontDoor' }
        $r.Code | Should -Be 1
        $r.Log[0] | Should -BeLike 'az|afd|profile|list|--resource-group|rg-dev|*'
        $r.Log | Should -Contain 'azd|env|set|SAMPLE_TARGET_EXISTS|true'
        $bad = Invoke-Hook 'preprovision.ps1' @{ AZURE_ENV_NAME = 'dev'; FAKE_AZ = 'exists'; TRAFFIC_PROVIDER = 'appGateway' }
        $bad.Code | Should -Be 1
        $bad.Log | Should -BeNullOrEmpty
    }

    It 'after azd down: recorded true but gone -> records false and stops' {
        $r = Invoke-Hook 'preprovision.ps1' @{ AZURE_ENV_NAME = 'dev'; FAKE_AZ = 'none'; SAMPLE_TARGET_EXISTS = 'true' }
        $r.Code | Should -Be 1
        $r.Log | Should -Contain 'azd|env|set|SAMPLE_TARGET_EXISTS|false'
    }

    It 'cannot tell (not authorized) -> stops without guessing, so live traffic is never overwritten' {
        $r = Invoke-Hook 'preprovision.ps1' @{ AZURE_ENV_NAME = 'dev'; FAKE_AZ = 'denied'; SAMPLE_TARGET_EXISTS = 'true' }
        $r.Code | Should -Be 1
        $r.Log | Where-Object { $_ -like 'azd*' } | Should -BeNullOrEmpty
        $r.Error | Should -Match 'cannot tell whether the Traffic Manager profile exists in rg-dev: .*AuthorizationFailed'
    }

    It 'outside azd (no AZURE_ENV_NAME) -> exit 1 naming it, az never called' {
        $r = Invoke-Hook 'preprovision.ps1' @{ FAKE_AZ = 'exists' }
        $r.Code | Should -Be 1
        $r.Error | Should -Match 'AZURE_ENV_NAME is not set'
        $r.Log | Should -BeNullOrEmpty
    }
}

Describe 'infra/hooks/postdeploy.ps1' {
    BeforeAll {
        $script:DeployEnv = @{
            AZURE_RESOURCE_GROUP = 'rg-dev'
            AZURE_FUNCTION_NAME  = 'func-release-abc'
            AZURE_KEY_VAULT_NAME = 'kv-abc'
            DEVOPS_HOOK_URL      = 'https://func-release-abc.azurewebsites.net/api/hooks/devops/sample'
        }
    }
    BeforeEach { Mock Start-Sleep {} }

    It 'sets each hook key from Key Vault through a file, never on the command line, and prints no secret' {
        $r = Invoke-Hook 'postdeploy.ps1' $DeployEnv
        $r.Code | Should -Be 0
        $sets = @($r.Log | Where-Object { $_ -like 'az|functionapp|function|keys|set|*' })
        $sets.Count | Should -Be 2
        $sets[0] | Should -Match '\|--resource-group\|rg-dev\|--name\|func-release-abc\|--function-name\|DevOpsHook\|--key-name\|azure-devops\|--key-value\|@'
        $sets[1] | Should -Match '\|--function-name\|AlertHook\|--key-name\|azure-monitor\|'
        $r.Log | Should -Contain 'file:value-of-devops-function-key'
        $r.Log | Should -Contain 'file:value-of-alerts-function-key'
        ($sets -join "`n") | Should -Not -Match 'value-of-'
        $r.Output | Should -Not -Match 'value-of-'
        $r.Output | Should -Match ([regex]::Escape("$($DeployEnv.DEVOPS_HOOK_URL)?code=<key>"))
    }

    It 'removes the temporary key file whatever happens' {
        $before = @(Get-ChildItem -LiteralPath ([System.IO.Path]::GetTempPath()) -File -Filter 'tmp*').Count
        $r = Invoke-Hook 'postdeploy.ps1' $DeployEnv
        $r.Code | Should -Be 0
        $files = $r.Log | Where-Object { $_ -like 'az|functionapp|*' } | ForEach-Object { ($_ -split '\|@')[1] -split '\|' | Select-Object -First 1 }
        @($files).Count | Should -Be 2
        foreach ($f in $files) { Test-Path -LiteralPath $f | Should -BeFalse }
        @(Get-ChildItem -LiteralPath ([System.IO.Path]::GetTempPath()) -File -Filter 'tmp*').Count | Should -BeLessOrEqual $before
    }

    It 'retries while the host has not indexed the functions yet, waiting between attempts' {
        $r = Invoke-Hook 'postdeploy.ps1' ($DeployEnv + @{ FAKE_FAIL_ONCE = '1' })
        $r.Code | Should -Be 0
        @($r.Log | Where-Object { $_ -like 'az|functionapp|function|keys|set|*' }).Count | Should -Be 3
        Should -Invoke Start-Sleep -Times 1 -Exactly -ParameterFilter { $Seconds -eq 10 }
    }

    It 'names the missing setting when run outside azd' {
        $r = Invoke-Hook 'postdeploy.ps1' @{}
        $r.Code | Should -Be 1
        $r.Error | Should -Match 'AZURE_RESOURCE_GROUP is not set'
        $r.Log | Should -BeNullOrEmpty
    }

    It 'uses the function names the app registers (src/core/names.ts)' {
        $names = Get-Content -LiteralPath (Join-Path $Repo 'src/core/names.ts') -Raw
        $hook = Get-Content -LiteralPath (Join-Path $Hooks 'postdeploy.ps1') -Raw
        foreach ($fn in 'DevOpsHook', 'AlertHook') {
            $names | Should -Match "'$fn'"
            $hook | Should -Match "= '$fn'"
        }
    }
}
