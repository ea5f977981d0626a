"""Participation through the API: ideas, comments, supports, reports, official answers, moderation and the vote
(a citizen's ballot, a ballot by voting code, paper ballots entered by staff).

Every write validates with the HTML page's form and calls the same service function as the page, so a rule
lives in one place; the rate limits of the pages apply too (429 with Retry-After)."""

import functools

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers as s
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from participation.forms import AnswerForm, AssessmentForm, CommentForm, FlagForm, IdeaForm
from participation.models import Comment, Feasibility, FlagReason, Idea, Process, ProcessPhase, VoteMode
from participation.selectors import ballots as ballots_selectors
from participation.selectors import idea_page as idea_page_selectors
from participation.selectors import ideas as ideas_selectors
from participation.selectors import moderation as moderation_selectors
from participation.selectors import processes as processes_selectors
from participation.services import answers as answers_services
from participation.services import ballots as ballots_services
from participation.services import budget as budget_services
from participation.services import comments as comments_services
from participation.services import flags as flags_services
from participation.services import ideas as ideas_services
from participation.services import moderation as moderation_services
from participation.services import supports as supports_services
from participation.templatetags.participation_tags import author_name
from smartcity5.ratelimit import check_rate, check_upload_rate

from .base import TownScopedAPIView, form_input, json_object, service_errors, valid_form
from .filters import LIST_FILTERS, IdeaFilterSet, ProcessIdeaFilterSet
from .schema import ERRORS, WRITE_ERRORS, detail_schema, list_schema

PARTICIPATE = "participation.participate"


def _process(request, slug: str, *, staff: bool = False) -> Process:
    try:
        return processes_selectors.process_for(slug=slug, user=request.user, staff=staff)
    except Process.DoesNotExist:
        raise NotFound(_("No such process.")) from None


def _idea(request, pk: int) -> Idea:
    try:
        return ideas_selectors.idea_for(pk=pk, user=request.user)
    except Idea.DoesNotExist:
        raise NotFound(_("No such idea.")) from None


# --- Serializers -----------------------------------------------------------------------------------------


class PhaseSerializer(s.ModelSerializer):
    class Meta:
        model = ProcessPhase
        fields = ["kind", "starts_on", "ends_on"]


class ProcessSerializer(s.ModelSerializer):
    town = s.SlugRelatedField(source="municipality", slug_field="slug", read_only=True)
    partner_towns = s.SlugRelatedField(many=True, slug_field="slug", read_only=True)
    field_of_action = s.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    phases = PhaseSerializer(many=True, read_only=True)
    idea_count = s.IntegerField(read_only=True)

    class Meta:
        model = Process
        fields = [
            "slug",
            "title",
            "summary",
            "town",
            "partner_towns",
            "field_of_action",
            "phases",
            "idea_count",
            "vote_mode",
            "budget_cap",
            "created_at",
        ]


class IdeaImageSerializer(s.Serializer):
    url = s.URLField(help_text="The image file (the idea page's image address).")
    alt = s.CharField(help_text="What the image shows, in words.")


#: The columns :class:`IdeaSerializer` reads: the idea's own and the slug or name of its town, process, field of
#: action and author (the lists read these instead of every column of the five rows).
IDEA_FIELDS = (
    "id",
    "title",
    "body",
    "status",
    "municipality__slug",
    "process__slug",
    "field_of_action__slug",
    "location_label",
    "latitude",
    "longitude",
    "is_offline",
    "author__display_name",
    "support_count",
    "comment_count",
    "image",
    "image_alt",
    "estimated_cost",
    "cost_estimate",
    "feasibility",
    "feasibility_reason",
    "created_at",
)


