"""Test-session settings shared by every test file."""

import os

# `derive check` reuses the results of unchanged documents from ./.derive-cache/ by
# default.  Tests that run the command line must see a fresh check every time (a test
# of --jobs would otherwise compare a run with its own cached copy); the cache tests
# turn it back on for themselves.
os.environ["DERIVE_NO_CACHE"] = "1"
