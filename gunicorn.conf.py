"""gunicorn settings of the production image and docker-compose's web service (`gunicorn -c gunicorn.conf.py`).

Threads (gthread) rather than sync workers: a thread that streams a long download (open data, reports) holds
one of WORKERS × THREADS slots, not a whole process, so page views keep being answered. Each thread keeps its
own database connection (CONN_MAX_AGE), so PostgreSQL needs at least WORKERS × THREADS connections per web
container, plus the Celery worker's.
"""

import os

wsgi_app = "smartcity5.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
worker_class = "gthread"
# Two processes per core, four threads each (measured: bench/README.md, "load.py", 2026-12-07): a process runs one
# thread at a time (the GIL), so with one process per core a request waited for the seven others of its process;
# with 4 × 4 on two cores the load benchmark's p95 fell from 540 to 160–180 ms with the same 16 connections.
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# A request that takes longer than this kills its worker; report and export files are built by Celery, so
# only slow clients on large downloads come near it.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# Longer than the idle time of whoever keeps connections to gunicorn (nginx's upstream keepalive_timeout and
# load balancers' idle timeouts are 60 s; a browser thinks for seconds between pages), so the client always
# closes an idle connection first. With 5 s, gunicorn closed connections just as clients sent their next
# request on them, and under load 3-5 % of requests ended without an answer (bench/README.md, "load.py").
# An idle connection costs a gthread worker a socket in its poller, not a thread.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))
# Recycle workers now and then, so a slow leak never grows without bound. Not too often: a new worker costs
# 1-2 s of CPU to import the portal and about 0.5 s more to warm up on its first requests (templates, URLs,
# translations); every 2,000 requests that was about 1 ms of CPU per request, a fifth of a cached page
# (bench/README.md, "load.py").
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = max_requests // 10
# Access and error log on stdout/stderr, where docker (or systemd) collects them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The Docker image's file system may be read-only except for /tmp: keep worker heartbeat files in memory.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# No control socket (gunicorn ≥ 25 opens one in the home directory by default): nothing here uses it, and two
# instances on one host would share its path.
control_socket_disable = True
