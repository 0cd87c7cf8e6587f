#!/bin/sh
# azd postdeploy hook: once the code is live, sets the function keys of the two hook endpoints to the
# values kept in Key Vault, then prints what to configure in Azure DevOps.
#
# Why here and not in Bicep: creating or listing function keys goes through the Functions host, which is
# not running before the first deployment (ARM answers "error from host runtime"). The values are generated
# and stored by Bicep (infra/app/keyvault.bicep), so the action group's webhook URL already carries the
# alerts key; this hook makes the host accept it. Idempotent: setting a key to its current value is a no-op.
# Keys are function-level (one function each), never host keys, and are never printed.
set -eu

group="${AZURE_RESOURCE_GROUP:?AZURE_RESOURCE_GROUP is not set (run through azd)}"
app="${AZURE_FUNCTION_NAME:?AZURE_FUNCTION_NAME is not set}"
vault="${AZURE_KEY_VAULT_NAME:?AZURE_KEY_VAULT_NAME is not set}"

# Function names: src/core/names.ts HttpFunctions (test/infra checks they match).
DEVOPS_FUNCTION=DevOpsHook
ALERTS_FUNCTION=AlertHook

# Seconds between attempts while the host indexes the functions (tests shorten it).
retry_seconds="${POSTDEPLOY_RETRY_SECONDS:-10}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# set_key <function> <key name> <secret name>
set_key() {
  # The value goes through a file (az's @file syntax), so it never appears in a process list.
  if ! value="$(az keyvault secret show --vault-name "$vault" --name "$3" --query value --output tsv)"; then
    echo "postdeploy: cannot read secret $3 from $vault (do you have Key Vault Secrets Officer on it?)" >&2
    return 1
  fi
  printf '%s' "$value" >"$work/key"
  # The host indexes the functions shortly after a deployment: retry while it does.
  attempt=1
  while :; do
    if az functionapp function keys set --resource-group "$group" --name "$app" --function-name "$1" \
      --key-name "$2" --key-value "@$work/key" --output none 2>"$work/err"; then
      echo "postdeploy: function key '$2' set on $1"
      return 0
    fi
    if [ "$attempt" -ge 12 ]; then
      echo "postdeploy: could not set function key '$2' on $1: $(cat "$work/err")" >&2
      return 1
    fi
    attempt=$((attempt + 1))
    sleep "$retry_seconds"
  done
}

set_key "$DEVOPS_FUNCTION" azure-devops devops-function-key
set_key "$ALERTS_FUNCTION" azure-monitor alerts-function-key

cat <<EOF

Azure DevOps service hook (Project settings > Service hooks > + > Web Hooks):
  Event:    Build completed (status Succeeded), or Run state changed (state Completed, result Succeeded)
  URL:      ${DEVOPS_HOOK_URL:-https://<app>/api/hooks/devops/<target>}?code=<key>
            key:      az keyvault secret show --vault-name $vault --name devops-function-key --query value -o tsv
  Basic authentication: user name: any, password:
            az keyvault secret show --vault-name $vault --name service-hook-secret --query value -o tsv
  Resource details to send: All
See docs/azure.md.
EOF
