#!/usr/bin/env bash
# Writes the secrets deploy/compose.yaml reads into deploy/secrets/: a random database password (and the
# database URL holding it), a random master key, and the four provider tokens, asked for here. An existing
# file is kept. The folder is the owner's alone; the files inside are readable, so that the containers'
# users (Qoltanba's, PostgreSQL's) can read what compose mounts.
set -euo pipefail
dir="$(dirname "$0")/secrets"
install -d -m 700 "$dir"
umask 022
write() {  # name, value
    [ -e "$dir/$1" ] && { echo "kept $dir/$1"; return; }
    printf '%s' "$2" >"$dir/$1"
    echo "wrote $dir/$1"
}
if [ ! -e "$dir/database_password" ]; then
    password=$(openssl rand -hex 24)
    write database_password "$password"
    rm -f "$dir/database_url"
    write database_url "postgres://qoltanba:$password@postgres:5432/qoltanba"
fi
write master_key "$(openssl rand -base64 32)"
for provider in registry liveness face_match sms; do
    if [ ! -e "$dir/${provider}_token" ]; then
        read -r -s -p "the ${provider} provider's token: " token
        echo
        write "${provider}_token" "$token"
    fi
done
