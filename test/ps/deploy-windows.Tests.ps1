# Pester tests of scripts/deploy-windows.ps1 on any OS: msdeploy.exe and appcmd.exe are fake executables
# that record their arguments; the download, IMDS and the health endpoint are Pester mocks of
# Invoke-WebRequest and Invoke-RestMethod. The exit codes and parameter rules are those of
# scripts/contract.json, which test/scripts/deploy-linux.test.ts runs against deploy-linux.sh.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Helpers.ps1')
    $script:Deploy = Join-Path $Repo 'scripts/deploy-windows.ps1'
    $script:Contract = Get-Contract
    $script:Work = Join-Path ([System.IO.Path]::GetTempPath()) "deploy-windows-$([guid]::NewGuid().ToString('N'))"
    New-Item -ItemType Directory -Path $Work | Out-Null

    # msdeploy.exe: one argument a line, then '---'; says what a real sync prints; exits FAKE_MSDEPLOY_EXIT.
    $script:MsDeploy = New-FakeCommand (Join-Path $Work 'bin/msdeploy.exe') @'
{ printf '%s\n' "$@"; echo ---; } >>"$FAKE_MSDEPLOY_LOG"
if [ "${FAKE_MSDEPLOY_EXIT:-0}" != 0 ]; then echo "Error: The package is invalid (corrupt zip archive)." >&2; exit "$FAKE_MSDEPLOY_EXIT"; fi
echo "Total changes: 3 (3 added, 0 deleted, 0 updated, 0 parameters changed, 1024 bytes copied)"
'@
    # appcmd.exe: the application pool's state for `list apppool`; records recycle/start; FAKE_APPCMD_EXIT fails them.
    $script:AppCmd = New-FakeCommand (Join-Path $Work 'bin/appcmd.exe') @'
echo "$*" >>"$FAKE_APPCMD_LOG"
case "$1" in
  list) [ "$2 $3" = "apppool /apppool.name:webapp" ] || exit 1; echo "${FAKE_POOL_STATE:-Started}" ;;
  recycle|start) exit "${FAKE_APPCMD_EXIT:-0}" ;;
  *) exit 9 ;;
esac
'@
    $env:APPCMD_PATH = $AppCmd

    # Starts each test from a clean install root and fresh logs; returns the parameters of a good run.
    function script:Reset-Machine {
        $script:Root = Join-Path $Work "root-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $env:FAKE_MSDEPLOY_LOG = Join-Path $Work "msdeploy-$([guid]::NewGuid().ToString('N')).log"
        $env:FAKE_APPCMD_LOG = Join-Path $Work "appcmd-$([guid]::NewGuid().ToString('N')).log"
        $env:FAKE_MSDEPLOY_EXIT = '0'
        $env:FAKE_APPCMD_EXIT = '0'
        $env:FAKE_POOL_STATE = 'Started'
        # What the mocks answer (global: a mock's body runs in the scope of the script that calls it).
        $global:Fake = @{}
        # The version the fake app reports, and how its health endpoint answers.
        $global:Fake.Live = '41'
        $global:Fake.HealthMode = 'ok'
        foreach ($name in @('ARTIFACT_URL', 'VERSION', 'INSTALL_ROOT', 'SERVICE_NAME', 'IIS_SITE', 'RESTART_COMMAND',
                'HEALTH_URL', 'HEALTH_VERSION_HEADER', 'HEALTH_TIMEOUT_SECONDS', 'ARTIFACT_AUTH',
                'ARTIFACT_IDENTITY_CLIENT_ID', 'IMDS_ENDPOINT', 'IMDS_RETRY_DELAY_SECONDS', 'MSDEPLOY_PATH')) {
            Remove-Item -LiteralPath "Env:$name" -ErrorAction SilentlyContinue
        }
    }

    function script:Get-Params([hashtable]$Extra = @{}) {
        $p = @{
            ARTIFACT_URL           = 'https://artifacts.example.com/web/42.zip'
            VERSION                = '42'
            INSTALL_ROOT           = $Root
            MSDEPLOY_PATH          = $MsDeploy
            HEALTH_TIMEOUT_SECONDS = '5'
            IIS_SITE               = 'Default Web Site/webapp'
        }
        foreach ($k in $Extra.Keys) { $p[$k] = $Extra[$k] }
        return $p
    }

    # msdeploy invocations so far, each as its argument list.
    function global:Get-MsDeployCalls {
        if (-not (Test-Path -LiteralPath $env:FAKE_MSDEPLOY_LOG)) { return , @() }
        $calls = @()
        $current = @()
        foreach ($line in Get-Content -LiteralPath $env:FAKE_MSDEPLOY_LOG) {
            if ($line -eq '---') { $calls += , $current; $current = @() } else { $current += $line }
        }
        return , $calls
    }

    function global:Get-AppCmdCalls {
        if (-not (Test-Path -LiteralPath $env:FAKE_APPCMD_LOG)) { return @() }
        return @(Get-Content -LiteralPath $env:FAKE_APPCMD_LOG)
    }
}

