#!/bin/sh
# azd preprovision hook: tells main.bicep whether the sample target's Traffic Manager profile exists (or,
# with TRAFFIC_PROVIDER=frontDoor, its Front Door profile).
#
# Endpoint status (which slot is live) is owned by the app at runtime. main.bicep writes the profile only
# when SAMPLE_TARGET_EXISTS is false, so a re-provision never flips traffic back (see
# infra/app/target.bicep). azd sets SAMPLE_TARGET_EXISTS=true from main.bicep's outputs after the first
# provision; this hook checks it against Azure, for a new machine/environment pointing at existing
# resources, or after `azd down`.
#
# When the value has to change, it is saved with `azd env set` and the hook stops (exit 1): azd versions
# that read the parameters before running this hook would otherwise deploy with the stale value. Run
# `azd provision` (or `azd up`) again.
set -eu

env_name="${AZURE_ENV_NAME:?AZURE_ENV_NAME is not set (run through azd)}"
group="${AZURE_RESOURCE_GROUP:-rg-$env_name}"
current="${SAMPLE_TARGET_EXISTS:-false}"
provider="${TRAFFIC_PROVIDER:-trafficManager}"
case "$provider" in
  trafficManager) what="Traffic Manager profile" ;;
  frontDoor) what="Front Door profile" ;;
  *)
    echo "preprovision: TRAFFIC_PROVIDER must be trafficManager or frontDoor, not '$provider'" >&2
    exit 1
    ;;
esac

if ! command -v az >/dev/null 2>&1; then
  echo "preprovision: the Azure CLI (az) is required to check the $what" >&2
  exit 1
fi

# The profile carries the azd-env-name tag; list instead of show, because the name's token is derived
# in Bicep (uniqueString) and is unknown before the first provision.
query="[?tags.\"azd-env-name\"=='$env_name'].name"
list_profiles() {
  if [ "$provider" = frontDoor ]; then
    az afd profile list --resource-group "$group" --query "$query" --output tsv
  else
    az network traffic-manager profile list --resource-group "$group" --query "$query" --output tsv
  fi
}
if out="$(list_profiles 2>&1)"; then
  if [ -n "$out" ]; then actual=true; else actual=false; fi
else
  case "$out" in
    *ResourceGroupNotFound* | *"could not be found"*) actual=false ;;
    *)
      echo "preprovision: cannot tell whether the $what exists in $group: $out" >&2
      echo "preprovision: stopping so that a re-provision cannot overwrite live endpoint status" >&2
      exit 1
      ;;
  esac
fi

if [ "$actual" = "$current" ]; then
  echo "preprovision: SAMPLE_TARGET_EXISTS=$actual ($what is $([ "$actual" = true ] && echo 'left untouched' || echo 'created'))"
  exit 0
fi

azd env set SAMPLE_TARGET_EXISTS "$actual"
echo "preprovision: SAMPLE_TARGET_EXISTS changed from $current to $actual and was saved; run the command again" >&2
exit 1
