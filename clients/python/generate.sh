#!/bin/sh
# Regenerate the typed Python client from Kith's OpenAPI document (after `kith openapi export`),
# with openapi-python-client at the version it was made with. From anywhere:
#   clients/python/generate.sh
# tests/api/test_python_client.py fails when an operation of the document has no function here.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tools=$(mktemp -d)
python3 -m venv "$tools/venv"
"$tools/venv/bin/pip" install --quiet "openapi-python-client==0.29.1" "ruff>=0.6"
cd "$tools"
PATH="$tools/venv/bin:$PATH" openapi-python-client generate --path "$here/../../openapi/openapi.json" \
    --config "$here/generator-config.yaml" --meta setup --output-path "$tools/kith-client"
# The generator pins httpx below 0.29; Kith runs on 0.29, and the client's calls work there (the test).
sed -i 's/"httpx >= 0.23.1, < 0.29.0"/"httpx >= 0.23.1"/' "$tools/kith-client/setup.py"
cp "$here/generate.sh" "$here/generator-config.yaml" "$tools/kith-client/"
rm -rf "$here.new" && mv "$tools/kith-client" "$here.new" && rm -rf "$here" && mv "$here.new" "$here"
rm -rf "$tools"
echo "regenerated $here"
