"""Shelter space pages in the staff area: one-tap status for a shelter's own listings, private
update links, and space requests (send, answer, follow)."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as WResponse

from webapp import i18n
from webapp.coalition import services as members
from webapp.directory import presenters
from webapp.directory.queries import load_services
from webapp.extensions import db
from webapp.forms import EmptyForm
from webapp.models import Member, Service, ServiceSpace, SpaceLink, SpaceRequest
from webapp.models.coalition import DEFAULT_MEMBER, SPACE_STATUSES
from webapp.models.staff import TIP_ROLES
from webapp.space import access, forms, matching
from webapp.space import services as space
from webapp.staff import auth
from webapp.staff.blueprints import staff_blueprint

bp = staff_blueprint("space", __name__)

REQUEST_PROBLEMS = {
    "phone": lambda: _("Please take out the phone number: a request must not identify the "
                       "person. Nothing was sent."),
    "email": lambda: _("Please take out the e-mail address: a request must not identify the "
                       "person. Nothing was sent."),
    "populations": lambda: _("Choose who needs the place."),
    "too_long": lambda: _("This is too long: at most %(max)d characters.", max=400),
    "choice": lambda: _("Please choose from the list."),
}
ANSWER_PROBLEMS = {
    "filled": lambda: _("Another shelter has already taken this request."),
    "answered": lambda: _("You have already answered this request."),
    "not_yours": lambda: _("This request did not reach your shelter."),
}


def _space_page(member: Member, status: int = 200, made: tuple[str, str] | None = None,
                failed: tuple[str, forms.SpaceForm] | None = None) -> tuple[str, int]:
    """failed: the listing whose form was refused, and that form (its errors and what was
    typed are shown on that listing only)."""
    services = space.shelter_services(member)
    ids = [s.id for s in services]
    user = auth.current_user()
    counts_form = forms.CountsForm(formdata=None,
                                  data={"public": member.public_space_counts})
    return render_template("space/status.html", services=services,
                           views=space.views(ids, staff=True), links=space.links(ids),
                           made=made, form=forms.SpaceForm(formdata=None),
                           failed_id=failed[0] if failed else None,
                           failed_form=failed[1] if failed else None,
                           link_form=forms.LinkForm(), status_labels=forms.STATUS_LABELS,
                           unit_labels=forms.UNIT_LABELS,
                           populations_text=forms.populations_text,
                           counts_form=counts_form, member=member,
                           is_admin=user is not None and user.role == "admin"), status


@bp.route("/space", endpoint="status")
@auth.login_required
def space_status() -> tuple[str, int]:
    """A shelter's listings with one tap to say available, limited or full."""
    return _space_page(access.member())


def _set_from_form(service: Service) -> tuple[str, forms.SpaceForm]:
    """Store the status the pressed button carries (or the number of free places typed gives),
    with the populations ticked; 400 when the form or the status is not right. Returns the
    status stored, or "" and the form with the number's problem (nothing stored)."""
    form = forms.SpaceForm()
    status = request.form.get("status", "")
    if status not in (*SPACE_STATUSES, ""):
        abort(400)
    if not form.validate_on_submit():
        if form.errors.keys() - {"free"}:
            abort(400)
        return "", form
    if not status and form.count() is None:
        form.free.errors = [_("Write the number of free places, or press a status. Nothing "
                              "was saved.")]
        return "", form
    try:
        stored = space.set_space(service.id, status, list(form.populations.data or []),
                                 free=form.count(), unit=form.unit.data or "places")
    except space.SpaceError as exc:
        if exc.code != "contradicts":
            abort(400)
        form.free.errors = [_("The number and the status disagree: 0 free places is Full, "
                              "and Full is 0 free places. Nothing was saved.")]
        return "", form
    return stored.status, form


def _counted(form: forms.SpaceForm) -> str:
    """The audit detail's part for a number given (a staff log: the count is not secret)."""
    count = form.count()
    return "" if count is None else f" free={count} unit={form.unit.data}"


