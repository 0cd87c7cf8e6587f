#!/usr/bin/env bash
# Deploys one build of the web app onto this Linux VM. Sent by the release orchestrator through a
# managed Run Command, whose parameters arrive as environment variables.
#
# Parameters (environment variables; an empty value counts as unset). Each one's rule and maximum length
# come from scripts/contract.json (shared with deploy-windows.ps1 and the app's hook; see check_param):
#   ARTIFACT_URL            required  http(s) URL of the package (.tar.gz; its files unpack into the release root)
#   VERSION                 required  version being deployed; [A-Za-z0-9._-] starting with [A-Za-z0-9_], at most
#                                     128 characters; names the release folder
#   INSTALL_ROOT            optional  default /opt/webapp (holds releases/ and the current link)
#   SERVICE_NAME            optional  default webapp
#   RESTART_COMMAND         optional  default: systemctl restart "$SERVICE_NAME" (run with bash -c)
#   HEALTH_URL              optional  default http://127.0.0.1/health
#   HEALTH_VERSION_HEADER   optional  default x-app-version (else the JSON body field "version" is read)
#   HEALTH_TIMEOUT_SECONDS  optional  default 60
#   ARTIFACT_AUTH           optional  auto (default) | none | managed-identity. none: ARTIFACT_URL is fetched as
#                                     is (public, or a SAS in its query string). managed-identity: with a token
#                                     for https://storage.azure.com/ from this VM's Instance Metadata Service
#                                     (needs Storage Blob Data Reader on the container). auto: managed-identity
#                                     for an Azure Blob URL without a SAS signature, else none (same default
#                                     as deploy-windows.ps1, so one target config serves both)
#   ARTIFACT_IDENTITY_CLIENT_ID optional  client ID of the VM's user-assigned identity to download with
#                                     (default: the system-assigned identity, or the only user-assigned one)
#   IMDS_ENDPOINT           optional  default http://169.254.169.254 (tests point it at a loopback fake)
#   IMDS_RETRY_DELAY_SECONDS optional  default 5: first wait before retrying the IMDS token request after
#                                     HTTP 404, 410, 429, 5xx or no answer, doubled each time (5 attempts:
#                                     5+10+20+40 = 75s of waits, as IMDS documents 410 for up to 70s; tests set 0)
#
# Exit codes:
#   0   deployed and healthy (or already deployed and healthy: nothing done)
#   2   invalid or missing parameters (a value that breaks its rule or is longer than its maximum), or a
#       missing tool (curl, tar)
#   10  download failed (including the IMDS token request)
#   11  unpack or install (release folder, current link) failed
#   12  restart command failed
#   13  health check did not report VERSION with HTTP 200 before the timeout
#
# Idempotent: a re-run for the version already live and healthy exits 0 without downloading; a re-run
# after a partial failure reuses what completed (complete downloads and unpacked releases are written
# under temporary names and renamed, so a half-written file is never mistaken for a finished one).
# Run Command may start the script with sh: re-run it under bash, which the rest needs.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail

log() { printf 'deploy: %s\n' "$*"; }
fail() {
  local code="$1"
  shift
  printf 'deploy: ERROR (exit %s): %s\n' "$code" "$*" >&2
  exit "$code"
}

ARTIFACT_URL="${ARTIFACT_URL:-}"
VERSION="${VERSION:-}"
INSTALL_ROOT="${INSTALL_ROOT:-/opt/webapp}"
SERVICE_NAME="${SERVICE_NAME:-webapp}"
# Expanded later by `bash -c`, which sees SERVICE_NAME through the environment.
# shellcheck disable=SC2016
RESTART_COMMAND="${RESTART_COMMAND:-systemctl restart \"\$SERVICE_NAME\"}"
HEALTH_URL="${HEALTH_URL:-http://127.0.0.1/health}"
HEALTH_VERSION_HEADER="${HEALTH_VERSION_HEADER:-x-app-version}"
HEALTH_TIMEOUT_SECONDS="${HEALTH_TIMEOUT_SECONDS:-60}"
ARTIFACT_AUTH="${ARTIFACT_AUTH:-auto}"
ARTIFACT_AUTH="${ARTIFACT_AUTH,,}"
ARTIFACT_IDENTITY_CLIENT_ID="${ARTIFACT_IDENTITY_CLIENT_ID:-}"
IMDS_ENDPOINT="${IMDS_ENDPOINT:-http://169.254.169.254}"
IMDS_RETRY_DELAY_SECONDS="${IMDS_RETRY_DELAY_SECONDS:-5}"
IMDS_ATTEMPTS=5
KEEP_RELEASES=3
export SERVICE_NAME

