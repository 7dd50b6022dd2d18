#!/bin/sh
# Starts Alertmanager with the webhook URLs taken from secret files.
#
# alertmanager.yml carries placeholder URLs in the reserved .invalid domain. This
# script copies it to a private directory (a tmpfs in docker-compose.yml), replacing
# each placeholder with the first line of its secret file, checks that no placeholder
# is left, and execs Alertmanager on the copy with the arguments it was given.
#
# Environment (all optional):
#   ALERTMANAGER_CONFIG        source config   (default /etc/alertmanager/alertmanager.yml)
#   ALERTMANAGER_SECRETS_DIR   secret files    (default /run/secrets)
#   ALERTMANAGER_RENDERED_DIR  where the copy goes (default /run/alertmanager)
#   ALERTMANAGER_BIN           the binary      (default /bin/alertmanager)
set -eu

config=${ALERTMANAGER_CONFIG:-/etc/alertmanager/alertmanager.yml}
secrets=${ALERTMANAGER_SECRETS_DIR:-/run/secrets}
rendered_dir=${ALERTMANAGER_RENDERED_DIR:-/run/alertmanager}
binary=${ALERTMANAGER_BIN:-/bin/alertmanager}
rendered=$rendered_dir/alertmanager.yml

fail() {
    echo "alertmanager entrypoint: $*" >&2
    exit 1
}

# read_url SECRET_NAME ENV_NAME: prints the URL held in $secrets/SECRET_NAME.
read_url() {
    file=$secrets/$1
    [ -r "$file" ] || fail "secret file $file is missing: set $2"
    url=
    IFS= read -r url <"$file" || [ -n "$url" ] || fail "secret file $file is empty: set $2"
    url=${url%"$(printf '\r')"}
    case $url in
        http://?* | https://?*) ;;
        *) fail "$2 is not an http:// or https:// URL" ;;
    esac
    case $url in
        *'"'* | *'\'* | *' '*) fail "$2 must not contain quotes, backslashes or spaces" ;;
    esac
    printf '%s' "$url"
}

oncall_url=$(read_url oncall_webhook_url ONCALL_WEBHOOK_URL)
team_url=$(read_url team_webhook_url TEAM_WEBHOOK_URL)

[ -r "$config" ] || fail "cannot read $config"
mkdir -p "$rendered_dir" 2>/dev/null || true
[ -d "$rendered_dir" ] && [ -w "$rendered_dir" ] || fail "$rendered_dir is not a writable directory"

umask 077
# Values reach awk through the environment: no escape processing, no regex semantics.
ONCALL_URL=$oncall_url TEAM_URL=$team_url awk '
    function swap(line, placeholder, value,    out, i) {
        out = ""
        while ((i = index(line, placeholder)) > 0) {
            out = out substr(line, 1, i - 1) value
            line = substr(line, i + length(placeholder))
        }
        return out line
    }
    {
        line = swap($0, "http://oncall-webhook-url.invalid/", ENVIRON["ONCALL_URL"])
        print swap(line, "http://team-webhook-url.invalid/", ENVIRON["TEAM_URL"])
    }
' "$config" >"$rendered"

if grep -q 'webhook-url\.invalid' "$rendered"; then
    fail "$config has a placeholder URL this script does not know"
fi

exec "$binary" --config.file="$rendered" "$@"
