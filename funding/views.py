"""Staff pages of the funding app: /<town>/verwaltung/foerderung/…

Everything here is internal. Staff of the town read (viewer), change (editor) and approve submissions to the
funder (admin); Agentur moderators read. Pages that list rows and offer a form to add one are read pages:
posting to them needs the edit rule as well.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from accounts.decorators import town_permission_required
from smartcity5.charts import planned_vs_called_svg
from smartcity5.forms import add_errors
from smartcity5.ratelimit import too_many, upload_refused
from smartcity5.responses import file_response

from . import exports, selectors, services
from .forms import (
    BudgetLineForm,
    DisbursementActionForm,
    DisbursementForm,
    GrantForm,
    MilestoneDoneForm,
    MilestoneForm,
    ProofAcceptForm,
    ProofForm,
    ProofSubmitForm,
    ReasonForm,
    SpendingFilterForm,
    SpendingForm,
)
from .models import BudgetLine, DisbursementRequest, Grant, Milestone, ProofOfUse, Spending

PER_PAGE = 25
TABS = [
    ("funding:detail", _l("Overview")),
    ("funding:budget", _l("Budget plan")),
    ("funding:spending", _l("Spending")),
    ("funding:disbursements", _l("Disbursement requests")),
    ("funding:milestones", _l("Milestones")),
    ("funding:proofs", _l("Proofs of use")),
    ("funding:history", _l("History")),
]


# --- Helpers ---------------------------------------------------------------------------------------------


def _grant_or_404(pk: int) -> Grant:
    try:
        return selectors.grant_get(pk=pk)
    except Grant.DoesNotExist:
        raise Http404 from None


def _row_or_404(model, grant: Grant, pk: int):
    """A row of the grant in the town's scope; rows of other grants or towns are not found."""
    row = model.objects.filter(grant=grant, pk=pk).first()
    if row is None:
        raise Http404
    return row


def _context(request, grant: Grant, **extra) -> dict:
    return {"grant": grant, "funding_tabs": TABS, **extra}


def _section_url(name: str, grant: Grant) -> str:
    return reverse(f"funding:{name}", kwargs={"town_slug": grant.municipality.slug, "pk": grant.pk})


def _call(form, service, **kwargs):
    """Run a service with the form's data; its ``ValidationError`` goes back onto the form (``None``)."""
    try:
        return service(**kwargs)
    except ValidationError as error:
        add_errors(form, error)
        return None


def _add_to_section(request, grant: Grant, *, form, save, section: str, done: str):
    """POST to a section page: editors only; on success back to the section with a message."""
    services.grant_for_change(grant=grant, by=request.user)
    if form.is_valid():
        row = _call(form, save, cleaned=form.cleaned_data)
        if row is not None:
            messages.success(request, done)
            return redirect(_section_url(section, grant))
    return None


def _edit_row(request, grant: Grant, *, form, save, delete_url: str, template: str, section: str, **extra):
    if request.method == "POST" and form.is_valid():
        row = _call(form, save, cleaned=form.cleaned_data)
        if row is not None:
            messages.success(request, _("Your changes have been saved."))
            return redirect(_section_url(section, grant))
    return render(request, template, _context(request, grant, form=form, delete_url=delete_url, **extra))


def _delete_row(request, grant: Grant, *, delete, section: str):
    try:
        delete()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The entry has been deleted; the history keeps it."))
    return redirect(_section_url(section, grant))


# --- Grants ----------------------------------------------------------------------------------------------


@town_permission_required("funding.view")
def grant_list(request, town_slug: str):
    grants = list(selectors.grant_list())
    return render(
        request,
        "funding/grant_list.html",
        {"grants": grants, "totals": selectors.grant_totals(grants)},
    )


