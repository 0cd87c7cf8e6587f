<#
.SYNOPSIS
Deploys one build of the web app (a Web Deploy package) to IIS on this Windows VM. Sent by the release
orchestrator through a managed Run Command, which passes its parameters as named script parameters; each
also falls back to the environment variable of the same name (same contract as scripts/deploy-linux.sh).

.DESCRIPTION
Parameters (an empty value counts as unset; values are not trimmed). Each one's rule and maximum length come
from scripts/contract.json, shared with deploy-linux.sh and the app's hook (the generated $PARAMETER_RULES):
  ARTIFACT_URL                 required  http(s) URL of the Web Deploy package (.zip)
  VERSION                      required  version being deployed; [A-Za-z0-9._-] starting with [A-Za-z0-9_], at
                                         most 128 characters
  INSTALL_ROOT                 optional  default C:\webapp (holds releases\ and the version marker)
  SERVICE_NAME                 optional  default webapp: the IIS application pool to recycle
  IIS_SITE                     optional  default SERVICE_NAME: the IIS Web Application Name the package deploys to
  RESTART_COMMAND              optional  PowerShell command run instead of recycling SERVICE_NAME
  HEALTH_URL                   optional  default http://127.0.0.1/health
  HEALTH_VERSION_HEADER        optional  default x-app-version (else the JSON body field "version" is read)
  HEALTH_TIMEOUT_SECONDS       optional  default 60
  ARTIFACT_AUTH                optional  auto (default) | managed-identity | none. auto: an Azure Blob URL without
                                         a SAS signature is downloaded with this VM's managed identity (IMDS token)
  ARTIFACT_IDENTITY_CLIENT_ID  optional  client ID of the VM's user-assigned identity to download with
  IMDS_ENDPOINT                optional  default http://169.254.169.254 (tests point it at a loopback fake)
  IMDS_RETRY_DELAY_SECONDS     optional  default 5: first wait before retrying the IMDS token request after HTTP
                                         404, 410, 429, 5xx or no answer, doubled each time (5 attempts, as
                                         deploy-linux.sh)
  MSDEPLOY_PATH                optional  default %ProgramFiles%\IIS\Microsoft Web Deploy V3\msdeploy.exe

Exit codes (as deploy-linux.sh):
  0   deployed and healthy (or already deployed and healthy: nothing done)
  2   invalid or missing parameters (a value that breaks its rule or is longer than its maximum), or a
      missing tool (msdeploy, appcmd)
  10  download failed
  11  unpack/sync failed (msdeploy), or the install root or lock is unusable
  12  recycle/start (or RESTART_COMMAND) failed
  13  health check did not report VERSION with HTTP 200 before the timeout

