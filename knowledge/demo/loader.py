"""Demo lessons-learned notes (``notes.json``): a few per town and one of the Agentur, each about a demo project
and tagged with its fields of action, some public, some for the staff only. Made through the services.
Idempotent: a note whose town already has one with the same title is left alone."""

import json
from pathlib import Path

from accounts.models import User
from municipalities.demo.loader import DEMO_DOMAIN
from municipalities.models import Municipality
from municipalities.scoping import scopes_disabled
from projects.models import Project
from projects.services import tags_from_text

from .. import services
from ..models import LessonNote

DATA_FILE = Path(__file__).with_name("notes.json")


def _author(municipality: Municipality | None) -> User | None:
    """The town's demo editor (or the Agentur's demo moderator), if the demo accounts were loaded."""
    email = (
        f"{municipality.slug}-editor@{DEMO_DOMAIN}" if municipality is not None else f"agentur@{DEMO_DOMAIN}"
    )
    return User.objects.filter(email=email).first()


def load_knowledge(towns: list[Municipality]) -> int:
    """Create the missing demo notes; returns how many were created."""
    by_slug = {town.slug: town for town in towns}
    created = 0
    with scopes_disabled():  # the demo writes for every town and the Agentur at once
        for item in json.loads(DATA_FILE.read_text(encoding="utf-8")):
            town = by_slug.get(item["town"]) if item["town"] else None
            if item["town"] and town is None:
                continue
            if LessonNote.objects.filter(municipality=town, title=item["title"]).exists():
                continue
            lead_slug, title = item["project"]
            project = (
                Project.objects.filter(municipality__slug=lead_slug, title=title)
                .prefetch_related("fields_of_action")
                .first()
            )
            services.lesson_note_create(
                by=_author(town),  # type: ignore[arg-type]  # loaded after the demo accounts
                municipality=town,
                project=project,
                fields={"title": item["title"], "body": item["body"], "is_public": item["public"]},
                fields_of_action=list(project.fields_of_action.all()) if project is not None else [],
                tags=tags_from_text(", ".join(item["tags"])),
            )
            created += 1
    return created
