"""pytest plugin: collects derivations as test items (see design §9)."""
