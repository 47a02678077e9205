#!/bin/sh
# The first organisation and its platform-admin API client, made in the compose project's API image
# (the database must be up: `docker compose -f docker/compose.yaml up -d` first). From anywhere:
#   KITH_DB_PASSWORD=… docker/first-org.sh "Riverside Council" public council
# prints the organisation's id, then the client's id and secret (the secret only this once).
set -eu
name=${1:?usage: first-org.sh NAME SECTOR KIND (SECTOR: public, social or commercial)}
sector=${2:?usage: first-org.sh NAME SECTOR KIND (SECTOR: public, social or commercial)}
kind=${3:?usage: first-org.sh NAME SECTOR KIND (KIND: council, charity, school, shop, ...)}
cd "$(dirname "$0")"
docker compose -f compose.yaml run --rm -T api sh -euc '
  org=$(kith orgs create --name "$1" --sector "$2" --kind "$3" --json \
        | python -c "import json, sys; print(json.load(sys.stdin)[\"id\"])")
  echo "organisation: $org"
  kith clients create --org "$org" --admin --name "platform admin"
' first-org "$name" "$sector" "$kind"