class IdeaSerializer(s.ModelSerializer):
    town = s.SlugRelatedField(source="municipality", slug_field="slug", read_only=True)
    process = s.SlugRelatedField(slug_field="slug", read_only=True)
    field_of_action = s.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    author_name = s.SerializerMethodField()
    image = s.SerializerMethodField()

    class Meta:
        model = Idea
        fields = [
            "id",
            "title",
            "body",
            "status",
            "town",
            "process",
            "field_of_action",
            "location_label",
            "latitude",
            "longitude",
            "is_offline",
            "author_name",
            "support_count",
            "comment_count",
            "image",
            "estimated_cost",
            "cost_estimate",
            "feasibility",
            "feasibility_reason",
            "created_at",
        ]

    def get_author_name(self, idea: Idea) -> str:
        return str(author_name(idea))

    @extend_schema_field(IdeaImageSerializer(allow_null=True))
    def get_image(self, idea: Idea) -> dict | None:
        """The address of the idea's image (re-encoded, without metadata) and its description, or null."""
        if not idea.image:
            return None
        address = reverse(
            "participation:idea-image", kwargs={"town_slug": idea.municipality.slug, "pk": idea.pk}
        )
        request = self.context.get("request")
        return {
            "url": request.build_absolute_uri(address) if request is not None else address,
            "alt": idea.image_alt,
        }


class ProcessDetailSerializer(ProcessSerializer):
    description = s.CharField(read_only=True)
    current_phase = s.SerializerMethodField()

    class Meta(ProcessSerializer.Meta):
        fields = ProcessSerializer.Meta.fields + ["description", "current_phase", "is_published"]

    def get_current_phase(self, process: Process) -> str | None:
        phase = process.current_phase()
        return phase.kind if phase else None


class IdeaInputSerializer(s.Serializer):
    """What a new idea carries (validated by the idea form of the HTML page). Send ``multipart/form-data``
    instead of JSON to add an image."""

    title = s.CharField(max_length=150)
    body = s.CharField(help_text="Markdown.")
    field_of_action = s.SlugField(required=False, allow_blank=True)
    location_label = s.CharField(required=False, allow_blank=True, max_length=200)
    latitude = s.DecimalField(required=False, allow_null=True, max_digits=9, decimal_places=6)
    longitude = s.DecimalField(required=False, allow_null=True, max_digits=9, decimal_places=6)
    estimated_cost = s.DecimalField(
        required=False,
        allow_null=True,
        max_digits=12,
        decimal_places=2,
        help_text="Participatory budget only: the author's estimate of the cost in euros.",
    )
    consent = s.BooleanField(help_text="Agreement to publication under the display name; must be true.")


class IdeaUploadSerializer(IdeaInputSerializer):
    """A new idea with an image, as ``multipart/form-data`` (the fields of the JSON body, plus the image)."""

    image_upload = s.FileField(
        required=False,
        help_text="JPEG, PNG or WebP up to 5 MB; re-encoded without metadata (location, camera).",
    )
    image_alt = s.CharField(
        required=False,
        allow_blank=True,
        max_length=300,
        help_text="What the image shows, in words; required with an image.",
    )


class CreatedIdeaSerializer(IdeaSerializer):
    moderation = s.CharField(
        read_only=True, help_text="'published', or 'pending' until a moderator approves it."
    )

    class Meta(IdeaSerializer.Meta):
        fields = IdeaSerializer.Meta.fields + ["moderation"]


class ReplySerializer(s.ModelSerializer):
    author_name = s.SerializerMethodField()

    class Meta:
        model = Comment
        fields = ["id", "body", "author_name", "is_official", "created_at"]

    def get_author_name(self, comment: Comment) -> str:
        return str(author_name(comment))


class CommentSerializer(ReplySerializer):
    replies = ReplySerializer(many=True, read_only=True)

    class Meta(ReplySerializer.Meta):
        fields = ReplySerializer.Meta.fields + ["replies"]


class CommentInputSerializer(s.Serializer):
    body = s.CharField(max_length=3000)
    parent = s.IntegerField(required=False, allow_null=True, help_text="The comment this one replies to.")  # type: ignore[assignment]  # a declared field, not Field.parent
    official = s.BooleanField(
        required=False, help_text="Written for the town (editors of the process's towns)."
    )


class CreatedCommentSerializer(ReplySerializer):
    moderation = s.CharField(read_only=True)
    parent = s.PrimaryKeyRelatedField(  # type: ignore[assignment]  # a declared field, not Field.parent
        read_only=True, allow_null=True, help_text="The comment this one replies to."
    )

    class Meta(ReplySerializer.Meta):
        fields = ReplySerializer.Meta.fields + ["parent", "moderation"]


class SupportSerializer(s.Serializer):
    supported = s.BooleanField()
    support_count = s.IntegerField()