Idempotent: a re-run for the version already synced and healthy exits 0 without downloading; a complete
package is written under a temporary name and renamed, so a half-written file is never reused.
#>
param(
    [string]$ARTIFACT_URL = $env:ARTIFACT_URL,
    [string]$VERSION = $env:VERSION,
    [string]$INSTALL_ROOT = $env:INSTALL_ROOT,
    [string]$SERVICE_NAME = $env:SERVICE_NAME,
    [string]$IIS_SITE = $env:IIS_SITE,
    [string]$RESTART_COMMAND = $env:RESTART_COMMAND,
    [string]$HEALTH_URL = $env:HEALTH_URL,
    [string]$HEALTH_VERSION_HEADER = $env:HEALTH_VERSION_HEADER,
    [string]$HEALTH_TIMEOUT_SECONDS = $env:HEALTH_TIMEOUT_SECONDS,
    [string]$ARTIFACT_AUTH = $env:ARTIFACT_AUTH,
    [string]$ARTIFACT_IDENTITY_CLIENT_ID = $env:ARTIFACT_IDENTITY_CLIENT_ID,
    [string]$IMDS_ENDPOINT = $env:IMDS_ENDPOINT,
    [string]$IMDS_RETRY_DELAY_SECONDS = $env:IMDS_RETRY_DELAY_SECONDS,
    [string]$MSDEPLOY_PATH = $env:MSDEPLOY_PATH
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
# Invoke-WebRequest's progress bar slows downloads a lot on Windows PowerShell 5.1.
$ProgressPreference = 'SilentlyContinue'
[Net.ServicePointManager]::SecurityProtocol = [Net.SecurityProtocolType]::Tls12

function Write-Log([string]$Message) { [Console]::Out.WriteLine("deploy: $Message") }

function Stop-Deploy([int]$Code, [string]$Message) {
    [Console]::Error.WriteLine("deploy: ERROR (exit $Code): $Message")
    exit $Code
}

# Runs a native command; returns its exit code and combined output. Windows PowerShell turns redirected
# stderr lines into errors, which $ErrorActionPreference = 'Stop' would make fatal: relax it around the call.
function Invoke-Native([scriptblock]$Command) {
    $saved = $ErrorActionPreference
    $ErrorActionPreference = 'Continue'
    try {
        $output = & $Command 2>&1 | Out-String
        return @{ Exit = $LASTEXITCODE; Output = $output.Trim() }
    }
    finally {
        $ErrorActionPreference = $saved
    }
}

# An empty value counts as unset, as ${NAME:-default} in deploy-linux.sh; values are not trimmed, so a value
# one script refuses the other refuses too.
function Get-OrDefault([string]$Value, [string]$Default) {
    if ([string]::IsNullOrEmpty($Value)) { return $Default }
    return $Value
}

$ARTIFACT_URL = Get-OrDefault $ARTIFACT_URL ''
$VERSION = Get-OrDefault $VERSION ''
$INSTALL_ROOT = Get-OrDefault $INSTALL_ROOT 'C:\webapp'
$SERVICE_NAME = Get-OrDefault $SERVICE_NAME 'webapp'
$IIS_SITE = Get-OrDefault $IIS_SITE $SERVICE_NAME
$RESTART_COMMAND = Get-OrDefault $RESTART_COMMAND ''
$HEALTH_URL = Get-OrDefault $HEALTH_URL 'http://127.0.0.1/health'
$HEALTH_VERSION_HEADER = Get-OrDefault $HEALTH_VERSION_HEADER 'x-app-version'
$HEALTH_TIMEOUT_SECONDS = Get-OrDefault $HEALTH_TIMEOUT_SECONDS '60'
$ARTIFACT_AUTH = (Get-OrDefault $ARTIFACT_AUTH 'auto').ToLowerInvariant()
$ARTIFACT_IDENTITY_CLIENT_ID = Get-OrDefault $ARTIFACT_IDENTITY_CLIENT_ID ''
$IMDS_ENDPOINT = Get-OrDefault $IMDS_ENDPOINT 'http://169.254.169.254'
$IMDS_RETRY_DELAY_SECONDS = Get-OrDefault $IMDS_RETRY_DELAY_SECONDS '5'
$programFiles = if ($env:ProgramFiles) { $env:ProgramFiles } else { 'C:\Program Files' }
# Strings, not Join-Path: Join-Path insists the drive exists, which it does not where the tests run.
$MSDEPLOY_PATH = Get-OrDefault $MSDEPLOY_PATH "$programFiles\IIS\Microsoft Web Deploy V3\msdeploy.exe"
$windir = if ($env:windir) { $env:windir } else { 'C:\Windows' }
# APPCMD_PATH is not a parameter: it exists only so tests can point at a fake appcmd.
$APPCMD = Get-OrDefault $env:APPCMD_PATH "$windir\System32\inetsrv\appcmd.exe"
$KEEP_RELEASES = 3

# --- validate -------------------------------------------------------------------------------------
# --- parameter rules: generated from scripts/contract.json by `npm run contract`; do not edit ---
$PARAMETER_RULES = @(
    @{ Name = 'ARTIFACT_URL'; Required = $true; MaxLength = 4096; Pattern = '^https?://[^ ]+\z'; Rule = 'must be an http(s) URL without spaces' }
    @{ Name = 'VERSION'; Required = $true; MaxLength = 128; Pattern = '^[A-Za-z0-9_][A-Za-z0-9._-]*\z'; Rule = 'may only hold letters, digits, ''.'', ''_'' and ''-'', and must start with a letter, digit or ''_''' }
    @{ Name = 'INSTALL_ROOT'; Required = $false; MaxLength = 200; Pattern = '^([A-Za-z]:)?[\\/][^"]*\z'; Rule = 'must be an absolute path without double quotes' }
    @{ Name = 'SERVICE_NAME'; Required = $false; MaxLength = 64; Pattern = '^[A-Za-z0-9@:._ -]+\z'; Rule = 'may only hold letters, digits, spaces, ''@'', '':'', ''.'', ''_'' and ''-''' }
    @{ Name = 'IIS_SITE'; Required = $false; MaxLength = 256; Pattern = '^[A-Za-z0-9@:._ /-]+\z'; Rule = 'may only hold letters, digits, spaces, ''@'', '':'', ''.'', ''_'', ''/'' and ''-''' }
    @{ Name = 'RESTART_COMMAND'; Required = $false; MaxLength = 4096; Pattern = ''; Rule = 'is a command line (run as given)' }
    @{ Name = 'HEALTH_URL'; Required = $false; MaxLength = 2048; Pattern = '^https?://[^ ]+\z'; Rule = 'must be an http(s) URL without spaces' }
    @{ Name = 'HEALTH_VERSION_HEADER'; Required = $false; MaxLength = 128; Pattern = '^[A-Za-z0-9_-]+\z'; Rule = 'must be a header name (letters, digits, ''_'' and ''-'')' }
    @{ Name = 'HEALTH_TIMEOUT_SECONDS'; Required = $false; MaxLength = 5; Pattern = '^(0|[1-9][0-9]*)\z'; Rule = 'must be a whole number of seconds without leading zeros' }
    @{ Name = 'ARTIFACT_AUTH'; Required = $false; MaxLength = 16; Pattern = '^([Aa][Uu][Tt][Oo]|[Nn][Oo][Nn][Ee]|[Mm][Aa][Nn][Aa][Gg][Ee][Dd]-[Ii][Dd][Ee][Nn][Tt][Ii][Tt][Yy])\z'; Rule = 'must be auto, none or managed-identity (any case)' }
    @{ Name = 'ARTIFACT_IDENTITY_CLIENT_ID'; Required = $false; MaxLength = 36; Pattern = '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\z'; Rule = 'must be the client ID (a GUID) of a user-assigned identity' }
    @{ Name = 'IMDS_ENDPOINT'; Required = $false; MaxLength = 256; Pattern = '^https?://[^/?# ]+/?\z'; Rule = 'must be an http(s) URL without a path' }
    @{ Name = 'IMDS_RETRY_DELAY_SECONDS'; Required = $false; MaxLength = 3; Pattern = '^(0|[1-9][0-9]*)\z'; Rule = 'must be a whole number of seconds (0-999) without leading zeros' }
    @{ Name = 'MSDEPLOY_PATH'; Required = $false; MaxLength = 260; Pattern = '^[^"]+\z'; Rule = 'must be a path without double quotes' }
)
# --- end of generated parameter rules ---

$problems = New-Object System.Collections.Generic.List[string]
# Each rule: required, maximum length, anchored pattern (empty: any value), and its wording. Values are
# never quoted: they may be huge or carry a SAS. Matching is case-sensitive and culture-invariant, so
# that A-Z never matches anything but ASCII letters.
foreach ($r in $PARAMETER_RULES) {
    $value = [string](Get-Variable -Name $r.Name -ValueOnly)
    if ($value -eq '') {
        if ($r.Required) { $problems.Add("$($r.Name) is required") }
        continue
    }
    if ($value.Length -gt $r.MaxLength) {
        $problems.Add("$($r.Name) is longer than $($r.MaxLength) characters ($($value.Length))")
        continue
    }
    if ($r.Pattern -ne '' -and -not [regex]::IsMatch($value, $r.Pattern, [Text.RegularExpressions.RegexOptions]::CultureInvariant)) {
        $problems.Add("$($r.Name) $($r.Rule)")
    }
}
if (-not (Test-Path -LiteralPath $MSDEPLOY_PATH -PathType Leaf)) { $problems.Add("msdeploy not found at $MSDEPLOY_PATH (install Web Deploy)") }
if ($RESTART_COMMAND -eq '' -and -not (Test-Path -LiteralPath $APPCMD -PathType Leaf)) {
    $problems.Add("appcmd not found at $APPCMD (install IIS)")
}
if ($problems.Count -gt 0) {
    foreach ($p in $problems) { [Console]::Error.WriteLine("deploy: invalid: $p") }
    Stop-Deploy 2 "validate: $($problems.Count) problem(s) with the parameters"
}
$IMDS_ENDPOINT = $IMDS_ENDPOINT.TrimEnd('/')

# The URL may carry a SAS token in its query string: never print it.
$SAFE_URL = ($ARTIFACT_URL -split '\?', 2)[0]
$RELEASES = Join-Path $INSTALL_ROOT 'releases'
$PACKAGE = Join-Path $RELEASES "$VERSION.zip"
$MARKER = Join-Path $INSTALL_ROOT 'current-version.txt'

try {
    New-Item -ItemType Directory -Force -Path $RELEASES | Out-Null
}
catch {
    Stop-Deploy 11 "install: cannot create ${RELEASES}: $($_.Exception.Message)"
}

# Two runs on one VM (a retried Run Command) must not interleave: the second waits for the first.
$lock = New-Object System.Threading.Mutex($false, 'Global\webapp-deploy-windows')
try {
    if (-not $lock.WaitOne([TimeSpan]::FromSeconds(600))) { Stop-Deploy 11 'install: another deploy holds the lock' }
}
catch [System.Threading.AbandonedMutexException] {
    Write-Log 'previous deploy ended without releasing the lock; continuing'
}

# Returns @{ Version = <version reported with HTTP 200, or ''>; Detail = <short description> }; never throws.
function Get-Health {
    $result = @{ Version = ''; Detail = 'not checked' }
    try {
        $response = Invoke-WebRequest -Uri $HEALTH_URL -UseBasicParsing -TimeoutSec 5 -MaximumRedirection 0
    }
    catch {
        $status = $null
        if ($_.Exception.PSObject.Properties['Response'] -and $null -ne $_.Exception.Response) {
            $status = [int]$_.Exception.Response.StatusCode
        }
        $result.Detail = if ($null -ne $status) { "HTTP $status" } else { "no response ($($_.Exception.Message))" }
        return $result
    }
    $result.Detail = "HTTP $($response.StatusCode)"
    if ([int]$response.StatusCode -ne 200) { return $result }
    $value = ''
    if ($HEALTH_VERSION_HEADER -ne '' -and $response.Headers.ContainsKey($HEALTH_VERSION_HEADER)) {
        # A string on Windows PowerShell, a string array on PowerShell 7.
        $value = (@($response.Headers[$HEALTH_VERSION_HEADER]) | Select-Object -Last 1).ToString().Trim()
        $result.Detail = "HTTP 200, ${HEALTH_VERSION_HEADER}: $value"
    }
    if ($value -eq '') {
        try {
            $body = $response.Content | ConvertFrom-Json
            if ($null -ne $body -and $body.PSObject.Properties['version']) { $value = [string]$body.version }
        }
        catch {
            $value = ''
        }
        $result.Detail = "HTTP 200, body version: $(if ($value -eq '') { '<none>' } else { $value })"
    }
    $result.Version = $value
    return $result
}

# --- already live? ------------------------------------------------------------------------------
$deployed = if (Test-Path -LiteralPath $MARKER -PathType Leaf) { "$(Get-Content -LiteralPath $MARKER -Raw)".Trim() } else { '' }
if ($deployed -eq $VERSION) {
    $health = Get-Health
    if ($health.Version -eq $VERSION) {
        Write-Log "version $VERSION is already deployed and healthy at $HEALTH_URL; nothing to do"
        exit 0
    }
    Write-Log "version $VERSION was synced before but health says: $($health.Detail); deploying again"
}

# --- download -----------------------------------------------------------------------------------
function Test-UseManagedIdentity {
    if ($ARTIFACT_AUTH -eq 'managed-identity') { return $true }
    if ($ARTIFACT_AUTH -eq 'none') { return $false }
    $uri = [Uri]$ARTIFACT_URL
    return ($uri.Host -match '\.blob\.core\.') -and ($uri.Query -notmatch '(^|[?&])sig=')
}

# Returns a token for Blob storage from IMDS, or stops with exit 10 naming IMDS and its last answer. Right
# after boot IMDS answers 404/410 until the identity is available, and 429/5xx under load: those and
# connection failures are retried with a doubling wait, 5 attempts in all (as deploy-linux.sh).
function Get-StorageToken {
    # IMDS_ENDPOINT exists only so tests can point the token request at a fake, as in deploy-linux.sh.
    $imds = $IMDS_ENDPOINT
    $tokenUrl = "$imds/metadata/identity/oauth2/token?api-version=2018-02-01&resource=" +
        [Uri]::EscapeDataString('https://storage.azure.com/')
    if ($ARTIFACT_IDENTITY_CLIENT_ID -ne '') { $tokenUrl += '&client_id=' + [Uri]::EscapeDataString($ARTIFACT_IDENTITY_CLIENT_ID) }
    $attempts = 5
    $delay = [int]$IMDS_RETRY_DELAY_SECONDS
    $attempt = 1
    while ($true) {
        $status = $null
        $detail = ''
        try {
            $answer = Invoke-RestMethod -Uri $tokenUrl -Headers @{ Metadata = 'true' } -TimeoutSec 30 -UseBasicParsing
            $token = if ($null -ne $answer -and $answer.PSObject.Properties['access_token']) { [string]$answer.access_token } else { '' }
            # Anything else could smuggle a line break into the request headers.
            if ($token -notmatch '^[A-Za-z0-9._~+/=-]+$') {
                Stop-Deploy 10 "download: IMDS at $imds answered HTTP 200 without a usable access_token"
            }
            return $token
        }
        catch {
            $failure = $_
            if ($failure.Exception.PSObject.Properties['Response'] -and $null -ne $failure.Exception.Response) {
                $status = [int]$failure.Exception.Response.StatusCode
            }
            $detail = $failure.Exception.Message
            # Error answers carry {"error", "error_description"}, never a token.
            if ($null -ne $failure.ErrorDetails -and $failure.ErrorDetails.Message) {
                try {
                    $body = $failure.ErrorDetails.Message | ConvertFrom-Json
                    if ($null -ne $body -and $body.PSObject.Properties['error_description']) { $detail = [string]$body.error_description }
                }
                catch {
                    $detail = $failure.Exception.Message
                }
            }
        }
        $transient = ($null -eq $status) -or (@(404, 410, 429) -contains $status) -or ($status -ge 500 -and $status -le 599)
        if (-not $transient -or $attempt -ge $attempts) { break }
        $seen = if ($null -eq $status) { $detail } else { "HTTP $status" }
        Write-Log "IMDS token request attempt $attempt of ${attempts}: $seen; retrying in ${delay}s"
        Start-Sleep -Seconds $delay
        $delay *= 2
        $attempt++
    }
    $tries = if ($attempt -gt 1) { " (after $attempt attempts)" } else { '' }
    if ($null -eq $status) { Stop-Deploy 10 "download: IMDS token request to $imds failed${tries}: $detail" }
    $client = if ($ARTIFACT_IDENTITY_CLIENT_ID -ne '') { " (client_id $ARTIFACT_IDENTITY_CLIENT_ID)" } else { '' }
    $detailPart = if ($detail -ne '') { ": $($detail.Substring(0, [Math]::Min(300, $detail.Length)))" } else { '' }
    Stop-Deploy 10 "download: IMDS at $imds refused a token for https://storage.azure.com/${client}: HTTP $status$detailPart$tries"
}

if ((Test-Path -LiteralPath $PACKAGE -PathType Leaf) -and (Get-Item -LiteralPath $PACKAGE).Length -gt 0) {
    Write-Log "package $PACKAGE already downloaded"
}
else {
    Write-Log "downloading $SAFE_URL"
    $part = "$PACKAGE.part"
    $headers = @{}
    $lastError = ''
    for ($attempt = 1; $attempt -le 3; $attempt++) {
        try {
            if (Test-UseManagedIdentity) {
                # Bearer tokens for Blob storage need x-ms-version 2017-11-09 or later.
                $headers = @{ Authorization = "Bearer $(Get-StorageToken)"; 'x-ms-version' = '2020-04-08' }
            }
            Remove-Item -LiteralPath $part -Force -ErrorAction SilentlyContinue
            Invoke-WebRequest -Uri $ARTIFACT_URL -Headers $headers -OutFile $part -UseBasicParsing -TimeoutSec 600
            $lastError = ''
            break
        }
        catch {
            # The message may quote the URL: print only the part without the query string.
            $lastError = $_.Exception.Message.Replace($ARTIFACT_URL, $SAFE_URL)
            Start-Sleep -Seconds $attempt
        }
    }
    if ($lastError -ne '') {
        Remove-Item -LiteralPath $part -Force -ErrorAction SilentlyContinue
        Stop-Deploy 10 "download: ${SAFE_URL}: $lastError"
    }
    Move-Item -LiteralPath $part -Destination $PACKAGE -Force
    Write-Log "downloaded $((Get-Item -LiteralPath $PACKAGE).Length) bytes"
}

# --- sync (msdeploy) ------------------------------------------------------------------------------
# Arguments go through ProcessStartInfo as one string: msdeploy parses its own quoting, which PowerShell's
# argument passing would mangle for paths with spaces.
$msdeployArgs = "-verb:sync -source:package=`"$PACKAGE`" -dest:auto " +
    "-setParam:name=`"IIS Web Application Name`",value=`"$IIS_SITE`" -enableRule:AppOffline -retryAttempts:3"
Write-Log "msdeploy sync of $VERSION to IIS application '$IIS_SITE'"
$psi = New-Object System.Diagnostics.ProcessStartInfo
$psi.FileName = $MSDEPLOY_PATH
$psi.Arguments = $msdeployArgs
$psi.UseShellExecute = $false
$psi.RedirectStandardOutput = $true
$psi.RedirectStandardError = $true
$psi.CreateNoWindow = $true
try {
    $process = [System.Diagnostics.Process]::Start($psi)
    $stdout = $process.StandardOutput.ReadToEndAsync()
    $stderr = $process.StandardError.ReadToEndAsync()
    $process.WaitForExit()
    $syncExit = $process.ExitCode
    $syncOutput = ($stdout.Result + "`n" + $stderr.Result).Trim()
}
catch {
    Stop-Deploy 11 "sync: cannot run ${MSDEPLOY_PATH}: $($_.Exception.Message)"
}
if ($syncExit -ne 0) {
    $tail = (($syncOutput -split "`r?`n") | Select-Object -Last 5) -join ' '
    # A corrupt package must not satisfy the next run: drop it so it is downloaded again.
    if ($syncOutput -match 'package|zip|archive') { Remove-Item -LiteralPath $PACKAGE -Force -ErrorAction SilentlyContinue }
    Stop-Deploy 11 "sync: msdeploy exited $syncExit for ${PACKAGE}: $tail"
}
Write-Log 'sync complete'
# Written atomically after a successful sync: the marker never names a version that was not synced.
Set-Content -LiteralPath "$MARKER.tmp" -Value $VERSION -NoNewline -Encoding ASCII
Move-Item -LiteralPath "$MARKER.tmp" -Destination $MARKER -Force

# --- recycle ------------------------------------------------------------------------------------
if ($RESTART_COMMAND -ne '') {
    Write-Log "restarting: $RESTART_COMMAND"
    $shell = (Get-Process -Id $PID).Path
    if (@('pwsh', 'powershell') -notcontains [System.IO.Path]::GetFileNameWithoutExtension($shell)) {
        # PowerShell hosted in another process (e.g. installed as a .NET tool, which runs in dotnet).
        $shell = (Get-Command pwsh, powershell -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1).Source
    }
    $run = Invoke-Native { & $shell -NoProfile -NonInteractive -Command $RESTART_COMMAND }
    if ($run.Exit -ne 0) {
        $tail = (($run.Output -split "`r?`n") | Select-Object -Last 5) -join ' '
        Stop-Deploy 12 "restart: '$RESTART_COMMAND' exited $($run.Exit): $tail"
    }
}
else {
    $query = Invoke-Native { & $APPCMD list apppool "/apppool.name:$SERVICE_NAME" '/text:state' }
    if ($query.Exit -ne 0 -or $query.Output -eq '') { Stop-Deploy 12 "recycle: application pool '$SERVICE_NAME' not found" }
    $state = $query.Output
    $verb = if ($state -eq 'Started') { 'recycle' } else { 'start' }
    Write-Log "application pool '$SERVICE_NAME' is $state; $verb"
    $run = Invoke-Native { & $APPCMD $verb apppool "/apppool.name:$SERVICE_NAME" }
    if ($run.Exit -ne 0) { Stop-Deploy 12 "recycle: appcmd $verb apppool '$SERVICE_NAME' failed: $($run.Output)" }
}

# --- wait for health ----------------------------------------------------------------------------
Write-Log "waiting up to ${HEALTH_TIMEOUT_SECONDS}s for $HEALTH_URL to report $VERSION"
$deadline = (Get-Date).AddSeconds([int]$HEALTH_TIMEOUT_SECONDS)
while ($true) {
    $health = Get-Health
    if ($health.Version -eq $VERSION) { break }
    if ((Get-Date) -ge $deadline) {
        Stop-Deploy 13 "health: $HEALTH_URL did not report $VERSION within ${HEALTH_TIMEOUT_SECONDS}s (last: $($health.Detail))"
    }
    Start-Sleep -Seconds 1
}
Write-Log "healthy: $($health.Detail)"

# --- prune --------------------------------------------------------------------------------------
# Keeps the newest packages (by last write) and always the current one.
Get-ChildItem -LiteralPath $RELEASES -Filter '*.zip' -File |
    Sort-Object LastWriteTimeUtc -Descending |
    Select-Object -Skip $KEEP_RELEASES |
    Where-Object { $_.Name -ne "$VERSION.zip" } |
    ForEach-Object {
        Remove-Item -LiteralPath $_.FullName -Force -ErrorAction SilentlyContinue
        Write-Log "pruned package $($_.Name)"
    }

Write-Log "deployed $VERSION to IIS application '$IIS_SITE'"
exit 0