def _grant_form_saved(request, form, service, **kwargs):
    """Run ``grant_create`` / ``grant_change`` with the form's data; ``None`` (errors on the form) if refused."""
    return _call(
        form,
        service,
        by=request.user,
        fields=form.grant_fields(),
        reason=form.cleaned_data.get("reason", ""),
        rate_exception_reference=form.cleaned_data.get("rate_exception_reference", ""),
        rate_exception_document=form.cleaned_data.get("rate_exception_document"),
        **kwargs,
    )


@town_permission_required("funding.change_terms")
def grant_create(request, town_slug: str):
    form = GrantForm(
        request.POST or None, request.FILES or None, municipality=request.municipality, by=request.user
    )
    if (limited := upload_refused(request, form)) is not None:
        return too_many(render(request, "funding/grant_form.html", {"form": form, "grant": None}), limited)
    if request.method == "POST" and form.is_valid():
        grant = _grant_form_saved(request, form, services.grant_create, municipality=request.municipality)
        if grant is not None:
            messages.success(request, _("The grant has been recorded."))
            return redirect(_section_url("detail", grant))
    return render(request, "funding/grant_form.html", {"form": form, "grant": None})


@town_permission_required("funding.edit")
def grant_edit(request, town_slug: str, pk: int):
    """Editors change the grant's data; its terms only the town's admins (the service refuses others: 403)."""
    grant = _grant_or_404(pk)
    form = GrantForm(
        request.POST or None,
        request.FILES or None,
        instance=grant,
        municipality=request.municipality,
        by=request.user,
    )
    context = _context(request, grant, form=form)
    if (limited := upload_refused(request, form)) is not None:
        return too_many(render(request, "funding/grant_form.html", context), limited)
    if request.method == "POST" and form.is_valid():
        saved = _grant_form_saved(request, form, services.grant_change, grant=grant)
        if saved is not None:
            messages.success(request, _("Your changes have been saved."))
            return redirect(_section_url("detail", saved))
    return render(request, "funding/grant_form.html", context)


@town_permission_required("funding.view")
def grant_rate_exception_document(request, town_slug: str, pk: int):
    grant = _grant_or_404(pk)
    if not grant.rate_exception_document:
        raise Http404
    return file_response(
        grant.rate_exception_document, grant.rate_exception_document_content_type, private=True
    )


@town_permission_required("funding.view")
def grant_detail(request, town_slug: str, pk: int):
    grant = _grant_or_404(pk)
    figures = selectors.grant_figures(grant)
    chart = planned_vs_called_svg(
        rows=[
            {"year": y.year, "planned": y.planned_federal, "called": y.called, "paid": y.paid}
            for y in figures.years
        ],
        title=_("Federal funds per year: planned, requested and paid"),
    )
    return render(
        request,
        "funding/grant_detail.html",
        _context(
            request,
            grant,
            figures=figures,
            chart=chart,
            timeline=selectors.milestone_timeline(grant),
            today=timezone.localdate(),
        ),
    )


@town_permission_required("funding.view")
def grant_history(request, town_slug: str, pk: int):
    grant = _grant_or_404(pk)
    page = Paginator(selectors.history(grant), 50).get_page(request.GET.get("page"))
    return render(request, "funding/history.html", _context(request, grant, page_obj=page))


@town_permission_required("funding.view")
def grant_export(request, town_slug: str, pk: int):
    grant = _grant_or_404(pk)
    content = exports.grant_ledger_xlsx(grant)
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    filename = f"foerderung-{request.municipality.slug}-{grant.pk}-{timezone.localdate():%Y-%m-%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- Budget plan -----------------------------------------------------------------------------------------


@town_permission_required("funding.view")
def budget(request, town_slug: str, pk: int):
    grant = _grant_or_404(pk)
    form = BudgetLineForm(request.POST or None, grant=grant)
    if request.method == "POST":
        done = _add_to_section(
            request,
            grant,
            form=form,
            section="budget",
            done=_("The budget line has been added."),
            save=lambda cleaned: services.budget_line_save(grant=grant, by=request.user, fields=cleaned),
        )
        if done:
            return done
    return render(
        request,
        "funding/budget.html",
        _context(
            request,
            grant,
            form=form,
            matrix=selectors.budget_matrix(grant),
            lines=selectors.budget_lines(grant),
        ),
    )


