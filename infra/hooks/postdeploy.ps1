# azd postdeploy hook (Windows): same logic as postdeploy.sh, which explains it.
# Sets the function keys of the two hook endpoints to the values kept in Key Vault; never prints them.
$ErrorActionPreference = 'Stop'

foreach ($name in 'AZURE_RESOURCE_GROUP', 'AZURE_FUNCTION_NAME', 'AZURE_KEY_VAULT_NAME') {
    if ([string]::IsNullOrEmpty([Environment]::GetEnvironmentVariable($name))) {
        Write-Error "postdeploy: $name is not set (run through azd)"
        exit 1
    }
}
$group = $env:AZURE_RESOURCE_GROUP
$app = $env:AZURE_FUNCTION_NAME
$vault = $env:AZURE_KEY_VAULT_NAME

# Function names: src/core/names.ts HttpFunctions (test/infra checks they match).
$DevOpsFunction = 'DevOpsHook'
$AlertsFunction = 'AlertHook'

function Set-FunctionKey([string]$Function, [string]$KeyName, [string]$SecretName) {
    $value = & az keyvault secret show --vault-name $vault --name $SecretName --query value --output tsv
    if ($LASTEXITCODE -ne 0) { throw "postdeploy: cannot read secret $SecretName from $vault" }
    $file = New-TemporaryFile
    try {
        # Through a file (az's @file syntax), so the key never appears in a process list.
        [System.IO.File]::WriteAllText($file.FullName, $value.Trim())
        for ($attempt = 1; ; $attempt++) {
            & az functionapp function keys set --resource-group $group --name $app --function-name $Function `
                --key-name $KeyName --key-value "@$($file.FullName)" --output none
            if ($LASTEXITCODE -eq 0) { Write-Host "postdeploy: function key '$KeyName' set on $Function"; return }
            if ($attempt -ge 12) { throw "postdeploy: could not set function key '$KeyName' on $Function" }
            Start-Sleep -Seconds 10
        }
    }
    finally {
        Remove-Item -LiteralPath $file.FullName -Force -ErrorAction SilentlyContinue
    }
}

Set-FunctionKey $DevOpsFunction 'azure-devops' 'devops-function-key'
Set-FunctionKey $AlertsFunction 'azure-monitor' 'alerts-function-key'

$hookUrl = if ($env:DEVOPS_HOOK_URL) { $env:DEVOPS_HOOK_URL } else { 'https://<app>/api/hooks/devops/<target>' }
Write-Host @"

Azure DevOps service hook (Project settings > Service hooks > + > Web Hooks):
  Event:    Build completed (status Succeeded), or Run state changed (state Completed, result Succeeded)
  URL:      ${hookUrl}?code=<key>
            key:      az keyvault secret show --vault-name $vault --name devops-function-key --query value -o tsv
  Basic authentication: user name: any, password:
            az keyvault secret show --vault-name $vault --name service-hook-secret --query value -o tsv
  Resource details to send: All
See docs/azure.md.
"@