class ReportInputSerializer(s.Serializer):
    reason = s.ChoiceField(choices=FlagReason.choices)
    note = s.CharField(required=False, allow_blank=True, max_length=1000)


class AnswerInputSerializer(s.Serializer):
    to = s.ChoiceField(
        choices=Idea.Status.choices, help_text="The new status, or the current one to answer only."
    )
    body = s.CharField(required=False, allow_blank=True, max_length=6000)
    merged_into = s.IntegerField(
        required=False, allow_null=True, help_text="Only when merging: the other idea."
    )


class AnswerSerializer(s.Serializer):
    status_before = s.CharField()
    status_after = s.CharField()
    body = s.CharField()
    created_at = s.DateTimeField()


class AssessmentInputSerializer(s.Serializer):
    cost_estimate = s.DecimalField(
        required=False,
        allow_null=True,
        max_digits=12,
        decimal_places=2,
        help_text="The binding cost in euros.",
    )
    feasibility = s.ChoiceField(choices=Feasibility.choices)
    feasibility_reason = s.CharField(
        required=False, allow_blank=True, max_length=3000, help_text="Published; needed for a verdict."
    )


class AssessmentSerializer(s.ModelSerializer):
    class Meta:
        model = Idea
        fields = ["id", "cost_estimate", "feasibility", "feasibility_reason", "feasibility_checked_at"]


class ResultSerializer(s.Serializer):
    id = s.IntegerField(source="pk")
    title = s.CharField()
    rank = s.IntegerField()
    votes = s.IntegerField(source="vote_total")
    share = s.FloatField(help_text="Per cent of all votes.")
    cost = s.DecimalField(
        source="cost_estimate", max_digits=12, decimal_places=2, allow_null=True, help_text="Budget only."
    )
    wins = s.BooleanField(
        allow_null=True, default=None, help_text="Participatory budget: within the budget; null in a vote."
    )


class ResultsSerializer(s.Serializer):
    ballots = s.IntegerField()
    votes = s.IntegerField()
    ideas = ResultSerializer(many=True)
    budget = s.DecimalField(max_digits=12, decimal_places=2, allow_null=True, required=False)
    spent = s.DecimalField(max_digits=12, decimal_places=2, allow_null=True, required=False)
    rule = s.CharField(required=False, help_text="How the winners within the budget are found.")


class BallotVoteInputSerializer(s.Serializer):
    idea = s.IntegerField(min_value=1, max_value=2**31 - 1, help_text="An idea on the ballot (its id).")
    count = s.IntegerField(
        min_value=1, max_value=32767, help_text="Votes for it: at most the process's votes_per_idea."
    )


class BallotChoiceSerializer(s.Serializer):
    """The votes of one ballot, as a set of ideas (one vote each) or as ideas with numbers of votes."""

    ideas = s.ListField(
        child=s.IntegerField(min_value=1, max_value=2**31 - 1),
        required=False,
        max_length=1000,
        help_text=(
            "The chosen ideas, one vote each: a participatory budget's proposals (their costs together within "
            "budget_cap), or in a vote by numbers of votes the ideas given one vote each. An empty list "
            "withdraws one's votes."
        ),
    )
    votes = BallotVoteInputSerializer(  # type: ignore[call-arg]  # max_length goes to the ListSerializer (DRF 3.15)
        many=True,
        required=False,
        max_length=1000,
        help_text="A vote by numbers of votes (vote_mode 'votes'): each idea once, with its votes.",
    )

    def validate(self, attrs: dict) -> dict:
        if ("ideas" in attrs) == ("votes" in attrs):
            raise s.ValidationError(_("Send either ideas or votes."))
        ideas = attrs.get("ideas")
        if ideas is not None and len(set(ideas)) != len(ideas):
            raise s.ValidationError({"ideas": [_("Name each idea once.")]})
        votes = attrs.get("votes")
        if votes is not None and len({vote["idea"] for vote in votes}) != len(votes):
            raise s.ValidationError({"votes": [_("Name each idea once.")]})
        return attrs

    def as_votes(self, process: Process) -> dict[int, int]:
        """The ballot in the shape the services take (idea id → votes); a budget's ballot is a set of
        proposals."""
        data = self.validated_data
        if "ideas" in data:
            return dict.fromkeys(data["ideas"], 1)
        if process.is_budget:
            raise ValidationError(
                {"votes": [_("A participatory budget's ballot is a set of proposals: send them as ideas.")]}
            )
        return {vote["idea"]: vote["count"] for vote in data["votes"]}