@town_permission_required("funding.edit")
def budget_line_edit(request, town_slug: str, pk: int, item: int):
    grant = _grant_or_404(pk)
    line = _row_or_404(BudgetLine, grant, item)
    form = BudgetLineForm(request.POST or None, instance=line, grant=grant)
    return _edit_row(
        request,
        grant,
        form=form,
        section="budget",
        template="funding/row_form.html",
        delete_url=reverse(
            "funding:budget-line-delete", kwargs={"town_slug": town_slug, "pk": pk, "item": item}
        ),
        save=lambda cleaned: services.budget_line_save(
            grant=grant, by=request.user, fields=cleaned, line=line
        ),
        heading=_("Change budget line"),
        row=line,
    )


@require_POST
@town_permission_required("funding.edit")
def budget_line_delete(request, town_slug: str, pk: int, item: int):
    grant = _grant_or_404(pk)
    line = _row_or_404(BudgetLine, grant, item)
    return _delete_row(
        request,
        grant,
        section="budget",
        delete=lambda: services.budget_line_delete(line=line, by=request.user),
    )


# --- Spending --------------------------------------------------------------------------------------------


@town_permission_required("funding.view")
def spending(request, town_slug: str, pk: int):
    grant = _grant_or_404(pk)
    form = SpendingForm(request.POST or None, grant=grant)
    if request.method == "POST":
        done = _add_to_section(
            request,
            grant,
            form=form,
            section="spending",
            done=_("The spending has been recorded."),
            save=lambda cleaned: services.spending_record(grant=grant, by=request.user, fields=cleaned),
        )
        if done:
            return done
    filters = SpendingFilterForm(request.GET or None, grant=grant)
    year, cost_type = None, ""
    if filters.is_valid():
        year, cost_type = filters.cleaned_data["year"], filters.cleaned_data["cost_type"]
    rows = selectors.spendings(grant, year=year, cost_type=cost_type)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "funding/spending.html",
        _context(
            request, grant, form=form, filters=filters, page_obj=page, total=selectors.amount_total(rows)
        ),
    )


@town_permission_required("funding.edit")
def spending_edit(request, town_slug: str, pk: int, item: int):
    grant = _grant_or_404(pk)
    row = _row_or_404(Spending, grant, item)
    form = SpendingForm(request.POST or None, instance=row, grant=grant)
    return _edit_row(
        request,
        grant,
        form=form,
        section="spending",
        template="funding/row_form.html",
        delete_url=reverse(
            "funding:spending-delete", kwargs={"town_slug": town_slug, "pk": pk, "item": item}
        ),
        save=lambda cleaned: services.spending_change(item=row, by=request.user, fields=cleaned),
        heading=_("Change spending"),
        row=row,
    )


@require_POST
@town_permission_required("funding.edit")
def spending_delete(request, town_slug: str, pk: int, item: int):
    grant = _grant_or_404(pk)
    row = _row_or_404(Spending, grant, item)
    return _delete_row(
        request, grant, section="spending", delete=lambda: services.spending_delete(item=row, by=request.user)
    )


# --- Disbursement requests -------------------------------------------------------------------------------


@town_permission_required("funding.view")
def disbursements(request, town_slug: str, pk: int):
    grant = _grant_or_404(pk)
    form = DisbursementForm(request.POST or None, grant=grant)
    if request.method == "POST":
        done = _add_to_section(
            request,
            grant,
            form=form,
            section="disbursements",
            done=_("The disbursement request has been prepared as a draft."),
            save=lambda cleaned: services.disbursement_prepare(grant=grant, by=request.user, fields=cleaned),
        )
        if done:
            return done
    figures = selectors.grant_figures(grant)
    return render(
        request,
        "funding/disbursements.html",
        _context(
            request,
            grant,
            form=form,
            figures=figures,
            requests=selectors.disbursements(grant),
            today=timezone.localdate(),
        ),
    )


