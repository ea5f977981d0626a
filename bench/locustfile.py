"""Load on the demo towns: citizens browsing, and some of them signed in, supporting and commenting.

Run it through ``bench/load.py``, which starts the production shape (gunicorn with gunicorn.conf.py, a Celery
worker, PostgreSQL, Redis) with the demo towns and one signed-in account per citizen user, then starts locust
headless. Four in five simulated citizens browse anonymously: town pages, the idea lists in every sort and a few
pages deep, ideas, projects and the API. One in five signs in and, beside browsing, supports (or withdraws the
support of) ideas whose process takes supports, and comments where comments are open.

Every user sends its own ``X-Forwarded-For`` address (the server trusts one proxy, as behind the reverse proxy of
docker-compose), so the per-address rate limits count per person, as they would in a real campaign.
"""

import itertools
import os
import random
import re
import threading

from locust import HttpUser, between, events, task

TOWNS = ["arnsberg", "bad-berleburg", "menden", "olpe", "soest"]
SORTS = ["new", "supported", "discussed"]
ACCOUNTS = os.environ.get("LOAD_ACCOUNTS", "")  # "email1,email2,…" written by bench/load.py
PASSWORD = os.environ.get("LOAD_PASSWORD", "")
# bench/load.py --plain: gunicorn without TLS, as behind a TLS proxy. The simulated citizens then send what that
# proxy would add (X-Forwarded-Proto), and keep sending the Secure cookies, as a browser does over TLS.
PLAIN = os.environ.get("LOAD_PLAIN") == "1"