AfterAll {
    Remove-Variable -Name Fake -Scope Global -ErrorAction SilentlyContinue
    Remove-Item -LiteralPath $Work -Recurse -Force -ErrorAction SilentlyContinue
    Remove-Item Env:APPCMD_PATH, Env:FAKE_MSDEPLOY_LOG, Env:FAKE_APPCMD_LOG, Env:FAKE_MSDEPLOY_EXIT, Env:FAKE_APPCMD_EXIT, Env:FAKE_POOL_STATE -ErrorAction SilentlyContinue
}

Describe 'deploy-windows.ps1' {
    BeforeEach {
        Reset-Machine
        Mock Start-Sleep {}
        # The artifact store: writes a package for /web/<n>.zip, 404 otherwise. The health endpoint: answers
        # with the live version in x-app-version and the JSON body. A sync makes the synced version live only
        # once the pool is recycled (appcmd's log says so).
        Mock Invoke-WebRequest -ParameterFilter { $OutFile } {
            if ($Uri -match '/web/[A-Za-z0-9._-]+\.zip') {
                Set-Content -LiteralPath $OutFile -Value 'PK-fake-package' -NoNewline
                return
            }
            throw [System.Net.Http.HttpRequestException]::new("Response status code does not indicate success: 404 (Not Found) for $Uri")
        }
        Mock Invoke-WebRequest -ParameterFilter { -not $OutFile } {
            if ($global:Fake.HealthMode -eq 'down') { throw [System.Net.Http.HttpRequestException]::new('Connection refused (127.0.0.1:80)') }
            $recycled = @(Get-AppCmdCalls | Where-Object { $_ -match '^(recycle|start) apppool' }).Count -gt 0
            $synced = @(Get-MsDeployCalls).Count
            $version = if ($recycled -and $synced -gt 0 -and $global:Fake.HealthMode -ne 'stale') { $global:Fake.Pending } else { $global:Fake.Live }
            $headers = @{}
            if ($global:Fake.HealthMode -ne 'no-header') { $headers['x-app-version'] = @($version) }
            return [pscustomobject]@{ StatusCode = 200; Headers = $headers; Content = "{`"status`":`"ok`",`"version`":`"$version`"}" }
        }
        $global:Fake.Pending = '42'
    }

    Context 'a good run' {
        It 'downloads the package, syncs it with msdeploy, recycles the pool, sees the version healthy: exit 0' {
            $r = Invoke-CapturedScript $Deploy (Get-Params)

            $r.Stderr | Should -BeExactly ''
            $r.Code | Should -Be 0
            $r.Stdout | Should -Match 'deploy: healthy: HTTP 200, x-app-version: 42'
            Test-Path -LiteralPath (Join-Path $Root 'releases/42.zip') | Should -BeTrue
            Get-Content -LiteralPath (Join-Path $Root 'current-version.txt') -Raw | Should -BeExactly '42'
            Get-AppCmdCalls | Should -Be @('list apppool /apppool.name:webapp /text:state', 'recycle apppool /apppool.name:webapp')
            Should -Invoke Invoke-WebRequest -Times 1 -Exactly -ParameterFilter { $OutFile -and $Uri -eq 'https://artifacts.example.com/web/42.zip' }
        }

        It 'runs exactly: msdeploy -verb:sync -source:package=(local package) -dest:auto -setParam:name="IIS Web Application Name",value=(IIS_SITE) -enableRule:AppOffline -retryAttempts:3' {
            $r = Invoke-CapturedScript $Deploy (Get-Params)
            $r.Code | Should -Be 0

            $calls = Get-MsDeployCalls
            $calls.Count | Should -Be 1
            # Quotes are msdeploy's own syntax: the process receives each argument with them removed.
            $calls[0] | Should -Be @(
                '-verb:sync',
                "-source:package=$(Join-Path $Root 'releases/42.zip')",
                '-dest:auto',
                '-setParam:name=IIS Web Application Name,value=Default Web Site/webapp',
                '-enableRule:AppOffline',
                '-retryAttempts:3'
            )
        }

        It 'never passes msdeploy a remote destination, credentials, -allowUntrusted, -whatif, -skip or the artifact URL' {
            $r = Invoke-CapturedScript $Deploy (Get-Params @{ ARTIFACT_URL = 'https://artifacts.example.com/web/42.zip?sig=secret-sas' })
            $r.Code | Should -Be 0

            $joined = (Get-MsDeployCalls)[0] -join ' '
            $joined | Should -Not -Match 'computerName|userName|password|authType|wmsvc'
            $joined | Should -Not -Match '-allowUntrusted|-whatif|-skip:|-setParamFile|-verb:delete|-dest:package'
            $joined | Should -Not -Match 'https?://|secret-sas'
            ($r.Stdout + $r.Stderr) | Should -Not -Match 'secret-sas'
        }

        It 'defaults the IIS web application name to SERVICE_NAME' {
            $p = Get-Params
            $p.Remove('IIS_SITE')
            $r = Invoke-CapturedScript $Deploy $p
            $r.Code | Should -Be 0
            (Get-MsDeployCalls)[0] | Should -Contain '-setParam:name=IIS Web Application Name,value=webapp'
        }

        It 'starts a stopped application pool instead of recycling it' {
            $env:FAKE_POOL_STATE = 'Stopped'
            $r = Invoke-CapturedScript $Deploy (Get-Params)
            $r.Code | Should -Be 0
            Get-AppCmdCalls | Should -Contain 'start apppool /apppool.name:webapp'
        }

        It 'is idempotent: a second run finds the version synced and healthy, and downloads, syncs and recycles nothing' {
            (Invoke-CapturedScript $Deploy (Get-Params)).Code | Should -Be 0
            $global:Fake.Live = '42'
            Remove-Item -LiteralPath $env:FAKE_APPCMD_LOG

            $again = Invoke-CapturedScript $Deploy (Get-Params)

            $again.Code | Should -Be 0
            $again.Stdout | Should -Match 'version 42 is already deployed and healthy'
            Should -Invoke Invoke-WebRequest -Times 1 -Exactly -ParameterFilter { $OutFile }
            (Get-MsDeployCalls).Count | Should -Be 1
            Get-AppCmdCalls | Should -Be @()
        }

        It 'a re-run after a failed recycle reuses the downloaded package' {
            $env:FAKE_APPCMD_EXIT = '1'
            (Invoke-CapturedScript $Deploy (Get-Params)).Code | Should -Be 12
            $env:FAKE_APPCMD_EXIT = '0'
            Remove-Item -LiteralPath $env:FAKE_APPCMD_LOG

            $again = Invoke-CapturedScript $Deploy (Get-Params)

            $again.Code | Should -Be 0
            $again.Stdout | Should -Match 'package .*42\.zip already downloaded'
            Should -Invoke Invoke-WebRequest -Times 1 -Exactly -ParameterFilter { $OutFile }
        }
    }

    Context 'the health check' {
        It 'asks HEALTH_URL and reads the version from the HEALTH_VERSION_HEADER header' {
            $r = Invoke-CapturedScript $Deploy (Get-Params @{ HEALTH_URL = 'http://127.0.0.1:8080/healthz' })
            $r.Code | Should -Be 0
            Should -Invoke Invoke-WebRequest -ParameterFilter { -not $OutFile -and $Uri -eq 'http://127.0.0.1:8080/healthz' }
        }

        It 'falls back to the JSON body field "version" when the header is absent' {
            $global:Fake.HealthMode = 'no-header'
            $r = Invoke-CapturedScript $Deploy (Get-Params)
            $r.Code | Should -Be 0
            $r.Stdout | Should -Match 'healthy: HTTP 200, body version: 42'
        }

        It 'exit 13 when health keeps reporting the old version, naming what it saw' {
            $global:Fake.HealthMode = 'stale'
            $r = Invoke-CapturedScript $Deploy (Get-Params @{ HEALTH_TIMEOUT_SECONDS = '0' })
            $r.Code | Should -Be 13
            $r.Stderr | Should -Match ([regex]::Escape('ERROR (exit 13): health: http://127.0.0.1/health did not report 42 within 0s (last: HTTP 200, x-app-version: 41)'))
        }

        It 'exit 13 when the health endpoint does not answer' {
            $global:Fake.HealthMode = 'down'
            $r = Invoke-CapturedScript $Deploy (Get-Params @{ HEALTH_TIMEOUT_SECONDS = '0' })
            $r.Code | Should -Be 13
            $r.Stderr | Should -Match 'last: no response \(Connection refused'
        }
    }

    Context 'failures and their exit codes' {
        It 'exit 10 when the download fails; no package or marker is left, the live version untouched' {
            $r = Invoke-CapturedScript $Deploy (Get-Params @{ ARTIFACT_URL = 'https://artifacts.example.com/missing/7.zip?sig=secret'; VERSION = '7' })
            $r.Code | Should -Be 10
            $r.Stderr | Should -Match ([regex]::Escape('ERROR (exit 10): download: https://artifacts.example.com/missing/7.zip:'))
            $r.Stderr | Should -Not -Match 'secret'
            Test-Path -LiteralPath (Join-Path $Root 'releases/7.zip') | Should -BeFalse
            Test-Path -LiteralPath (Join-Path $Root 'releases/7.zip.part') | Should -BeFalse
            Test-Path -LiteralPath (Join-Path $Root 'current-version.txt') | Should -BeFalse
            (Get-MsDeployCalls).Count | Should -Be 0
        }

        It 'exit 11 when msdeploy fails; the corrupt package is dropped so a re-run downloads again' {
            $env:FAKE_MSDEPLOY_EXIT = '1'
            $r = Invoke-CapturedScript $Deploy (Get-Params)
            $r.Code | Should -Be 11
            $r.Stderr | Should -Match 'ERROR \(exit 11\): sync: msdeploy exited 1 for .*42\.zip: .*corrupt zip archive'
            Test-Path -LiteralPath (Join-Path $Root 'releases/42.zip') | Should -BeFalse
            Test-Path -LiteralPath (Join-Path $Root 'current-version.txt') | Should -BeFalse
            Get-AppCmdCalls | Should -Be @()
        }

        It 'exit 12 when appcmd cannot recycle the pool' {
            $env:FAKE_APPCMD_EXIT = '1'
            $r = Invoke-CapturedScript $Deploy (Get-Params)
            $r.Code | Should -Be 12
            $r.Stderr | Should -Match "ERROR \(exit 12\): recycle: appcmd recycle apppool 'webapp' failed"
        }

        It 'exit 12 when the application pool does not exist' {
            $r = Invoke-CapturedScript $Deploy (Get-Params @{ SERVICE_NAME = 'other' })
            $r.Code | Should -Be 12
            $r.Stderr | Should -Match "application pool 'other' not found"
        }

        It 'exit 12 when RESTART_COMMAND fails, with its output' {
            $r = Invoke-CapturedScript $Deploy (Get-Params @{ RESTART_COMMAND = 'Write-Output "pool wedged"; exit 3' })
            $r.Code | Should -Be 12
            $r.Stderr | Should -Match "restart: 'Write-Output `"pool wedged`"; exit 3' exited 3: pool wedged"
            Get-AppCmdCalls | Should -Be @()
        }

        It 'exit 2 naming the missing tools (msdeploy, appcmd) before anything is downloaded' {
            $env:APPCMD_PATH = Join-Path $Work 'nowhere/appcmd.exe'
            try {
                $r = Invoke-CapturedScript $Deploy (Get-Params @{ MSDEPLOY_PATH = (Join-Path $Work 'nowhere/msdeploy.exe') })
            }
            finally { $env:APPCMD_PATH = $AppCmd }
            $r.Code | Should -Be 2
            $r.Stderr | Should -Match 'invalid: msdeploy not found at .*nowhere/msdeploy\.exe \(install Web Deploy\)'
            $r.Stderr | Should -Match 'invalid: appcmd not found at .*nowhere/appcmd\.exe \(install IIS\)'
            Should -Invoke Invoke-WebRequest -Times 0 -Exactly
        }

        It 'exits only with codes of the contract, and documents exactly those' {
            $text = Get-Content -LiteralPath $Deploy -Raw
            $used = [regex]::Matches($text, 'Stop-Deploy (\d+)') | ForEach-Object { [int]$_.Groups[1].Value } | Sort-Object -Unique
            $contractCodes = @($Contract.exitCodes | ForEach-Object { [int]$_.code })
            $used | Should -Be ($contractCodes | Where-Object { $_ -ne 0 })
            $help = $text.Substring(0, $text.IndexOf('#>'))
            $documented = [regex]::Matches($help.Substring($help.IndexOf('Exit codes')), '(?m)^\s+(\d{1,3})\s{2,}\S') | ForEach-Object { [int]$_.Groups[1].Value }
            $documented | Should -Be $contractCodes
        }
    }

    Context 'the managed identity download (IMDS)' {
        BeforeEach {
            $global:Fake.ImdsCalls = [System.Collections.Generic.List[string]]::new()
            $global:Fake.ImdsFailures = 0
            $global:Fake.ImdsStatus = 410
            Mock Invoke-RestMethod {
                $global:Fake.ImdsCalls.Add("$Uri|$($Headers['Metadata'])")
                if ($global:Fake.ImdsFailures -gt 0) {
                    $global:Fake.ImdsFailures--
                    throw [Microsoft.PowerShell.Commands.HttpResponseException]::new("Response status code does not indicate success: $($global:Fake.ImdsStatus)", [System.Net.Http.HttpResponseMessage]::new([System.Net.HttpStatusCode]$global:Fake.ImdsStatus))
                }
                return [pscustomobject]@{ access_token = 'eyJ0eXAi.token-value'; token_type = 'Bearer' }
            }
        }

        It 'an Azure Blob URL without a SAS is fetched with a Bearer token from IMDS for storage, for the given client id' {
            $clientId = '3f1c2a9e-5b7d-4c21-9a0e-7d6b8c9e0f12'
            $r = Invoke-CapturedScript $Deploy (Get-Params @{
                    ARTIFACT_URL = 'https://acct.blob.core.windows.net/packages/web/42.zip'
                    ARTIFACT_IDENTITY_CLIENT_ID = $clientId
                    IMDS_ENDPOINT = 'http://127.0.0.1:9/'
                })
            $r.Code | Should -Be 0
            $global:Fake.ImdsCalls | Should -Be @("http://127.0.0.1:9/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fstorage.azure.com%2F&client_id=$clientId|true")
            Should -Invoke Invoke-WebRequest -Times 1 -Exactly -ParameterFilter { $OutFile -and $Headers['Authorization'] -eq 'Bearer eyJ0eXAi.token-value' -and $Headers['x-ms-version'] -eq '2020-04-08' }
            ($r.Stdout + $r.Stderr) | Should -Not -Match 'token-value'
        }

        It 'a URL with a SAS is fetched as is, without asking IMDS' {
            $r = Invoke-CapturedScript $Deploy (Get-Params @{ ARTIFACT_URL = 'https://acct.blob.core.windows.net/packages/web/42.zip?sv=2022&sig=abc' })
            $r.Code | Should -Be 0
            $global:Fake.ImdsCalls.Count | Should -Be 0
        }

        It 'retries IMDS while it answers 410 after boot, doubling the wait' {
            $global:Fake.ImdsFailures = 2
            $r = Invoke-CapturedScript $Deploy (Get-Params @{ ARTIFACT_URL = 'https://acct.blob.core.windows.net/p/web/42.zip'; IMDS_RETRY_DELAY_SECONDS = '1' })
            $r.Code | Should -Be 0
            $global:Fake.ImdsCalls.Count | Should -Be 3
            $r.Stdout | Should -Match 'IMDS token request attempt 1 of 5: HTTP 410; retrying in 1s'
            $r.Stdout | Should -Match 'IMDS token request attempt 2 of 5: HTTP 410; retrying in 2s'
            Should -Invoke Start-Sleep -ParameterFilter { $Seconds -eq 1 } -Times 1 -Exactly
            Should -Invoke Start-Sleep -ParameterFilter { $Seconds -eq 2 } -Times 1 -Exactly
        }

        It 'exit 10 naming IMDS and the status when IMDS refuses (400, not retried)' {
            $global:Fake.ImdsFailures = 99
            $global:Fake.ImdsStatus = 400
            $r = Invoke-CapturedScript $Deploy (Get-Params @{ ARTIFACT_URL = 'https://acct.blob.core.windows.net/p/web/42.zip'; ARTIFACT_AUTH = 'Managed-Identity' })
            $r.Code | Should -Be 10
            $r.Stderr | Should -Match 'ERROR \(exit 10\): download: IMDS at http://169\.254\.169\.254 refused a token for https://storage\.azure\.com/: HTTP 400'
            $global:Fake.ImdsCalls.Count | Should -Be 1
            Should -Invoke Invoke-WebRequest -Times 0 -Exactly -ParameterFilter { $OutFile }
        }
    }

    Context 'parameters: the rules of scripts/contract.json, as deploy-linux.sh applies them' {
        It 'exit 2 naming every missing required parameter, downloading nothing' {
            $r = Invoke-CapturedScript $Deploy @{ MSDEPLOY_PATH = $MsDeploy }
            $r.Code | Should -Be 2
            $r.Stderr | Should -Match 'invalid: ARTIFACT_URL is required'
            $r.Stderr | Should -Match 'invalid: VERSION is required'
            $r.Stderr | Should -Match 'validate: 2 problem\(s\)'
            Should -Invoke Invoke-WebRequest -Times 0 -Exactly
        }

        It 'reads each parameter from the environment variable of the same name when not passed' {
            $env:ARTIFACT_URL = 'https://artifacts.example.com/web/42.zip'
            $env:VERSION = '42'
            $env:INSTALL_ROOT = $Root
            $env:MSDEPLOY_PATH = $MsDeploy
            $env:HEALTH_TIMEOUT_SECONDS = '5'
            $r = Invoke-CapturedScript $Deploy @{}
            $r.Code | Should -Be 0
        }

        It 'does not trim values: " 42" is refused as deploy-linux.sh refuses it' {
            $r = Invoke-CapturedScript $Deploy (Get-Params @{ VERSION = ' 42' })
            $r.Code | Should -Be 2
            $r.Stderr | Should -Match 'invalid: VERSION may only hold'
        }

        It 'exit 2 (not 1) for a 5,000-character VERSION, naming the bound without echoing the value' {
            $r = Invoke-CapturedScript $Deploy (Get-Params @{ VERSION = '1' * 5000 })
            $r.Code | Should -Be 2
            $r.Stderr | Should -Match ([regex]::Escape('invalid: VERSION is longer than 128 characters (5000)'))
            $r.Stderr | Should -Not -Match ('1' * 200)
        }

        It 'carries the rules generated from the contract for every parameter it declares' {
            $declared = (Get-Command $Deploy).Parameters.Keys | Where-Object { $_ -cmatch '^[A-Z_]+$' } | Sort-Object
            $fromContract = $Contract.parameters | Where-Object { $_.scripts -contains 'windows' } | ForEach-Object { $_.name } | Sort-Object
            $declared | Should -Be $fromContract
            $linuxOnly = $Contract.parameters | Where-Object { $_.scripts -contains 'linux' -and $_.name -notin $fromContract }
            $linuxOnly | Should -BeNullOrEmpty
        }
    }
}

Describe 'deploy-windows.ps1 against the contract table (<Name>)' -ForEach @(
    (Get-Content -LiteralPath (Join-Path $PSScriptRoot '../../scripts/contract.json') -Raw | ConvertFrom-Json).examples.PSObject.Properties |
        Where-Object { $_.Name -notlike '$*' } | ForEach-Object { @{ Name = $_.Name; Table = $_.Value } }
) {
    BeforeAll {
        $rule = (Get-Contract).parameters | Where-Object { $_.name -eq $Name -and $_.scripts -contains 'windows' }
        # Validation only: INSTALL_ROOT is always invalid, so nothing is downloaded or synced.
        function script:Test-Value([string]$Value) {
            $p = @{ ARTIFACT_URL = 'https://artifacts.example.com/web/48.zip'; VERSION = '48'; INSTALL_ROOT = 'relative'; MSDEPLOY_PATH = $MsDeploy }
            $p[$Name] = $Value
            Invoke-CapturedScript $Deploy $p
        }
    }
    BeforeEach { Mock Invoke-WebRequest {}; Mock Invoke-RestMethod {} }

    It 'accepts every good value' {
        foreach ($raw in $Table.good) {
            $value = Get-ExampleValue $raw
            $r = Test-Value $value
            $r.Code | Should -Be 2
            $r.Stderr | Should -Match 'invalid: INSTALL_ROOT must be an absolute path'
            $r.Stderr | Should -Not -Match "invalid: $Name " -Because "$Name=$value is in the good table"
        }
    }

    It 'refuses every bad value with exit 2 and the wording of the contract' {
        foreach ($raw in $Table.bad) {
            $value = Get-ExampleValue $raw
            $r = Test-Value $value
            $r.Code | Should -Be 2
            $expected = "deploy: invalid: $Name $(Get-RuleProblem $rule $value)"
            $r.Stderr.Split("`n") | Should -Contain $expected -Because "$Name=$value is in the bad table"
        }
        Should -Invoke Invoke-WebRequest -Times 0 -Exactly
    }
}