@town_permission_required("funding.edit")
def disbursement_edit(request, town_slug: str, pk: int, item: int):
    grant = _grant_or_404(pk)
    row = _row_or_404(DisbursementRequest, grant, item)
    if row.status != DisbursementRequest.Status.DRAFT:
        messages.error(request, _("Only drafts can be changed."))
        return redirect(_section_url("disbursements", grant))
    form = DisbursementForm(request.POST or None, instance=row, grant=grant)
    return _edit_row(
        request,
        grant,
        form=form,
        section="disbursements",
        template="funding/row_form.html",
        delete_url=reverse(
            "funding:disbursement-delete", kwargs={"town_slug": town_slug, "pk": pk, "item": item}
        ),
        save=lambda cleaned: services.disbursement_change(item=row, by=request.user, fields=cleaned),
        heading=_("Change draft request"),
        row=row,
    )


@require_POST
@town_permission_required("funding.edit")
def disbursement_action(request, town_slug: str, pk: int, item: int):
    """Submit a draft (admins), or record the funder's payment or rejection (editors)."""
    grant = _grant_or_404(pk)
    row = _row_or_404(DisbursementRequest, grant, item)
    form = DisbursementActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please give a valid date."))
        return redirect(_section_url("disbursements", grant))
    action, on = form.cleaned_data["action"], form.cleaned_data["on"]
    if action == "submit":
        services.disbursement_for_submission(item=row, by=request.user)
    try:
        if action == "submit":
            services.disbursement_submit(item=row, by=request.user, submitted_on=on)
        elif action == "paid":
            services.disbursement_mark_paid(item=row, by=request.user, paid_on=on)
        else:
            services.disbursement_reject(
                item=row, by=request.user, rejected_on=on, reason=form.cleaned_data["reason"]
            )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        row.refresh_from_db()
        messages.success(
            request,
            _("%(request)s is now “%(status)s”.") % {"request": row, "status": row.get_status_display()},
        )
    return redirect(_section_url("disbursements", grant))


@require_POST
@town_permission_required("funding.edit")
def disbursement_delete(request, town_slug: str, pk: int, item: int):
    grant = _grant_or_404(pk)
    row = _row_or_404(DisbursementRequest, grant, item)
    return _delete_row(
        request,
        grant,
        section="disbursements",
        delete=lambda: services.disbursement_delete(item=row, by=request.user),
    )


# --- Milestones ------------------------------------------------------------------------------------------


@town_permission_required("funding.view")
def milestones(request, town_slug: str, pk: int):
    grant = _grant_or_404(pk)
    form = MilestoneForm(request.POST or None, grant=grant)
    if request.method == "POST":
        done = _add_to_section(
            request,
            grant,
            form=form,
            section="milestones",
            done=_("The milestone has been added."),
            save=lambda cleaned: services.milestone_save(
                grant=grant, by=request.user, fields=cleaned, projects=cleaned["projects"]
            ),
        )
        if done:
            return done
    today = timezone.localdate()
    state = request.GET.get("state", "")
    state = state if state in selectors.MILESTONE_STATES else ""
    return render(
        request,
        "funding/milestones.html",
        _context(
            request,
            grant,
            form=form,
            timeline=selectors.milestone_timeline(grant, today=today, state=state),
            today=today,
            state=state,
            states=selectors.MILESTONE_STATES,
            counts=selectors.milestone_counts(Milestone.objects.filter(grant=grant), today=today),
        ),
    )


