"""The build that deploys, checked without a Docker engine: the image's file set (Dockerfile COPY lines through
.dockerignore) holds every package and file the portal needs, production collectstatic and check --deploy pass
on exactly that file set, the lock pins what pyproject.toml asks for, and docker-compose runs the same shape."""

import gzip
import http.client
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from importlib import metadata
from pathlib import Path

import brotli  # type: ignore[import-untyped]  # ships no types
import pytest
import yaml
from django.conf import settings
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from whitenoise.compress import Compressor  # type: ignore[import-untyped]

from smartcity5.staticfiles import CompressedManifestStorage

ROOT = Path(__file__).resolve().parent.parent


# --- The image's file set -----------------------------------------------------------------------------------


def _pattern_regex(pattern: str) -> re.Pattern:
    """A .dockerignore pattern as Docker reads it (Go's filepath.Match plus ``**`` for any number of folders)."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):
                out, i = out + "(?:.*/)?", i + 1
            else:
                out += ".*"
            continue
        char = pattern[i]
        if char == "*":
            out += "[^/]*"
        elif char == "?":
            out += "[^/]"
        elif char == "[":
            end = pattern.index("]", i)
            out += pattern[i : end + 1].replace("[!", "[^")
            i = end + 1
            continue
        elif char == "\\":
            out += re.escape(pattern[i + 1])
            i += 1
        else:
            out += re.escape(char)
        i += 1
    return re.compile(out)


def dockerignore_rules(text: str) -> list[tuple[re.Pattern, bool, str]]:
    """(regex, is_exception, pattern) for each line; the last rule that matches a path decides."""
    rules = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        exception = line.startswith("!")
        pattern = os.path.normpath(line.lstrip("!").strip()).lstrip("/")
        rules.append((_pattern_regex(pattern), exception, pattern))
    return rules


def is_ignored(path: str, rules) -> bool:
    """Docker's rule: a path is left out when it, or a folder it lies in, matches (the last matching rule wins)."""
    parts = path.split("/")
    candidates = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    ignored = False
    for regex, exception, _ in rules:
        if any(regex.fullmatch(candidate) for candidate in candidates):
            ignored = not exception
    return ignored


def copy_sources(dockerfile: str) -> list[str]:
    """The context paths of every COPY/ADD of the build context (not ``--from`` another stage)."""
    sources = []
    text = re.sub(r"\\\n", " ", dockerfile)
    for line in text.splitlines():
        words = shlex.split(line.split("#", 1)[0]) if not line.lstrip().startswith("#") else []
        if not words or words[0].upper() not in {"COPY", "ADD"}:
            continue
        args = [w for w in words[1:] if not w.startswith("--")]
        if any(w.startswith("--from") for w in words[1:]):
            continue
        sources += [os.path.normpath(src) for src in args[:-1]]
    return sources


def image_files(root: Path = ROOT) -> set[str]:
    """The files of the project that `docker build` puts into the image, as paths relative to /app."""
    rules = dockerignore_rules((root / ".dockerignore").read_text())
    exceptions = [pattern for _, exception, pattern in rules if exception]
    sources = copy_sources((root / "Dockerfile").read_text())
    files = set()
    for folder, dirs, names in os.walk(root):
        rel_folder = os.path.relpath(folder, root)
        rel_folder = "" if rel_folder == "." else rel_folder + "/"
        # Skip ignored folders (.git, .venv …) unless an exception may bring something inside them back.
        dirs[:] = [
            d
            for d in dirs
            if not (
                is_ignored(rel_folder + d, rules)
                and not any(e.startswith(rel_folder + d + "/") for e in exceptions)
            )
        ]
        for name in names:
            path = rel_folder + name
            if is_ignored(path, rules):
                continue
            if any(src == "." or path == src or path.startswith(src + "/") for src in sources):
                files.add(path)
    return files


def test_dockerignore_reading_follows_docker_rules():
    rules = dockerignore_rules("**/__pycache__\nmedia\n*.egg-info\n.env*\n!.env.example\n")
    assert is_ignored("projects/__pycache__/models.cpython-311.pyc", rules)
    assert is_ignored("__pycache__/x.pyc", rules)
    assert is_ignored("media/ideas/a.png", rules) and not is_ignored("projects/media.py", rules)
    assert is_ignored("smartcity5.egg-info/PKG-INFO", rules)
    assert is_ignored(".env", rules) and not is_ignored(".env.example", rules)
    assert copy_sources("FROM x\nCOPY --chown=a:b req.lock ./\nCOPY --from=build /a /b\nCOPY . .\n") == [
        "req.lock",
        ".",
    ]