@bp.route("/space/<service_id>", methods=["POST"], endpoint="set")
@auth.login_required
def space_set(service_id: str) -> tuple[str, int] | WResponse:
    """Set one listing's space (the pressed button carries the status)."""
    member = access.member()
    service = access.own_service(member, service_id)
    status, form = _set_from_form(service)
    if not status:
        return _space_page(member, 400, failed=(service.id, form))
    auth.audit("space_set", detail=f"service={service.id} status={status}{_counted(form)}")
    return redirect(url_for("space.status") + f"#s-{service.id}")


@bp.route("/space/counts", methods=["POST"], endpoint="counts")
@auth.admin_required
def space_counts() -> WResponse:
    """An admin chooses whether the member's counts of free places are public."""
    member = access.member()
    form = forms.CountsForm()
    if not form.validate_on_submit():
        abort(400)
    space.show_counts(member, bool(form.public.data))
    auth.audit("space_counts_public", detail="on" if form.public.data else "off")
    return redirect(url_for("space.status") + "#counts")


@bp.route("/space/<service_id>/links", methods=["POST"], endpoint="link_new")
@auth.login_required
def space_link_new(service_id: str) -> tuple[str, int]:
    """A private update link for staff who do not sign in (shown once)."""
    member = access.member()
    service = access.own_service(member, service_id)
    form = forms.LinkForm()
    if not form.validate_on_submit():
        return _space_page(member, 400)
    user = auth.current_user()
    token = space.make_link(service.id, form.label.data or "", user.id if user else None)
    auth.audit("space_link_created", detail=f"service={service.id}")
    return _space_page(member, 201, made=(service.name,
                                          url_for("space.link", token=token,
                                                  _external=True)))


@bp.route("/space/links/<int:link_id>/revoke", methods=["POST"], endpoint="link_revoke")
@auth.login_required
def space_link_revoke(link_id: int) -> WResponse:
    """The link stops working now."""
    member = access.member()
    link = db.session.get(SpaceLink, link_id)
    if link is None:
        abort(404)
    access.own_service(member, link.service_id)
    if not forms.LinkForm().validate_on_submit():
        abort(400)
    space.revoke(link)
    auth.audit("space_link_revoked", detail=f"service={link.service_id}")
    return redirect(url_for("space.status"))


@bp.route("/space/u/<token>", methods=["GET", "POST"], endpoint="link")
def space_link(token: str) -> tuple[str, int] | WResponse:
    """The private update link: one shelter, three buttons, no sign-in. Revoked: 404."""
    link = space.link_for(token)
    if link is None:
        abort(404)
    service = db.session.get(Service, link.service_id)
    if service is None:
        abort(404)
    code = 200
    if request.method == "POST":
        status, form = _set_from_form(service)
        if status:
            member = db.session.scalar(db.select(Member).where(
                Member.organization_id == service.organization_id))
            auth.audit("space_set_by_link",
                       detail=f"service={service.id} status={status}{_counted(form)}",
                       member_id=member.id if member else DEFAULT_MEMBER)
            return redirect(url_for("space.link", token=token, saved=1))
        code = 400
    row = db.session.get(ServiceSpace, service.id)
    if code == 200:
        form = forms.SpaceForm()
        if row is not None:
            form.populations.data = row.population_list()
    # The link's holder sets this shelter's space: they see the number they gave.
    return render_template("space/link.html", service=service, form=form,
                           view=space.view(row, count=True),
                           saved=request.args.get("saved") == "1",
                           status_labels=forms.STATUS_LABELS, unit_labels=forms.UNIT_LABELS,
                           populations_text=forms.populations_text), code


# Space requests --------------------------------------------------------------------------

def _labels() -> dict[str, object]:
    return {"household_labels": forms.HOUSEHOLD_LABELS, "urgency_labels": forms.URGENCY_LABELS,
            "state_labels": forms.REQUEST_STATE_LABELS,
            "answer_labels": forms.ANSWER_LABELS, "populations_text": forms.populations_text,
            "needs_text": forms.needs_text,
            "state_of": matching.state, "members": members.names()}


@bp.route("/space/requests", endpoint="requests")
@auth.roles_required(*TIP_ROLES)
def space_requests() -> str:
    """Requests that reached this organisation's shelters, and those it sent."""
    member = access.member()
    return render_template("space/requests.html", incoming=matching.inbox(member.id),
                           sent=matching.sent(member.id), is_shelter=member.kind == "shelter",
                           **_labels())