@town_permission_required("funding.view")
def milestone_detail(request, town_slug: str, pk: int, item: int):
    """A milestone: its data (editors change it) and its status (done with evidence, waived, reopened)."""
    grant = _grant_or_404(pk)
    milestone = _row_or_404(Milestone, grant, item)
    form = MilestoneForm(request.POST or None, instance=milestone, grant=grant)
    if request.method == "POST":
        services.grant_for_change(grant=grant, by=request.user)
        if form.is_valid():
            saved = _call(
                form,
                services.milestone_save,
                grant=grant,
                by=request.user,
                fields=form.cleaned_data,
                projects=form.cleaned_data["projects"],
                milestone=milestone,
            )
            if saved is not None:
                messages.success(request, _("Your changes have been saved."))
                return redirect(_section_url("milestones", grant))
    return render(request, "funding/milestone.html", _milestone_context(request, grant, milestone, form=form))


def _milestone_context(request, grant, milestone, **forms) -> dict:
    forms.setdefault("done_form", MilestoneDoneForm(initial={"done_on": timezone.localdate()}))
    forms.setdefault("waive_form", ReasonForm(prefix="waive"))
    forms.setdefault("reopen_form", ReasonForm(prefix="reopen"))
    forms.setdefault("form", MilestoneForm(instance=milestone, grant=grant))
    return _context(
        request,
        grant,
        milestone=milestone,
        state=milestone.state(),
        delete_url=reverse(
            "funding:milestone-delete",
            kwargs={"town_slug": grant.municipality.slug, "pk": grant.pk, "item": milestone.pk},
        ),
        **forms,
    )


@require_POST
@town_permission_required("funding.edit")
def milestone_status(request, town_slug: str, pk: int, item: int):
    grant = _grant_or_404(pk)
    milestone = _row_or_404(Milestone, grant, item)
    action = request.POST.get("action")
    if action == "done":
        form: forms.Form = MilestoneDoneForm(request.POST, request.FILES)
        key = "done_form"
        run = lambda: services.milestone_mark_done(  # noqa: E731
            milestone=milestone,
            by=request.user,
            done_on=form.cleaned_data["done_on"],
            evidence=form.cleaned_data["evidence"],
        )
        done = _("The milestone is marked as done.")
    elif action in ("waive", "reopen"):
        form = ReasonForm(request.POST, prefix=action)
        key = f"{action}_form"
        service = services.milestone_waive if action == "waive" else services.milestone_reopen
        run = lambda: service(milestone=milestone, by=request.user, reason=form.cleaned_data["reason"])  # noqa: E731
        done = _("The milestone is waived.") if action == "waive" else _("The milestone is open again.")
    else:
        raise Http404
    if (limited := upload_refused(request, form)) is not None:
        return too_many(
            render(
                request,
                "funding/milestone.html",
                _milestone_context(request, grant, milestone, **{key: form}),
            ),
            limited,
        )
    if form.is_valid() and _call(form, run) is not None:
        messages.success(request, done)
        return redirect(_section_url("milestones", grant))
    return render(
        request,
        "funding/milestone.html",
        _milestone_context(request, grant, milestone, **{key: form}),
        status=400,
    )


@require_POST
@town_permission_required("funding.edit")
def milestone_delete(request, town_slug: str, pk: int, item: int):
    grant = _grant_or_404(pk)
    milestone = _row_or_404(Milestone, grant, item)
    return _delete_row(
        request,
        grant,
        section="milestones",
        delete=lambda: services.milestone_delete(milestone=milestone, by=request.user),
    )


@town_permission_required("funding.view")
def milestone_evidence(request, town_slug: str, pk: int, item: int):
    grant = _grant_or_404(pk)
    milestone = _row_or_404(Milestone, grant, item)
    if not milestone.evidence:
        raise Http404
    return file_response(milestone.evidence, milestone.evidence_content_type, private=True)


# --- Proofs of use ---------------------------------------------------------------------------------------


