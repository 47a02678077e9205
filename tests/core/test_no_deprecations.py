"""Kith's own imports raise no deprecation warning of the libraries it uses (Authlib's httpx
fallback above all): a fresh interpreter, with those warnings made errors, imports the app and the
test suite's OAuth client."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_app_and_the_oauth_client_warns_of_nothing_deprecated():
    code = (
        "import warnings\n"
        "from authlib.deprecate import AuthlibDeprecationWarning\n"
        "warnings.simplefilter('error', AuthlibDeprecationWarning)\n"
        "warnings.simplefilter('error', DeprecationWarning)\n"
        "import app.main, app.cli, app.worker\n"
        "from app.console.oidc import AsyncOAuth2Client\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
