"""Admin of reporting: board (imported by reporting/admin.py). Scoped like every admin:
rcvs/admin_scoping.py; add an out-of-scope factory in tests/admin_scope_extra/board.py."""