def our_packages() -> set[str]:
    """Every top-level Python package of the project (a folder with __init__.py), tests and benchmarks aside."""
    return {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "bench"}


def test_the_image_holds_every_package_and_file_the_portal_needs():
    files = image_files()
    apps_of_ours = {
        app.split(".")[0] for app in settings.INSTALLED_APPS if (ROOT / app.split(".")[0]).is_dir()
    }
    assert {"smartcity5", "api", "municipalities", "reports", "funding"} <= our_packages()
    for package in apps_of_ours | our_packages():
        expected = {
            str(p.relative_to(ROOT)) for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts
        }
        assert expected <= files, f"{package}: {sorted(expected - files)[:5]}"
    # Every package is also installed by pyproject (the image runs `pip install --no-deps .`).
    include = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"][
        "include"
    ]
    assert {p for p in our_packages() if f"{p}*" not in include} == set()
    tracked = subprocess.run(
        ["git", "ls-files", "templates", "static", "locale", "locale_allauth"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert tracked and set(tracked) <= files, sorted(set(tracked) - files)[:5]
    for path in (
        "manage.py",
        "pyproject.toml",
        "README.md",
        "gunicorn.conf.py",
        "requirements.lock",
        "scripts/healthcheck.py",
        "locale/de/LC_MESSAGES/django.mo",
        "locale_allauth/de/LC_MESSAGES/django.mo",
        "static/vendor/leaflet/leaflet.js",
        "LICENSE",
    ):
        assert path in files, path
    # And nothing that is secret, local or bulky.
    for path in files:
        top = path.split("/")[0]
        assert top not in {".git", ".venv", "media", "staticfiles", "tests", "node_modules", ".env"}, path
        assert "__pycache__" not in path and not path.endswith((".sqlite3", ".pyc")), path


def _production_env(**extra) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DEBUG",
            "MFA_TOTP_INSECURE_BYPASS_CODE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            "STATIC_ROOT",
            "DJANGO_SETTINGS_MODULE",
        }
    }
    env.update(
        SMARTCITY5_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="portal.example",
        REDIS_URL="redis://127.0.0.1:6379/0",
        EMAIL_URL="smtp://mail.example:587",
        **extra,
    )
    return env