class BallotInputSerializer(BallotChoiceSerializer):
    code = s.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text=(
            "Only in a vote by codes (the process's vote_by_codes): the code from the letter, e.g. ABCD-EFGH-JKLM. "
            "The ballot is then the code's, never the caller's, and cannot be changed."
        ),
    )


class BallotLineSerializer(s.Serializer):
    idea = s.IntegerField(source="idea.pk")
    title = s.CharField(source="idea.title")
    count = s.IntegerField(help_text="The votes given to the idea.")
    cost = s.DecimalField(
        source="idea.cost_estimate",
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        help_text="Participatory budget: the town's cost of the proposal.",
    )


class BallotSerializer(s.Serializer):
    vote_mode = s.ChoiceField(choices=VoteMode.choices)
    by_code = s.BooleanField(help_text="Cast with a voting code: it names nobody and cannot be changed.")
    vote_open = s.BooleanField(help_text="The vote runs today: the ballot can be cast or changed.")
    votes = BallotLineSerializer(many=True)
    votes_given = s.IntegerField()
    votes_per_person = s.IntegerField(
        allow_null=True, help_text="A vote by numbers of votes; null in a budget."
    )
    votes_per_idea = s.IntegerField(
        allow_null=True, help_text="A vote by numbers of votes; null in a budget."
    )
    budget_cap = s.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, help_text="A participatory budget; null otherwise."
    )
    budget_spent = s.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        help_text="A participatory budget: what the chosen proposals cost together; null otherwise.",
    )


class PaperBallotSerializer(BallotSerializer):
    paper_ballots = s.IntegerField(
        help_text="Paper ballots of the process entered so far, this one included."
    )


def _ballot(process: Process, lines: list, *, by_code: bool = False) -> dict:
    budget = process.is_budget
    return {
        "vote_mode": process.vote_mode,
        "by_code": by_code,
        "vote_open": process.accepts_votes(),
        "votes": lines,
        "votes_given": sum(line.count for line in lines),
        "votes_per_person": None if budget else process.votes_per_person,
        "votes_per_idea": None if budget else process.votes_per_idea,
        "budget_cap": process.budget_cap if budget else None,
        "budget_spent": (
            ballots_services.budget_total(process=process, chosen=[line.idea for line in lines])
            if budget
            else None
        ),
    }


class ModerationInputSerializer(s.Serializer):
    action = s.ChoiceField(choices=["approve", "hide", "retitle", "edit"])
    reason = s.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Required for hide, retitle and edit; for hide the author is told.",
    )
    title = s.CharField(required=False, max_length=150, help_text="Only for retitle and edit (ideas).")
    body = s.CharField(
        required=False,
        max_length=6000,
        help_text="Only for edit: the new text of the idea or comment, for privacy.",
    )


class ModerationItemSerializer(s.Serializer):
    id = s.IntegerField()
    kind = s.CharField()
    idea = s.IntegerField(help_text="The idea, or the idea the comment belongs to.")
    text = s.CharField()
    moderation = s.CharField()
    open_reports = s.IntegerField()
    report_reasons = s.ListField(child=s.CharField())
    created_at = s.DateTimeField()


class ModerationResultSerializer(s.Serializer):
    id = s.IntegerField()
    moderation = s.CharField()


def _moderation_item(target, kind: str) -> dict:
    return {
        "id": target.pk,
        "kind": kind,
        "idea": target.pk if kind == "idea" else target.idea_id,
        "text": target.title if kind == "idea" else target.body,
        "moderation": target.moderation,
        "open_reports": target.open_flags,
        "report_reasons": [r.reason for r in target.open_flag_list],
        "created_at": target.created_at,
    }


# --- Views -----------------------------------------------------------------------------------------------


class ProcessDetail(TownScopedAPIView):
    """One process of the town (own or joint) with its phases; unpublished ones only for staff of its towns."""

    serializer_class = ProcessDetailSerializer

    @extend_schema(responses={200: ProcessDetailSerializer, **ERRORS})
    def get(self, request, *args, **kwargs):
        return self.one(_process(request, kwargs["slug"]))