@bp.route("/space/requests/new", methods=["GET", "POST"], endpoint="request_new")
@auth.roles_required(*TIP_ROLES)
def space_request_new() -> tuple[str, int] | WResponse:
    """Ask every matching shelter for a place, without naming anyone."""
    member = access.member()
    form = forms.RequestForm()
    problem = ""
    if form.validate_on_submit():
        household = matching.Household(
            household=form.household.data or "", populations=list(form.populations.data or []),
            languages=list(form.languages.data or []), needs=list(form.needs.data or []),
            child_ages=list(form.child_ages.data or []), urgency=form.urgency.data or "",
            area=form.area.data or "", details=form.details.data or "")
        user = auth.current_user()
        try:
            req = matching.create(member.id, user.id if user else None, household)
        except matching.RequestError as exc:
            problem = REQUEST_PROBLEMS[exc.code]()
            field = getattr(form, exc.field, None)
            if field is not None:
                field.errors = [problem]
        else:
            auth.audit("space_request", detail=f"request={req.id} reached={len(req.answers)}")
            return redirect(url_for("space.request_view", request_id=req.id))
    elif form.is_submitted():
        problem = _("Some answers need a change. Nothing was sent yet.")
    status = 400 if form.is_submitted() else 200
    return render_template("space/request_new.html", form=form, problem=problem), status


@bp.route("/space/requests/<request_id>", endpoint="request_view")
@auth.roles_required(*TIP_ROLES)
def space_request_view(request_id: str) -> tuple[str, int]:
    """A request: the requester sees where it stands (and the intake phone once held); a
    shelter sees what is asked and answers."""
    req, member = access.space_request(request_id)
    return _request_page(req, member)


def _request_page(req: SpaceRequest, member: Member, problem: str = "",
                  status: int = 200) -> tuple[str, int]:
    held: presenters.ServiceView | None = None
    held_until: space.LocalTime | None = None
    state = matching.state(req)
    if req.member_id == member.id and state == "held" and req.held_service_id:
        found = load_services([req.held_service_id])
        if found and req.held_until is not None:  # a held request always has its end
            held = presenters.present(found[0])
            held_until = space.local_time(req.held_until, space.service_zone(found[0]),
                                          i18n.current().babel)
    mine = [a for a in req.answers if a.member_id == member.id]
    names = {s.id: s.name for s in load_services([a.service_id for a in mine])}
    hold_minutes = current_app.config["HAVEN_SPACE_HOLD_MINUTES"]
    return render_template("space/request.html", req=req, state=state, held=held, mine=mine,
                           service_names=names, answer_form=forms.AnswerForm(),
                           problem=problem, hold_minutes=hold_minutes, held_until=held_until,
                           reached=len(req.answers), **_labels()), status


@bp.route("/space/requests/<request_id>/answer", methods=["POST"], endpoint="answer")
@auth.roles_required(*TIP_ROLES)
def space_answer(request_id: str) -> tuple[str, int] | WResponse:
    """Accept (the first accept holds the place) or decline."""
    req, member = access.space_request(request_id)
    form = forms.AnswerForm()
    choice = request.form.get("answer", "")
    if not form.validate_on_submit() or choice not in ("accept", "decline"):
        abort(400)
    try:
        matching.answer(req, form.service_id.data or "", member.id, choice == "accept")
    except matching.RequestError as exc:
        return _request_page(req, member, ANSWER_PROBLEMS[exc.code](), 409)
    auth.audit("space_answer", detail=f"request={req.id} answer={choice}")
    return redirect(url_for("space.request_view", request_id=req.id))


@bp.route("/space/requests/<request_id>/cancel", methods=["POST"],
          endpoint="request_cancel")
@auth.roles_required(*TIP_ROLES)
def space_request_cancel(request_id: str) -> WResponse:
    """The requester no longer needs the place."""
    req, member = access.space_request(request_id)
    if req.member_id != member.id:
        abort(403)
    if not EmptyForm().validate_on_submit():
        abort(400)
    matching.cancel(req)
    auth.audit("space_request_cancelled", detail=f"request={req.id}")
    return redirect(url_for("space.request_view", request_id=req.id))