# --- validate -------------------------------------------------------------------------------------
# Appends to problems[] what is wrong with parameter $1: required|optional, maximum length, anchored ERE
# (empty: any value), and the rule's wording. Values are never quoted: they may be huge or carry a SAS.
problems=()
check_param() {
  local name="$1" need="$2" max="$3" pattern="$4" rule="$5" value length
  value="${!name}"
  length="${#value}"
  if [[ -z "$value" ]]; then
    [[ "$need" != required ]] || problems+=("$name is required")
    return 0
  fi
  if ((length > max)); then
    problems+=("$name is longer than $max characters ($length)")
    return 0
  fi
  # Byte-wise, so that ranges such as A-Z never match accented letters in a UTF-8 locale.
  local LC_ALL=C
  [[ -z "$pattern" || "$value" =~ $pattern ]] || problems+=("$name $rule")
}
# --- parameter rules: generated from scripts/contract.json by `npm run contract`; do not edit ---
check_param ARTIFACT_URL required 4096 '^https?://[^ ]+$' 'must be an http(s) URL without spaces'
check_param VERSION required 128 '^[A-Za-z0-9_][A-Za-z0-9._-]*$' "may only hold letters, digits, '.', '_' and '-', and must start with a letter, digit or '_'"
check_param INSTALL_ROOT optional 200 '^/[^"]*$' 'must be an absolute path without double quotes'
check_param SERVICE_NAME optional 64 '^[A-Za-z0-9@:._ -]+$' "may only hold letters, digits, spaces, '@', ':', '.', '_' and '-'"
check_param RESTART_COMMAND optional 4096 '' 'is a command line (run as given)'
check_param HEALTH_URL optional 2048 '^https?://[^ ]+$' 'must be an http(s) URL without spaces'
check_param HEALTH_VERSION_HEADER optional 128 '^[A-Za-z0-9_-]+$' "must be a header name (letters, digits, '_' and '-')"
check_param HEALTH_TIMEOUT_SECONDS optional 5 '^(0|[1-9][0-9]*)$' 'must be a whole number of seconds without leading zeros'
check_param ARTIFACT_AUTH optional 16 '^([Aa][Uu][Tt][Oo]|[Nn][Oo][Nn][Ee]|[Mm][Aa][Nn][Aa][Gg][Ee][Dd]-[Ii][Dd][Ee][Nn][Tt][Ii][Tt][Yy])$' 'must be auto, none or managed-identity (any case)'
check_param ARTIFACT_IDENTITY_CLIENT_ID optional 36 '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$' 'must be the client ID (a GUID) of a user-assigned identity'
check_param IMDS_ENDPOINT optional 256 '^https?://[^/?# ]+/?$' 'must be an http(s) URL without a path'
check_param IMDS_RETRY_DELAY_SECONDS optional 3 '^(0|[1-9][0-9]*)$' 'must be a whole number of seconds (0-999) without leading zeros'
# --- end of generated parameter rules ---
command -v curl >/dev/null 2>&1 || problems+=("curl is not installed")
command -v tar >/dev/null 2>&1 || problems+=("tar is not installed")
if ((${#problems[@]} > 0)); then
  for p in "${problems[@]}"; do printf 'deploy: invalid: %s\n' "$p" >&2; done
  fail 2 "validate: ${#problems[@]} problem(s) with the parameters"
fi
IMDS_ENDPOINT="${IMDS_ENDPOINT%/}"

# The URL may carry a SAS token in its query string: never print it.
SAFE_URL="${ARTIFACT_URL%%\?*}"
RELEASES="$INSTALL_ROOT/releases"
RELEASE_DIR="$RELEASES/$VERSION"
PACKAGE="$RELEASES/$VERSION.tar.gz"
CURRENT="$INSTALL_ROOT/current"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/deploy-linux.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

mkdir -p "$RELEASES" || fail 11 "install: cannot create $RELEASES"

# Two runs on one VM (a retried Run Command) must not interleave: the second waits for the first.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$INSTALL_ROOT/.deploy.lock"
  flock -w 600 9 || fail 11 "install: another deploy holds $INSTALL_ROOT/.deploy.lock"
fi

# Whether the download uses this VM's managed identity (auto: an Azure Blob URL that carries no SAS).
use_managed_identity() {
  case "$ARTIFACT_AUTH" in
    managed-identity) return 0 ;;
    auto)
      local blob='^https?://[^/?#]+\.blob\.core\.' sas='[?&]sig='
      [[ "$ARTIFACT_URL" =~ $blob && ! "$ARTIFACT_URL" =~ $sas ]]
      ;;
    *) return 1 ;;
  esac
}