@town_permission_required("funding.view")
def proofs(request, town_slug: str, pk: int):
    grant = _grant_or_404(pk)
    form = ProofForm(request.POST or None, grant=grant)
    if request.method == "POST":
        done = _add_to_section(
            request,
            grant,
            form=form,
            section="proofs",
            done=_("The proof of use has been added."),
            save=lambda cleaned: services.proof_save(grant=grant, by=request.user, fields=cleaned),
        )
        if done:
            return done
    today = timezone.localdate()
    rows = [(proof, proof.state(today)) for proof in selectors.proofs(grant)]
    return render(request, "funding/proofs.html", _context(request, grant, form=form, rows=rows, today=today))


@town_permission_required("funding.view")
def proof_detail(request, town_slug: str, pk: int, item: int):
    grant = _grant_or_404(pk)
    proof = _row_or_404(ProofOfUse, grant, item)
    form = ProofForm(request.POST or None, instance=proof, grant=grant)
    if request.method == "POST":
        services.grant_for_change(grant=grant, by=request.user)
        if form.is_valid():
            saved = _call(
                form, services.proof_save, grant=grant, by=request.user, fields=form.cleaned_data, proof=proof
            )
            if saved is not None:
                messages.success(request, _("Your changes have been saved."))
                return redirect(_section_url("proofs", grant))
    return render(request, "funding/proof.html", _proof_context(request, grant, proof, form=form))


def _proof_context(request, grant, proof, **forms) -> dict:
    forms.setdefault("submit_form", ProofSubmitForm(initial={"submitted_on": timezone.localdate()}))
    forms.setdefault("accept_form", ProofAcceptForm(initial={"accepted_on": timezone.localdate()}))
    return _context(
        request,
        grant,
        proof=proof,
        state=proof.state(),
        delete_url=reverse(
            "funding:proof-delete",
            kwargs={"town_slug": grant.municipality.slug, "pk": grant.pk, "item": proof.pk},
        ),
        **forms,
    )


@require_POST
@town_permission_required("funding.edit")
def proof_status(request, town_slug: str, pk: int, item: int):
    grant = _grant_or_404(pk)
    proof = _row_or_404(ProofOfUse, grant, item)
    action = request.POST.get("action")
    if action == "submit":
        services.proof_for_submission(proof=proof, by=request.user)
        form: forms.Form
        form, key = ProofSubmitForm(request.POST, request.FILES), "submit_form"
        run = lambda: services.proof_submit(  # noqa: E731
            proof=proof,
            by=request.user,
            submitted_on=form.cleaned_data["submitted_on"],
            document=form.cleaned_data["document"],
        )
    elif action == "accept":
        form, key = ProofAcceptForm(request.POST), "accept_form"
        run = lambda: services.proof_accept(  # noqa: E731
            proof=proof,
            by=request.user,
            accepted_on=form.cleaned_data["accepted_on"],
        )
    else:
        raise Http404
    if (limited := upload_refused(request, form)) is not None:
        return too_many(
            render(request, "funding/proof.html", _proof_context(request, grant, proof, **{key: form})),
            limited,
        )
    if form.is_valid() and _call(form, run) is not None:
        messages.success(request, _("The proof of use has been updated."))
        return redirect(_section_url("proofs", grant))
    return render(
        request, "funding/proof.html", _proof_context(request, grant, proof, **{key: form}), status=400
    )


@require_POST
@town_permission_required("funding.edit")
def proof_delete(request, town_slug: str, pk: int, item: int):
    grant = _grant_or_404(pk)
    proof = _row_or_404(ProofOfUse, grant, item)
    return _delete_row(
        request, grant, section="proofs", delete=lambda: services.proof_delete(proof=proof, by=request.user)
    )


@town_permission_required("funding.view")
def proof_document(request, town_slug: str, pk: int, item: int):
    grant = _grant_or_404(pk)
    proof = _row_or_404(ProofOfUse, grant, item)
    if not proof.document:
        raise Http404
    return file_response(proof.document, proof.document_content_type, private=True)
