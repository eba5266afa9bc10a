# The gunicorn fixtures (a migrated SQLite file, a 2-worker server) of the core write test, for
# test_vote_concurrency_gunicorn.py.
from tests.core.test_gunicorn_writes import server, sqlite_file  # noqa: F401
