"""The rename script of issue 17, item 7 (scripts/rename_town_slug.py) on a small tree of its own: what it
renames, what it must leave alone (the public API's keys, message placeholders, blocktranslate), and that a second
run changes nothing."""

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FILES = {
    "app/urls.py": 'from django.urls import path\nurlpatterns = [path("<slug:town>/", include("x"))]\n',
    "app/middleware.py": (
        "def call(match):\n"
        '    if "town" in match.kwargs:\n'
        '        return resolve_town(match.kwargs["town"])\n'
    ),
    "app/views.py": (
        "from django.shortcuts import redirect\n"
        "from django.urls import reverse\n\n\n"
        "def detail(request, town: str, pk: int):\n"
        '    url = reverse("app:x", kwargs={"town": town, "pk": pk})\n'
        '    return redirect("app:y", town=town, pk=pk)\n\n\n'
        "def listing(request, town: str):\n"
        '    label = f"/{town}/ä"\n'
        "    town = request.municipality\n"
        "    return render(label, town.pk)\n\n\n"
        "def crowded(request, town: str):\n"
        "    municipality = 1\n"
        "    town = request.municipality\n"
        "    return town, municipality\n\n\n"
        "def export(idea):\n"
        '    message = _("In %(town)s") % {"town": idea.municipality.name}\n'
        '    return {"town": idea.municipality.slug, "message": message}\n'
    ),
    "app/services.py": (
        "def answer(*, idea, town: Municipality | None = None):\n"
        '    """Answer for ``town``."""\n'
        "    return helper(town)\n\n\n"
        "def caller(idea):\n"
        "    return answer(idea=idea, town=idea.municipality)\n\n\n"
        "def local(idea):\n"
        "    town = idea.municipality\n"
        "    return town.slug\n\n\n"
        "def context_town(request):\n"
        '    town = getattr(request, "municipality", None)\n'
        '    return {"town": town}\n\n\n'
        "def unknown(rows):\n"
        "    for town in rows:\n"
        "        print(town)\n"
    ),
    "app/tags.py": (
        "def card(idea):\n"
        '    return fragments.render("app/_card.html", town=idea.municipality.slug, pk=idea.pk)\n'
    ),
    "templates/app/page.html": (
        "{% url 'app:x' town=municipality.slug pk=1 %} "
        "{% blocktranslate with town=municipality.name %}In {{ town }}{% endblocktranslate %}\n"
    ),
    "templates/app/_card.html": (
        '<li class="t-{{ town }}"><a href="{% url \'app:x\' town=town pk=pk %}">x</a>'
        "{% blocktranslate with town=name %}{{ town }}{% endblocktranslate %}</li>\n"
    ),
}

EXPECTED = {
    "app/urls.py": 'path("<slug:town_slug>/"',
    "app/middleware.py": 'if "town_slug" in match.kwargs:\n        return resolve_town(match.kwargs["town_slug"])',
    "app/views.py": [
        'def detail(request, town_slug: str, pk: int):\n    url = reverse("app:x", kwargs={"town_slug": town_slug, "pk": pk})'
        '\n    return redirect("app:y", town_slug=town_slug, pk=pk)',
        'def listing(request, town_slug: str):\n    label = f"/{town_slug}/ä"\n    municipality = request.municipality\n'
        "    return render(label, municipality.pk)",
        # `municipality` is taken: left for hand work, untouched
        "def crowded(request, town: str):\n    municipality = 1\n    town = request.municipality",
        # the API's keys and message placeholders stay
        '_("In %(town)s") % {"town": idea.municipality.name}\n    return {"town": idea.municipality.slug',
    ],
    "app/services.py": [
        'def answer(*, idea, municipality: Municipality | None = None):\n    """Answer for ``municipality``."""',
        "return helper(municipality)",
        "answer(idea=idea, municipality=idea.municipality)",
        "    municipality = idea.municipality\n    return municipality.slug",
        "    for town in rows:\n        print(town)",
        '    municipality = getattr(request, "municipality", None)\n    return {"town": municipality}',
    ],
    "app/tags.py": "town_slug=idea.municipality.slug, pk=idea.pk",
    "templates/app/page.html": (
        "{% url 'app:x' town_slug=municipality.slug pk=1 %} "
        "{% blocktranslate with town=municipality.name %}In {{ town }}{% endblocktranslate %}"
    ),
    "templates/app/_card.html": (
        '<li class="t-{{ town_slug }}"><a href="{% url \'app:x\' town_slug=town_slug pk=pk %}">x</a>'
        "{% blocktranslate with town=name %}{{ town }}{% endblocktranslate %}</li>"
    ),
}


def _script():
    spec = importlib.util.spec_from_file_location(
        "rename_town_slug", ROOT / "scripts" / "rename_town_slug.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _tree(tmp_path: Path) -> Path:
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "add", "-A"], cwd=tmp_path, check=True)
    return tmp_path


def test_the_script_renames_the_parameter_and_the_objects_and_leaves_public_names(tmp_path, capsys):
    root = _tree(tmp_path)
    assert _script().main(["--root", str(root), "--no-format"]) == 0
    out = capsys.readouterr().out
    for name, wanted in EXPECTED.items():
        text = (root / name).read_text(encoding="utf-8")
        for snippet in [wanted] if isinstance(wanted, str) else wanted:
            assert snippet in text, f"{name}:\n{text}"
    assert "app/views.py" in out and "Left for hand work:" in out and "crowded" in out


def test_a_second_run_changes_nothing(tmp_path, capsys):
    root = _tree(tmp_path)
    script = _script()
    script.main(["--root", str(root), "--no-format"])
    first = {name: (root / name).read_text(encoding="utf-8") for name in FILES}
    capsys.readouterr()
    assert script.main(["--root", str(root), "--check", "--no-format"]) == 0
    assert "0 file(s), 0 change(s)" in capsys.readouterr().out
    assert {name: (root / name).read_text(encoding="utf-8") for name in FILES} == first


def test_check_mode_reports_without_writing(tmp_path):
    root = _tree(tmp_path)
    assert _script().main(["--root", str(root), "--check", "--no-format"]) == 1
    assert {name: (root / name).read_text(encoding="utf-8") for name in FILES} == FILES