class ProcessIdeas(TownScopedAPIView):
    """The published ideas of a process (filters as on the idea list), and submitting a new idea."""

    rules = {"post": PARTICIPATE}
    serializer_class = IdeaSerializer
    filter_backends = LIST_FILTERS
    filterset_class = ProcessIdeaFilterSet
    parser_classes = [JSONParser, MultiPartParser]  # multipart for an idea with an image

    @list_schema(IdeaSerializer, filters=True)
    def get(self, request, *args, **kwargs):
        self.process = _process(request, kwargs["slug"])
        count = (
            ideas_selectors.stored_total(ideas_selectors.IdeaFilters(process=self.process))
            if self.unfiltered(request)
            else None
        )
        ideas = self.filter_queryset(ideas_selectors.idea_list()).only(*IDEA_FIELDS)
        return self.paginated(ideas, count=count, cap=True)

    @extend_schema(
        request={"application/json": IdeaInputSerializer, "multipart/form-data": IdeaUploadSerializer},
        responses={201: CreatedIdeaSerializer, **WRITE_ERRORS},
    )
    def post(self, request, *args, **kwargs):
        process = _process(request, kwargs["slug"])
        if not process.accepts_ideas():
            raise ValidationError(
                {"non_field_errors": [_("This process is not collecting ideas at the moment.")]}
            )
        data, files = form_input(request)
        with service_errors():
            check_upload_rate(request)  # before the image is examined: refused uploads count too
        form = valid_form(IdeaForm(data, files, process=process, municipality=process.municipality))
        with service_errors():
            check_rate(request, "idea")
            idea = ideas_services.idea_submit(
                process=process,
                author=request.user,
                fields=form.service_fields(),
                image=form.checked_image,
                consent=form.cleaned_data["consent"],
            )
        created = ideas_selectors.idea_get(pk=idea.pk, include_hidden=True)
        return Response(CreatedIdeaSerializer(created, context={"request": request}).data, status=201)


class IdeaComments(TownScopedAPIView):
    """The published comments of an idea with their replies, and writing a comment or a reply."""

    rules = {"post": PARTICIPATE}
    serializer_class = CommentSerializer

    @list_schema(CommentSerializer)
    def get(self, request, *args, **kwargs):
        idea = _idea(request, kwargs["pk"])
        return self.paginated(idea_page_selectors.comments_of(idea=idea))

    @extend_schema(request=CommentInputSerializer, responses={201: CreatedCommentSerializer, **WRITE_ERRORS})
    def post(self, request, *args, **kwargs):
        idea = _idea(request, kwargs["pk"])
        form = valid_form(CommentForm(json_object(request), idea=idea))
        official_for = form.official_town(request.user, self.municipality)
        with service_errors():
            check_rate(request, "comment")
            comment = comments_services.comment_post(
                idea=idea,
                author=request.user,
                body=form.cleaned_data["body"],
                parent=form.parent_comment,
                official_for=official_for,
            )
        return Response(CreatedCommentSerializer(comment).data, status=201)


class IdeaSupport(TownScopedAPIView):
    """The signed-in person's support of an idea: whether given (GET), give (PUT), withdraw (DELETE)."""

    rules = {"*": PARTICIPATE}
    serializer_class = SupportSerializer

    def _answer(self, idea: Idea, supported: bool) -> Response:
        idea.refresh_from_db(fields=["support_count"])
        return Response({"supported": supported, "support_count": idea.support_count})

    @extend_schema(responses={200: SupportSerializer, **ERRORS})
    def get(self, request, *args, **kwargs):
        idea = _idea(request, kwargs["pk"])
        return self._answer(
            idea, idea_page_selectors.idea_page_related(idea=idea, user=request.user)["supported"]
        )

    @extend_schema(request=None, responses={200: SupportSerializer, **WRITE_ERRORS})
    def put(self, request, *args, **kwargs):
        idea = _idea(request, kwargs["pk"])
        with service_errors():
            check_rate(request, "support")
            supports_services.support_add(idea=idea, user=request.user)
        return self._answer(idea, True)

    @extend_schema(request=None, responses={200: SupportSerializer, **WRITE_ERRORS})
    def delete(self, request, *args, **kwargs):
        idea = _idea(request, kwargs["pk"])
        with service_errors():
            check_rate(request, "support")
            supports_services.support_withdraw(idea=idea, user=request.user)
        return self._answer(idea, False)