# Writes the header "Authorization: Bearer <token>" for Blob storage to the file $1, with a token from the
# Instance Metadata Service. The token stays out of argv (visible in ps), the logs and the install root.
write_storage_auth_header() {
  local out="$1" url code token="" detail transport attempt=1 delay="$IMDS_RETRY_DELAY_SECONDS" tries=""
  url="$IMDS_ENDPOINT/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fstorage.azure.com%2F"
  [[ -z "$ARTIFACT_IDENTITY_CLIENT_ID" ]] || url+="&client_id=$ARTIFACT_IDENTITY_CLIENT_ID"
  # Right after boot IMDS answers 404/410 until the identity is available, and 429/5xx under load: retry
  # those and connection failures with a doubling wait, IMDS_ATTEMPTS in all. curl's own --retry is left
  # off so that it does not multiply the attempts. IMDS must be reached directly, never through a proxy.
  while :; do
    transport=""
    code="$(curl -sS --noproxy '*' -H 'Metadata: true' --connect-timeout 5 --max-time 30 \
      -o "$WORK/imds.json" -w '%{http_code}' "$url" 2>"$WORK/imds.err")" ||
      transport="$(tr '\n' ' ' <"$WORK/imds.err")"
    if [[ -z "$transport" && ! "$code" =~ ^(404|410|429|5[0-9][0-9])$ ]] || ((attempt >= IMDS_ATTEMPTS)); then
      break
    fi
    rm -f "$WORK/imds.json"
    log "IMDS token request attempt $attempt of $IMDS_ATTEMPTS: ${transport:-HTTP $code}; retrying in ${delay}s"
    sleep "$delay"
    delay=$((delay * 2))
    attempt=$((attempt + 1))
  done
  ((attempt == 1)) || tries=" (after $attempt attempts)"
  [[ -z "$transport" ]] ||
    fail 10 "download: IMDS token request to $IMDS_ENDPOINT failed$tries: $transport"
  if [[ "$code" == "200" ]]; then
    if command -v jq >/dev/null 2>&1; then
      token="$(jq -r '.access_token // empty' <"$WORK/imds.json" 2>/dev/null)" || token=""
    else
      # Tokens are JWTs (base64url and dots): no quotes or escapes to trip the extraction.
      token="$(tr -d '\r\n' <"$WORK/imds.json" |
        sed -n 's/.*"access_token"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')" || token=""
    fi
    rm -f "$WORK/imds.json"
    # Anything else could smuggle a line break into the request headers.
    [[ "$token" =~ ^[A-Za-z0-9._~+/=-]+$ ]] ||
      fail 10 "download: IMDS at $IMDS_ENDPOINT answered HTTP 200 without a usable access_token"
    printf 'Authorization: Bearer %s\n' "$token" >"$out"
    return 0
  fi
  # Error answers carry {"error", "error_description"}, never a token.
  detail="$(tr -d '\r\n' <"$WORK/imds.json" 2>/dev/null |
    sed -n 's/.*"error_description"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' | cut -c1-300)" || detail=""
  rm -f "$WORK/imds.json"
  fail 10 "download: IMDS at $IMDS_ENDPOINT refused a token for https://storage.azure.com/${ARTIFACT_IDENTITY_CLIENT_ID:+ (client_id $ARTIFACT_IDENTITY_CLIENT_ID)}: HTTP $code${detail:+: $detail}$tries"
}