@pytest.mark.slow
def test_production_collectstatic_and_deploy_check_pass_on_the_image_file_set(tmp_path):
    """What the Dockerfile's build step and the running container do, on a copy of exactly the image's files."""
    app = tmp_path / "app"
    for path in image_files():
        (app / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / path, app / path)
    static_root = tmp_path / "staticfiles"
    env = _production_env(STATIC_ROOT=str(static_root))
    # The copy's own packages are imported first (the script's folder leads sys.path), as in the image.
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=app,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    manifest = (static_root / "staticfiles.json").read_text()
    for name in ("vendor/kern/fonts/fira-sans.css", "vendor/leaflet/leaflet.js", "css/smartcity5.css"):
        assert f'"{name}"' in manifest, name
    # Packages' files that no page loads stay out (smartcity5.staticfiles); Swagger UI's are in.
    for unused in ('"rest_framework/', '"django_htmx/', '"drf_spectacular_sidecar/redoc/'):
        assert unused not in manifest, unused
    assert '"drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"' in manifest
    # Compressed copies for whitenoise to send, except of the source maps (settings.py).
    assert (static_root / "css" / "smartcity5.css.br").is_file()
    assert (static_root / "css" / "smartcity5.css.gz").is_file()
    maps = list(static_root.rglob("*.map"))
    assert maps and not [path for path in maps if path.with_name(path.name + ".br").exists()]
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=app,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_compresses_static_files_with_the_project_storage():
    """Production collectstatic (the deploy test above) compresses with the storage the test below checks."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from smartcity5 import settings; print(settings.STORAGES['staticfiles']['BACKEND'])",
        ],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "smartcity5.staticfiles.CompressedManifestStorage"


def test_static_storage_compresses_each_content_once_and_writes_it_for_every_name(tmp_path, monkeypatch):
    """A file's plain and hashed copies hold the same bytes: Brotli and gzip run once for both (in whitenoise's
    threads, at the same time), and each name gets its own .br and .gz. Whitenoise's choices stay: no copy of a
    file compression does not shrink, none of a skipped extension."""
    css, js, tiny = b"body { color: #123456; }\n" * 100, b"window.x = [1, 2, 3];\n" * 100, b"x"
    label = {css: "css", js: "js", tiny: "tiny"}
    calls: list[tuple[str, str]] = []
    for method in ("compress_brotli", "compress_gzip"):
        original = getattr(Compressor, method)

        def counted(data, original=original, method=method):
            calls.append((method, label[data]))
            time.sleep(0.1)  # long enough that the copies' threads meet
            return original(data)

        monkeypatch.setattr(Compressor, method, staticmethod(counted))
    files = {
        "css/app.css": css,
        "css/app.0123456789ab.css": css,
        "js/app.js": js,
        "js/app.ba9876543210.js": js,
        "tiny.txt": tiny,
        "tiny.a1b2c3d4e5f6.txt": tiny,
        "logo.png": css,
    }
    for name, data in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)

    written = list(CompressedManifestStorage(location=tmp_path).compress_files(files))

    # Once per content; the tiny file's Brotli copy is not smaller, so whitenoise keeps none and tries no gzip.
    assert sorted(calls) == sorted(
        [(method, content) for method in ("compress_brotli", "compress_gzip") for content in ("css", "js")]
        + [("compress_brotli", "tiny")]
    )
    expected = [
        (name, name + suffix) for name in files if name.endswith((".css", ".js")) for suffix in (".br", ".gz")
    ]
    assert sorted(written) == sorted(expected)
    for name, compressed in written:
        data = (tmp_path / compressed).read_bytes()
        unpacked = brotli.decompress(data) if compressed.endswith(".br") else gzip.decompress(data)
        assert unpacked == files[name], compressed


def test_vendored_css_and_js_name_no_missing_file():
    """What made production collectstatic fail: a vendored file naming a source map that is not vendored."""
    missing = []
    for path in (ROOT / "static").rglob("*"):
        if path.suffix not in {".js", ".css"}:
            continue
        text = path.read_text(errors="replace")
        for target in re.findall(r"sourceMappingURL=([^\s*]+)", text):
            if not (path.parent / target).is_file():
                missing.append(f"{path.relative_to(ROOT)} → {target}")
        if path.suffix == ".css":
            for target in re.findall(r"url\(\s*['\"]?([^'\")]+)", text):
                if target.startswith(("data:", "#", "http:", "https:", "/")):
                    continue
                if not (path.parent / target.split("?")[0].split("#")[0]).is_file():
                    missing.append(f"{path.relative_to(ROOT)} → {target}")
    assert missing == []
    assert "sourceMappingURL" in (ROOT / "scripts" / "vendor.sh").read_text()  # a refresh strips them again


# --- Dockerfile, gunicorn, compose --------------------------------------------------------------------------


def test_dockerfile_installs_from_the_lock_builds_static_and_runs_as_non_root():
    dockerfile = (ROOT / "Dockerfile").read_text()
    instructions = re.sub(r"\\\n", " ", dockerfile)
    runs = [line for line in instructions.splitlines() if line.startswith("RUN ")]
    assert any("pip install --require-hashes" in run and "-r requirements.lock" in run for run in runs)
    assert any("pip install --no-deps" in run for run in runs)
    assert not any(re.search(r"pip install (?!.*(--require-hashes|--no-deps))", run) for run in runs)
    # WeasyPrint's system libraries: the same packages `make test` installs for the PDF reports.
    ensure = (ROOT / "scripts" / "ensure-system-packages.sh").read_text()
    weasyprint_packages = re.search(r"for package in ([^;]+); do", ensure).group(1).split()
    assert any(
        all(package in run for package in weasyprint_packages) and "apt-get install" in run for run in runs
    )
    assert any("SMARTCITY5_ENV=production" in run and "collectstatic" in run for run in runs)
    users = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert users and users[-1] not in {"root", "0"}
    assert re.search(r'^CMD \["gunicorn", "--config", "gunicorn.conf.py"\]', dockerfile, re.M)


def gunicorn_settings(**environ):
    from gunicorn.config import Config

    config = Config()
    namespace = {"__file__": str(ROOT / "gunicorn.conf.py"), "__name__": "__config__"}
    saved = {key: os.environ.get(key) for key in environ}
    os.environ.update(environ)
    try:
        exec(compile((ROOT / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), namespace)  # noqa: S102 - our own config file, as gunicorn reads it
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key)
            else:
                os.environ[key] = value
    for key, value in namespace.items():
        if key in config.settings:
            config.set(key, value)
    return config


def test_gunicorn_config_keeps_pages_answered_while_downloads_stream():
    config = gunicorn_settings()
    assert config.worker_class_str == "gthread"
    assert config.workers * config.threads >= 8
    assert config.wsgi_app == "smartcity5.wsgi:application"
    assert config.accesslog == "-" and config.errorlog == "-"
    assert config.bind == ["0.0.0.0:8000"] and 30 <= config.timeout <= 120
    config = gunicorn_settings(GUNICORN_BIND="127.0.0.1:18150", GUNICORN_WORKERS="1", GUNICORN_THREADS="3")
    assert config.bind == ["127.0.0.1:18150"] and (config.workers, config.threads) == (1, 3)


@pytest.mark.slow
def test_gunicorn_answers_on_a_connection_idle_longer_than_the_proxy_keeps_its_own():
    """A connection that gunicorn closes while the proxy (or a client) sends the next request on it ends
    without an answer: the load benchmark lost 3-5 % of its requests so with a 5 s keep-alive. gunicorn must
    keep idle connections longer than nginx keeps its idle upstream connections (60 s), and really answer on
    one after a pause of seconds, as between two pages."""
    from tests.servers import free_port, wait_for_port

    assert gunicorn_settings().keepalive > 60
    port = free_port()
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "2",
        "GUNICORN_LOG_LEVEL": "warning",
    }
    env.pop("GUNICORN_KEEPALIVE", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for_port(port, timeout=60)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for pause in (0, 6):  # 6 s: longer than the old keep-alive of 5 s
            time.sleep(pause)
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            assert (response.status, response.read()) == (200, b"ok")
            assert response.getheader("Connection", "").lower() != "close"
        connection.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_compose_file_runs_the_production_shape():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"web", "worker", "beat", "postgres", "redis"}
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert services[name]["build"] == "."
        assert env["SMARTCITY5_ENV"] == "production"
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert "${SECRET_KEY:?" in env["SECRET_KEY"]  # no default secret in production
    web = services["web"]
    assert "migrate --noinput" in web["command"] and "gunicorn --config gunicorn.conf.py" in web["command"]
    assert web["healthcheck"]["test"] == ["CMD", "python", "scripts/healthcheck.py", "/readyz"]
    assert "inspect ping" in " ".join(services["worker"]["healthcheck"]["test"])
    assert "worker" in services["worker"]["command"] and "beat" in services["beat"]["command"]
    for name in ("postgres", "redis"):
        assert services[name]["healthcheck"]
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        env = {
            **os.environ,
            "SECRET_KEY": "x" * 50,
            "ALLOWED_HOSTS": "a",
            "POSTGRES_PASSWORD": "p",
            "EMAIL_URL": "smtp://m:25",
        }
        result = subprocess.run(
            [docker, "compose", "config", "--quiet"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr


# --- The lock -----------------------------------------------------------------------------------------------


def read_lock(path: Path) -> dict[str, str]:
    """name → pinned version; every pin must carry hashes (pip's --require-hashes needs them)."""
    pins, text = {}, path.read_text()
    for block in re.split(r"\n(?=\S)", text):
        match = re.match(r"([A-Za-z0-9._-]+)==(\S+)", block)
        if match:
            assert "--hash=sha256:" in block, f"{path.name}: {match.group(1)} has no hash"
            pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins  # type: ignore[return-value]  # a NormalizedName is a str


def _check_covered(requirements: list[str], pins: dict[str, str], lock_name: str) -> None:
    for line in requirements:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in {lock_name}: run make lock"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{lock_name} pins {name}=={pins[name]}, pyproject asks for {requirement}: run make lock"
        )
        # What the extras (celery[redis], psycopg[binary], django-allauth[mfa]) add is pinned too.
        for extra in requirement.extras:
            for dependency in metadata.requires(requirement.name) or []:
                needed = Requirement(dependency)
                if (
                    needed.marker
                    and needed.marker.evaluate({"extra": extra})
                    and not needed.marker.evaluate({"extra": ""})
                ):
                    assert canonicalize_name(needed.name) in pins, (
                        f"{needed.name} ({line}) not in {lock_name}"
                    )


def test_the_locks_pin_every_dependency_of_pyproject_within_its_specifiers():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = read_lock(ROOT / "requirements.lock")
    dev = read_lock(ROOT / "requirements-dev.lock")
    _check_covered(project["dependencies"], runtime, "requirements.lock")
    _check_covered(
        project["dependencies"] + project["optional-dependencies"]["dev"], dev, "requirements-dev.lock"
    )
    # The dev lock is compiled with the runtime lock as constraint: the same versions, never others.
    assert {name: dev[name] for name in runtime} == runtime
    # The build backend is pinned too, so `pip install --no-deps --no-build-isolation .` needs no unhashed download.
    assert "setuptools" in runtime
    # make install (and so make run, make test and CI) installs from the dev lock, hash-checked.
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --quiet --require-hashes -r $(DEV_LOCK)" in makefile
