"""How writes of the survey rows move the towns' versions (``municipalities.freshness``), registered by
``SurveysConfig.ready``.

Of a survey the process page shows whether there is one, whether it takes responses and whether its results may be
seen (``surveys_tags.survey_actions``): all of that is the ``Survey`` row (and the process's phases, watched by
``participation``). So the row moves the pages of its process's towns (the lead and partner towns, whose page key
holds the process) on every save and delete, also past the services (the Django admin, a script); the builder's
services move the process's own version besides (their history entry). Responses, answers and participants are
not watched: the process page shows nothing of them, the survey and results pages are not kept in the page cache,
and the results have their own cache keyed on the response count (``selectors.results_key``). A response counts
itself with ``QuerySet.update()`` on the survey row, which sends no signal, so a live survey's responses do not
make every page of its towns a miss. The survey rows count for no key figure, so the figures' channel stays."""

from municipalities.freshness import PAGES, Watch
from participation.freshness import of_process

WATCHED: dict[str, Watch] = {
    "surveys.Survey": Watch(of_process, PAGES),
}
