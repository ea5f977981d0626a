"""Signals of the surveys: ``survey_changed`` is sent inside the transaction of every write that changes what a
survey's results or questionnaire show (the open data of the API app listens; surveys import nothing above them).

``at_once``: the builder's and moderators' writes (rare) want the files rebuilt soon after the commit; a response
(many, in a campaign) only marks the change, which the worker's sweep builds within minutes."""

from django.dispatch import Signal

survey_changed = Signal()  # kwargs: survey_id, at_once
