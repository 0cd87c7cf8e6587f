# azd preprovision hook (Windows): same logic as preprovision.sh, which explains it.
# Tells main.bicep whether the sample target's Traffic Manager profile (TRAFFIC_PROVIDER=frontDoor: its Front
# Door profile) exists, so a re-provision never rewrites the endpoint or origin status the app owns at runtime.
$ErrorActionPreference = 'Stop'

$envName = $env:AZURE_ENV_NAME
if ([string]::IsNullOrEmpty($envName)) {
    Write-Error 'preprovision: AZURE_ENV_NAME is not set (run through azd)'
    exit 1
}
$group = if ([string]::IsNullOrEmpty($env:AZURE_RESOURCE_GROUP)) { "rg-$envName" } else { $env:AZURE_RESOURCE_GROUP }
$current = if ([string]::IsNullOrEmpty($env:SAMPLE_TARGET_EXISTS)) { 'false' } else { $env:SAMPLE_TARGET_EXISTS.ToLowerInvariant() }
$provider = if ([string]::IsNullOrEmpty($env:TRAFFIC_PROVIDER)) { 'trafficManager' } else { $env:TRAFFIC_PROVIDER }
if ($provider -ne 'trafficManager' -and $provider -ne 'frontDoor') {
    Write-Error "preprovision: TRAFFIC_PROVIDER must be trafficManager or frontDoor, not '$provider'"
    exit 1
}
$what = if ($provider -eq 'frontDoor') { 'Front Door profile' } else { 'Traffic Manager profile' }

if (-not (Get-Command az -ErrorAction SilentlyContinue)) {
    Write-Error "preprovision: the Azure CLI (az) is required to check the $what"
    exit 1
}

$query = "[?tags.""azd-env-name""=='$envName'].name"
$out = if ($provider -eq 'frontDoor') {
    & az afd profile list --resource-group $group --query $query --output tsv 2>&1
}
else {
    & az network traffic-manager profile list --resource-group $group --query $query --output tsv 2>&1
}
if ($LASTEXITCODE -eq 0) {
    $actual = if ([string]::IsNullOrWhiteSpace(($out | Out-String))) { 'false' } else { 'true' }
}
elseif (($out | Out-String) -match 'ResourceGroupNotFound|could not be found') {
    $actual = 'false'
}
else {
    Write-Error "preprovision: cannot tell whether the $what exists in ${group}: $out"
    exit 1
}

if ($actual -eq $current) {
    Write-Host "preprovision: SAMPLE_TARGET_EXISTS=$actual"
    exit 0
}

& azd env set SAMPLE_TARGET_EXISTS $actual
Write-Host "preprovision: SAMPLE_TARGET_EXISTS changed from $current to $actual and was saved; run the command again"
exit 1