IDEA_HREF = re.compile(r'href="/([a-z-]+)/ideen/(\d+)/"')
PROJECT_HREF = re.compile(r'href="/([a-z-]+)/projekte/([a-z0-9-]+)/"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SUPPORT_FORM = re.compile(r'action="(/[a-z-]+/ideen/\d+/unterstuetzen/)"')
COMMENT_FORM = re.compile(r'action="(/[a-z-]+/ideen/\d+/kommentieren/)"')

_addresses = itertools.count(1)
_accounts = itertools.count()
_seen = {"ideas": set(), "projects": set()}
_seen_lock = threading.Lock()

COMMENTS = [
    "Gute Idee, das würde ich sofort nutzen.",
    "Wichtig wäre, dass es auch barrierefrei funktioniert.",
    "Gibt es dazu schon Erfahrungen aus einer der anderen Kommunen?",
    "Bitte auch an die Ortsteile denken, nicht nur an die Innenstadt.",
    "Ich unterstütze das, aber die Kosten sollten offen gelegt werden.",
]


def _why(response) -> str:
    """The status, or for no answer at all (status 0) what the connection did: reset, closed, timed out."""
    if response.status_code:
        return str(response.status_code)
    return f"no answer: {type(response.error).__name__}: {response.error}"[:300]


def _remember(kind: str, found) -> None:
    with _seen_lock:
        _seen[kind].update(found)


def _pick(kind: str):
    with _seen_lock:
        return random.choice(tuple(_seen[kind])) if _seen[kind] else None


class Citizen(HttpUser):
    """A citizen browsing without signing in."""

    abstract = True
    wait_time = between(1, 5)

    def on_start(self):
        self.client.verify = False  # the benchmark's own self-signed certificate
        n = next(_addresses)
        self.client.headers["X-Forwarded-For"] = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
        self.client.headers["Accept-Language"] = "de-DE,de;q=0.9"
        if PLAIN:
            self.client.headers["X-Forwarded-Proto"] = "https"
        self.town = random.choice(TOWNS)
        # The address the browser sees (Referer of its forms): always https, behind a proxy too.
        self.origin = "https://" + self.host.split("://", 1)[1]

    def keep_cookies(self) -> None:
        """--plain: the browser's hop is TLS (the proxy's), so it sends Secure cookies; requests would not."""
        if PLAIN:
            for cookie in self.client.cookies:
                cookie.secure = False

    def page(self, path: str, name: str) -> str:
        with self.client.get(path, name=name, catch_response=True) as response:
            self.keep_cookies()
            if response.status_code != 200:
                response.failure(_why(response))
                return ""
            return response.text

    @task(3)
    def town_page(self):
        body = self.page(f"/{random.choice(TOWNS)}/", "town page")
        _remember("projects", PROJECT_HREF.findall(body))

    @task(6)
    def idea_list(self):
        sort, number = random.choice(SORTS), random.choice([1, 1, 1, 2, 3])
        body = self.page(f"/{self.town}/ideen/?sort={sort}&page={number}", f"idea list ({sort})")
        _remember("ideas", IDEA_HREF.findall(body))

    @task(6)
    def idea(self):
        found = _pick("ideas")
        if found:
            self.idea_page(*found)
        else:
            self.idea_list()

    def idea_page(self, town: str, pk: str) -> str:
        return self.page(f"/{town}/ideen/{pk}/", "idea")

    @task(2)
    def projects(self):
        body = self.page(f"/{self.town}/projekte/", "project list")
        _remember("projects", PROJECT_HREF.findall(body))

    @task(2)
    def project(self):
        found = _pick("projects")
        if found:
            self.page(f"/{found[0]}/projekte/{found[1]}/", "project")
        else:
            self.projects()

    @task(2)
    def api_ideas(self):
        self.page(f"/api/v1/towns/{self.town}/ideas/", "API idea list")

    @task(1)
    def api_idea(self):
        found = _pick("ideas")
        if found:
            self.page(f"/api/v1/towns/{found[0]}/ideas/{found[1]}/", "API idea")


class AnonymousCitizen(Citizen):
    weight = 4


class SignedInCitizen(Citizen):
    """One in five: signs in once, then browses and, about every third step, supports or comments."""

    weight = 1

    def on_start(self):
        super().on_start()
        accounts = [a for a in ACCOUNTS.split(",") if a]
        if not accounts:
            raise RuntimeError("LOAD_ACCOUNTS is empty: start the benchmark through bench/load.py")
        email = accounts[next(_accounts) % len(accounts)]
        form = self.page("/accounts/login/", "sign-in form")
        token = CSRF.search(form)
        with self.client.post(
            "/accounts/login/",
            name="sign in",
            catch_response=True,
            allow_redirects=False,
            data={
                "csrfmiddlewaretoken": token.group(1) if token else "",
                "login": email,
                "password": PASSWORD,
            },
            headers={"Referer": f"{self.origin}/accounts/login/"},
        ) as response:
            self.keep_cookies()
            if response.status_code != 302:
                response.failure(f"sign-in answered {response.status_code}")

    @task(4)
    def take_part(self):
        found = _pick("ideas")
        if not found:
            return self.idea_list()
        body = self.idea_page(*found)
        token = CSRF.search(body)
        support, comment = SUPPORT_FORM.search(body), COMMENT_FORM.search(body)
        if not token or not (support or comment):
            return
        referer = {"Referer": f"{self.origin}/{found[0]}/ideen/{found[1]}/"}
        if support and (not comment or random.random() < 0.7):
            withdraw = 'name="action" value="withdraw"' in body
            self.post(
                support.group(1),
                "support",
                referer,
                {"csrfmiddlewaretoken": token.group(1), "action": "withdraw" if withdraw else "support"},
            )
        else:
            self.post(
                comment.group(1),
                "comment",
                referer,
                {"csrfmiddlewaretoken": token.group(1), "body": random.choice(COMMENTS), "homepage": ""},
            )

    def post(self, path: str, name: str, headers: dict, data: dict) -> None:
        with self.client.post(
            path, name=name, data=data, headers=headers, allow_redirects=False, catch_response=True
        ) as response:
            self.keep_cookies()
            if response.status_code not in (200, 302, 303):
                response.failure(_why(response))


@events.init_command_line_parser.add_listener
def _quiet_tls(parser):
    import urllib3

    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
