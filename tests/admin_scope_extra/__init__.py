"""Out-of-scope factories for tests/test_admin_scope.py, one module per capability: each module
defines OUT_OF_SCOPE (model label -> ctx -> an object of region Zuid) and may define NOT_REGIONAL."""