# Sets HEALTH_SEEN to the version the health endpoint reports with HTTP 200 (empty otherwise) and
# LAST_HEALTH to a short description of what it answered; never fails.
HEALTH_SEEN=""
LAST_HEALTH="not checked"
check_health() {
  local code value=""
  HEALTH_SEEN=""
  code="$(curl -sS -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' --max-time 5 "$HEALTH_URL" 2>/dev/null)" ||
    code="000"
  LAST_HEALTH="HTTP $code"
  [[ "$code" == "200" ]] || return 0
  if [[ -n "$HEALTH_VERSION_HEADER" ]]; then
    value="$(grep -i "^${HEALTH_VERSION_HEADER}:" "$WORK/headers" | tail -n 1 | cut -d: -f2- | tr -d '\r' |
      sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//')" || value=""
    LAST_HEALTH="HTTP 200, $HEALTH_VERSION_HEADER: ${value:-<none>}"
  fi
  if [[ -z "$value" ]]; then
    value="$(tr -d '\n' <"$WORK/body" | sed -n 's/.*"version"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')" ||
      value=""
    LAST_HEALTH="HTTP 200, body version: ${value:-<none>}"
  fi
  HEALTH_SEEN="$value"
}

current_target() { readlink "$CURRENT" 2>/dev/null || true; }

# --- already live? ------------------------------------------------------------------------------
target="$(current_target)"
if [[ "$target" == "releases/$VERSION" || "$target" == "$RELEASE_DIR" ]]; then
  check_health
fi
if [[ "$HEALTH_SEEN" == "$VERSION" ]]; then
  log "version $VERSION is already current and healthy at $HEALTH_URL; nothing to do"
  exit 0
fi

# --- download -----------------------------------------------------------------------------------
if [[ -d "$RELEASE_DIR" ]]; then
  log "release $VERSION is already unpacked in $RELEASE_DIR; skipping download"