class _ReportView(TownScopedAPIView):
    rules = {"post": PARTICIPATE}
    serializer_class = ReportInputSerializer

    def target(self, request, pk: int):
        raise NotImplementedError

    @extend_schema(
        request=ReportInputSerializer,
        responses={
            202: OpenApiResponse(description="Received; a moderator will look at it."),
            **WRITE_ERRORS,
        },
    )
    def post(self, request, *args, **kwargs):
        target = self.target(request, kwargs["pk"])
        form = valid_form(FlagForm(json_object(request)))
        with service_errors():
            check_rate(request, "report")
            flags_services.flag_submit(
                target=target,
                reporter=request.user,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        return Response({"detail": _("Thank you. A moderator will look at it.")}, status=202)


class IdeaReport(_ReportView):
    """Report a published idea to the moderators."""

    def target(self, request, pk: int):
        try:
            return moderation_selectors.flag_target_idea(pk=pk, user=request.user)
        except Idea.DoesNotExist:
            raise NotFound(_("No such idea.")) from None


class CommentReport(_ReportView):
    """Report a published comment to the moderators."""

    def target(self, request, pk: int):
        try:
            return moderation_selectors.flag_target_comment(pk=pk, user=request.user)
        except Comment.DoesNotExist:
            raise NotFound(_("No such comment.")) from None


class IdeaAnswer(TownScopedAPIView):
    """The town's official answer to an idea, with or without a status change (editors of its towns)."""

    rules = {"post": "town.edit_content"}
    serializer_class = AnswerSerializer

    @extend_schema(request=AnswerInputSerializer, responses={201: AnswerSerializer, **WRITE_ERRORS})
    def post(self, request, *args, **kwargs):
        try:
            idea = ideas_selectors.idea_get(pk=kwargs["pk"], include_hidden=True)
        except Idea.DoesNotExist:
            raise NotFound(_("No such idea.")) from None
        form = valid_form(AnswerForm(json_object(request), idea=idea))
        with service_errors():
            answer = answers_services.idea_answer(
                idea=idea,
                by=request.user,
                acting_town=self.municipality,
                body=form.cleaned_data["body"],
                to=form.cleaned_data["to"],
                merged_into=form.cleaned_data.get("merged_into"),
            )
        return Response(AnswerSerializer(answer).data, status=201)


class IdeaAssessment(TownScopedAPIView):
    """The town's check of a participatory budget's proposal: its cost and feasibility, with the published reason
    (editors of its towns; until the vote starts)."""

    rules = {"post": "town.edit_content"}
    serializer_class = AssessmentSerializer

    @extend_schema(request=AssessmentInputSerializer, responses={200: AssessmentSerializer, **WRITE_ERRORS})
    def post(self, request, *args, **kwargs):
        try:
            idea = ideas_selectors.idea_get(pk=kwargs["pk"], include_hidden=True)
        except Idea.DoesNotExist:
            raise NotFound(_("No such idea.")) from None
        form = valid_form(AssessmentForm(json_object(request), idea=idea))
        with service_errors():
            idea = budget_services.idea_assess(
                idea=idea,
                by=request.user,
                acting_town=self.municipality,
                cost_estimate=form.cleaned_data["cost_estimate"],
                feasibility=form.cleaned_data["feasibility"],
                reason=form.cleaned_data["feasibility_reason"],
            )
        return Response(AssessmentSerializer(idea).data)


class ProcessResults(TownScopedAPIView):
    """The results of a process's vote once it has ended: votes per idea, and in a participatory budget the
    winners within the budget (``wins``), the budget and what the winners cost."""

    serializer_class = ResultsSerializer

    @extend_schema(responses={200: ResultsSerializer, **ERRORS})
    def get(self, request, *args, **kwargs):
        process = _process(request, kwargs["slug"])
        if not process.results_public():
            raise NotFound(_("The results are shown once the vote has ended."))
        results = ballots_selectors.vote_results(process=process)
        for idea in results["ideas"]:
            idea.wins = getattr(idea, "wins", None)
        return Response(ResultsSerializer(results).data)


class ProcessBallot(TownScopedAPIView):
    """The vote of a process (its vote phase): the signed-in citizen's own ballot (GET), and casting or changing it
    (POST), checked by ``participation.services.ballots.ballot_cast`` like the vote page. In a vote by codes
    (``vote_by_codes``) anyone may POST with the code from a letter of this town instead: the ballot is the code's,
    stores no person (not even a signed-in caller) and cannot be changed; there is no ballot to GET."""

    rules = {"*": PARTICIPATE}
    serializer_class = BallotSerializer

    @functools.cached_property
    def process(self) -> Process:
        return _process(self.request, self.kwargs["slug"])

    def rule_for(self, method: str) -> str | None:
        # A vote by codes is open to anyone with a code, as its page is: the code decides, not an account.
        if method == "POST" and self.municipality is not None and self.process.vote_by_codes:
            return None
        return super().rule_for(method)

    @extend_schema(responses={200: BallotSerializer, **ERRORS})
    def get(self, request, *args, **kwargs):
        process = self.process
        if process.vote_by_codes:
            raise NotFound(_("In a vote by codes no ballot is kept for a person."))
        lines = ballots_selectors.ballot_lines(process=process, user=request.user)
        return Response(BallotSerializer(_ballot(process, lines)).data)

    @extend_schema(
        request=BallotInputSerializer,
        responses={
            200: OpenApiResponse(BallotSerializer, description="The caller's ballot, cast or changed."),
            201: OpenApiResponse(BallotSerializer, description="A vote by codes: the code's ballot, cast."),
            **WRITE_ERRORS,
        },
    )
    def post(self, request, *args, **kwargs):
        process = self.process
        data = BallotInputSerializer(data=json_object(request))
        data.is_valid(raise_exception=True)
        votes = data.as_votes(process)
        code = data.validated_data.get("code")
        if not process.vote_by_codes and code is not None:
            raise ValidationError({"code": [_("This vote is not by codes: votes are cast signed in.")]})
        with service_errors():
            if process.vote_by_codes:
                check_rate(request, "voting_code")
                # The code votes, never the person: no user is handed over, so the ballot cannot name one.
                ballot = ballots_services.ballot_cast(
                    process=process, user=None, votes=votes, code=code or "", code_town=self.municipality
                )
            else:
                check_rate(request, "vote")
                ballot = ballots_services.ballot_cast(process=process, user=request.user, votes=votes)
        lines = ballots_selectors.ballot_lines(process=process, ballot=ballot)
        answer = _ballot(process, lines, by_code=process.vote_by_codes)
        return Response(BallotSerializer(answer).data, status=201 if process.vote_by_codes else 200)


class ProcessPaperBallots(TownScopedAPIView):
    """A paper ballot (from the post or a ballot box) typed in by an editor of a town of the process, from the start
    of the vote on (also after it): ``participation.services.ballots.paper_ballot_enter``, the same rules as online,
    recorded in the history, no voter."""

    rules = {"post": "town.edit_content"}
    serializer_class = PaperBallotSerializer

    @extend_schema(request=BallotChoiceSerializer, responses={201: PaperBallotSerializer, **WRITE_ERRORS})
    def post(self, request, *args, **kwargs):
        process = _process(request, kwargs["slug"], staff=True)
        data = BallotChoiceSerializer(data=json_object(request))
        data.is_valid(raise_exception=True)
        votes = data.as_votes(process)
        with service_errors():
            ballot = ballots_services.paper_ballot_enter(
                process=process, by=request.user, acting_town=self.municipality, votes=votes
            )
        lines = ballots_selectors.ballot_lines(process=process, ballot=ballot)
        answer = {
            **_ballot(process, lines),
            "paper_ballots": ballots_selectors.paper_ballot_count(process=process),
        }
        return Response(PaperBallotSerializer(answer).data, status=201)


class ModerationQueue(TownScopedAPIView):
    """What waits for a moderator in the town: pre-moderated and reported ideas and comments, oldest first."""

    rules = {"get": "town.moderate"}
    serializer_class = ModerationItemSerializer

    @list_schema(ModerationItemSerializer)
    def get(self, request, *args, **kwargs):
        queue = moderation_selectors.moderation_queue()
        items = [_moderation_item(idea, "idea") for idea in queue["ideas"]] + [
            _moderation_item(comment, "comment") for comment in queue["comments"]
        ]
        return self.paginated(sorted(items, key=lambda item: item["created_at"]))


class _ModerateView(TownScopedAPIView):
    rules = {"post": "town.moderate"}
    serializer_class = ModerationResultSerializer

    def target(self, pk: int):
        raise NotImplementedError

    @extend_schema(
        request=ModerationInputSerializer, responses={200: ModerationResultSerializer, **WRITE_ERRORS}
    )
    def post(self, request, *args, **kwargs):
        target = self.target(kwargs["pk"])
        data = json_object(request)
        with service_errors():
            target = moderation_services.moderation_act(
                target=target,
                action=str(data.get("action") or ""),
                by=request.user,
                acting_town=self.municipality,
                reason=str(data.get("reason") or ""),
                title=str(data.get("title") or ""),
                body=str(data.get("body") or "") or None,
            )
        return Response({"id": target.pk, "moderation": target.moderation})


class ModerateIdea(_ModerateView):
    """Approve, hide (with a reason), retitle or edit (for privacy, with a reason) an idea of the town."""

    def target(self, pk: int):
        try:
            return ideas_selectors.idea_get(pk=pk, include_hidden=True)
        except Idea.DoesNotExist:
            raise NotFound(_("No such idea.")) from None


class ModerateComment(_ModerateView):
    """Approve, hide (with a reason) or edit (for privacy, with a reason) a comment of the town."""

    def target(self, pk: int):
        try:
            return moderation_selectors.moderation_comment(pk=pk)
        except Comment.DoesNotExist:
            raise NotFound(_("No such comment.")) from None


class ProcessList(TownScopedAPIView):
    """The town's published participation processes (own and joint)."""

    serializer_class = ProcessSerializer
    conditional = True
    anonymous_cache = True

    @list_schema(ProcessSerializer)
    def get(self, request, *args, **kwargs):
        return self.paginated(processes_selectors.process_list())


class IdeaList(TownScopedAPIView):
    """Published ideas of the town's published processes, filtered like the HTML list (``IdeaFilterForm``).
    Unlike the HTML list, which ignores invalid filters, the API answers them with 400 and the field errors."""

    serializer_class = IdeaSerializer
    filter_backends = LIST_FILTERS
    filterset_class = IdeaFilterSet
    conditional = True
    anonymous_cache = True

    @functools.cached_property
    def fresh(self) -> processes_selectors.ScopeFreshness:
        """The stored freshness of the scope's processes (one query over a few rows, read once per request): the
        Last-Modified, the unfiltered total, the published processes and a search's cache version."""
        return processes_selectors.scope_freshness()

    def last_modified(self):
        # Not a MAX over every idea, comment and support of the town (docs/ARCHITECTURE.md, "Stored freshness").
        return self.fresh.changed_at

    @list_schema(IdeaSerializer, filters=True)
    def get(self, request, *args, **kwargs):
        fresh = self.fresh
        count = fresh.shown_ideas if self.unfiltered(request) else None
        # A search's first COUNT_CAP + 1 (201) matches are cached under the scope's stored version (smartcity5.search).
        version = fresh.version if request.query_params.get("q") else None
        processes = list(fresh.published)
        ideas = self.filter_queryset(ideas_selectors.idea_list(processes=processes)).only(*IDEA_FIELDS)
        # Read per process and merged (participation.selectors.ideas.IdeaPages): a deep page costs what the first does.
        sort = request.query_params.get("sort") or "new"
        pages = ideas_selectors.IdeaPages(ideas, processes=processes, sort=sort, version=version)
        return self.paginated(pages, count=count, cap=True)


class IdeaDetail(TownScopedAPIView):
    """One published idea; waiting, reported and hidden ideas are not found (they reach only HTML staff pages)."""

    serializer_class = IdeaSerializer
    anonymous_cache = True

    @detail_schema(IdeaSerializer)
    def get(self, request, *args, **kwargs):
        try:
            idea = ideas_selectors.idea_get(pk=kwargs["pk"])
        except Idea.DoesNotExist:
            raise NotFound(_("No such idea.")) from None
        return self.one(idea)