else
  if [[ -s "$PACKAGE" ]]; then
    log "package $PACKAGE already downloaded"
  else
    # Empty unless the managed identity is used; expanded with ${auth[@]+...} for bash < 4.4 under set -u.
    auth=()
    if use_managed_identity; then
      log "downloading $SAFE_URL with the VM's managed identity${ARTIFACT_IDENTITY_CLIENT_ID:+ (client_id $ARTIFACT_IDENTITY_CLIENT_ID)}"
      write_storage_auth_header "$WORK/auth.header"
      # Bearer tokens need x-ms-version 2017-11-09 or later; -H @file keeps the token out of argv.
      auth=(-H @"$WORK/auth.header" -H 'x-ms-version: 2020-04-08')
    else
      log "downloading $SAFE_URL"
    fi
    rm -f "$PACKAGE.part"
    if ! curl -fsSL --retry 3 --retry-delay 1 --retry-connrefused --connect-timeout 10 --max-time 600 \
      ${auth[@]+"${auth[@]}"} -o "$PACKAGE.part" "$ARTIFACT_URL" 2>"$WORK/curl.err"; then
      rm -f "$PACKAGE.part" "$WORK/auth.header"
      hint=""
      if ((${#auth[@]} > 0)) && grep -q 'error: 403' "$WORK/curl.err"; then
        hint=" (does the VM's identity have Storage Blob Data Reader on the container?)"
      fi
      fail 10 "download: $SAFE_URL: $(tr '\n' ' ' <"$WORK/curl.err")$hint"
    fi
    rm -f "$WORK/auth.header"
    mv -f "$PACKAGE.part" "$PACKAGE"
    log "downloaded $(wc -c <"$PACKAGE" | tr -d ' ') bytes"
  fi

  # --- unpack -----------------------------------------------------------------------------------
  staging="$RELEASES/.unpack-$VERSION-$$"
  rm -rf "$staging"
  mkdir -p "$staging" || fail 11 "unpack: cannot create $staging"
  if ! tar -xzf "$PACKAGE" -C "$staging" 2>"$WORK/tar.err"; then
    rm -rf "$staging"
    # A corrupt package must not satisfy the next run: drop it so it is downloaded again.
    rm -f "$PACKAGE"
    fail 11 "unpack: $PACKAGE: $(tr '\n' ' ' <"$WORK/tar.err")"
  fi
  mv -T "$staging" "$RELEASE_DIR" || fail 11 "unpack: cannot move $staging to $RELEASE_DIR"
  log "unpacked into $RELEASE_DIR"
fi

# --- switch current -----------------------------------------------------------------------------
if [[ -e "$CURRENT" && ! -L "$CURRENT" ]]; then
  fail 11 "install: $CURRENT exists and is not a symbolic link; move it away"
fi
if [[ "$(current_target)" != "releases/$VERSION" ]]; then
  # A relative link keeps the install root relocatable; rename(2) makes the switch atomic.
  ln -sfn "releases/$VERSION" "$INSTALL_ROOT/.current.$$" || fail 11 "install: cannot create the new link"
  mv -T "$INSTALL_ROOT/.current.$$" "$CURRENT" || fail 11 "install: cannot switch $CURRENT"
  log "switched current -> releases/$VERSION"
else
  log "current already points at releases/$VERSION"
fi
touch "$RELEASE_DIR"

# --- restart ------------------------------------------------------------------------------------
log "restarting: $RESTART_COMMAND"
# fd 9 (the lock) is closed for the command: a daemon it leaves running must not hold the lock.
if ! bash -c "$RESTART_COMMAND" >"$WORK/restart.out" 2>&1 9>&-; then
  tail -n 5 "$WORK/restart.out" >&2 || true
  fail 12 "restart: '$RESTART_COMMAND' failed"
fi

# --- wait for health ----------------------------------------------------------------------------
log "waiting up to ${HEALTH_TIMEOUT_SECONDS}s for $HEALTH_URL to report $VERSION"
deadline=$((SECONDS + HEALTH_TIMEOUT_SECONDS))
while :; do
  check_health
  if [[ "$HEALTH_SEEN" == "$VERSION" ]]; then
    break
  fi
  if ((SECONDS >= deadline)); then
    fail 13 "health: $HEALTH_URL did not report $VERSION within ${HEALTH_TIMEOUT_SECONDS}s (last: $LAST_HEALTH)"
  fi
  sleep 1
done
log "healthy: $LAST_HEALTH"

# --- prune --------------------------------------------------------------------------------------
# Keeps the newest releases (by last deploy time) and always the current one.
count=0
while read -r _ name; do
  count=$((count + 1))
  if ((count > KEEP_RELEASES)) && [[ "$name" != "$VERSION" ]]; then
    rm -rf "${RELEASES:?}/$name" "$RELEASES/$name.tar.gz"
    log "pruned release $name"
  fi
done < <(find "$RELEASES" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%T@ %f\n' | sort -rn)
find "$RELEASES" -mindepth 1 -maxdepth 1 -name '.unpack-*' -mmin +60 -exec rm -rf {} + 2>/dev/null || true

log "deployed $VERSION to $INSTALL_ROOT"
