"""Designer and visitor pages: gallery, design page, submission and the designer's own designs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from cocreate.catalogue import products as catalogue
from cocreate.catalogue.spec import Colour, ProductSpec
from cocreate.config import settings
from cocreate.core import db
from cocreate.core.clock import clock
from cocreate.core.errors import render_error
from cocreate.core.ratelimit import account_key, limiter, upload_limit
from cocreate.core.responses import CONFLICT, FAILED, failed_page, form_page
from cocreate.designs import lifecycle, queries, services, tag_cloud
from cocreate.designs.artwork_errors import ArtworkError
from cocreate.designs.forms import DesignForm
from cocreate.designs.models import Design, Mockup, tag_slug

bp = Blueprint("designs", __name__, template_folder="templates")


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _design_or_404(design_id: int) -> Design:
    design = queries.get_design(db.session(), design_id)
    if design is None:
        abort(404)
    if design.is_public:
        return design
    user = current_user
    if user.is_authenticated and (user.id == design.designer_id or user.is_staff):
        return design
    abort(404)  # not 403: do not reveal that a private design exists


def _own_design(design_id: int) -> Design:
    design = _design_or_404(design_id)
    if design.designer_id != current_user.id:
        abort(403)
    return design


@bp.get("/gallery")
def gallery() -> ResponseReturnValue:
    return _gallery_page(tag=None)


@bp.get("/tags/<tag>")
def tag(tag: str) -> ResponseReturnValue:
    slug = tag_slug(services.slugify_tag(tag))
    if not slug:
        abort(404)
    if slug != tag:
        # One tag, one address: /tags/évaluation and /tags/Evaluation (older links, other
        # spellings) lead to /tags/evaluation.
        # The query's own arguments only: `tag` or url_for's `_scheme`/`_external` would clash.
        args: dict[str, Any] = {
            key: value
            for key, value in request.args.to_dict().items()
            if key != "tag" and not key.startswith("_")
        }
        return redirect(url_for("designs.tag", tag=slug, **args), 301)
    return _gallery_page(tag=slug)


def _gallery_page(tag: str | None) -> ResponseReturnValue:
    try:
        view = queries.GalleryView(request.args.get("view", queries.GalleryView.VOTING))
    except ValueError:
        view = queries.GalleryView.VOTING
    search = request.args.get("q", "").strip()[:100]
    page_number = min(request.args.get("page", 1, type=int) or 1, queries.MAX_PAGE)
    session = db.session()
    page = queries.gallery(
        session, view, search=search, tag=tag, page=page_number, now=clock().now(),
        open_scores=not scores_hidden(),
    )  # fmt: skip
    tag_row = queries.tag_by_slug(session, tag) if tag else None
    tags = _popular_tags().get(
        session, now=clock().now(), ttl=settings().GALLERY_TAGS_CACHE_SECONDS
    )
    return render_template(
        "designs/gallery.html",
        page=page,
        view=view,
        views=queries.GalleryView,
        q=search,
        # A search looks through every tab (queries.gallery): no tab is current.
        searching=bool(queries.search_terms(search)),
        tag=tag,
        tag_name=tag_row.name if tag_row else tag,
        tags=tags,
    )


def _popular_tags() -> tag_cloud.PopularTagsCache:
    """This app's cache (one per app, so each test's app starts empty)."""
    cache = current_app.extensions.get("cocreate.popular_tags")
    if cache is None:
        cache = current_app.extensions["cocreate.popular_tags"] = tag_cloud.PopularTagsCache()
    return cache


#: From this much time left a card counts days; below it, hours: "1 day left" would hide that
#: 47 hours remain.
DAYS_FROM = timedelta(hours=48)


def time_left_label(left: timedelta) -> str:
    """Whole days from 48 h up, whole hours from 1 h, then "less than an hour"; always rounded
    down, so a card never promises more time than there is."""
    if left >= DAYS_FROM:
        days = left // timedelta(days=1)
        return ngettext("%(num)d day left", "%(num)d days left", days)
    if left >= timedelta(hours=1):
        hours = left // timedelta(hours=1)
        return ngettext("%(num)d hour left", "%(num)d hours left", hours)
    return _("less than an hour left")


@bp.app_template_global()
def scores_hidden() -> bool:
    """Herding (DESIGN.md): cards and "Top ranked" tell nothing of how designs still in voting
    score, neither their vote count nor their order."""
    return settings().VOTING_HIDE_SCORE_UNTIL_VOTED


@bp.app_template_global()
def time_left(design: Design) -> str:
    """A voting design card's "2 days left" from the app's clock; empty once voting ended."""
    left = queries.voting_time_left(design, clock().now())
    return time_left_label(left) if left is not None else ""


@dataclass(frozen=True)
class MockupChoice:
    """One mockup of a product on the design page, with its colour (None if it has none)."""

    mockup: Mockup
    colour: Colour | None
    alt: str


@dataclass(frozen=True)
class ProductPanel:
    product: ProductSpec
    choices: list[MockupChoice]
    #: The mockup shown first: the `colour` asked for in the URL if this product has it.
    chosen: MockupChoice


def product_panels(design: Design, colour: str) -> list[ProductPanel]:
    """The design's chosen products in catalogue order, each with the mockups drawn for it."""
    panels = []
    for product in catalogue.CATALOGUE:
        if product.key not in design.product_set:
            continue
        choices = [
            _mockup_choice(design, product, m) for m in design.mockups if m.product == product.key
        ]
        if not choices:
            continue
        chosen = next((c for c in choices if c.mockup.colour == colour), choices[0])
        panels.append(ProductPanel(product=product, choices=choices, chosen=chosen))
    return panels


def _mockup_choice(design: Design, product: ProductSpec, mockup: Mockup) -> MockupChoice:
    colour = None
    if product.colours and mockup.colour:
        colour = next((c for c in product.colours if c.key == mockup.colour), None)
    colour_name = str(colour.name) if colour else mockup.colour
    alt = str(product.mockup_alt) % {"title": design.title, "colour": colour_name}
    return MockupChoice(mockup=mockup, colour=colour, alt=alt)


@bp.get("/designs/swatches.css")
def swatches_css() -> ResponseReturnValue:
    """One class per catalogue colour: the CSP forbids inline styles, and a new product or
    colour then needs no edit to site.css."""
    rules = [
        f".swatch-{product.key}-{colour.key} {{ background: {colour.hex.lower()}; }}"
        for product in catalogue.CATALOGUE
        for colour in product.colours
    ]
    response = make_response("\n".join(rules) + "\n")
    response.mimetype = "text/css"
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


@bp.get("/designs/<id:design_id>")
def detail(design_id: int) -> ResponseReturnValue:
    design = _design_or_404(design_id)
    context = detail_context(design, request.args.get("colour", ""))
    return render_template("designs/detail.html", **context)


def detail_context(design: Design, chosen: str = "") -> dict[str, object]:
    revision = None
    if design.state in lifecycle.REVISABLE:
        revision = lifecycle.find_revision(db.session(), design)
    return dict(
        design=design,
        panels=product_panels(design, chosen),
        days_left=queries.voting_days_left(design, clock().now()),
        revision=revision,
    )


def refused_on_detail(design: Design, message: str, status: int = FAILED) -> ResponseReturnValue:
    """A state change refused from the design's page: the page again, with the message."""
    db.rollback()  # the page shows the stored state, not what the refused attempt flushed
    context = detail_context(design)
    return failed_page("designs/detail.html", status=status, message=message, **context)


def _fields(form: DesignForm) -> services.DesignFields:
    return services.DesignFields(
        title=form.title.data or "",
        description=form.description.data or "",
        tags=services.parse_tags(form.tags.data or ""),
        products=set(form.products.data or []),
    )


def _form_failure(form: DesignForm, template: str, **context: Any) -> ResponseReturnValue:
    if _wants_json():
        errors = {
            name: [str(e) for e in field.errors]
            for name, field in form._fields.items()
            if field.errors
        }
        return jsonify(errors=errors, form_errors=[str(e) for e in form.form_errors]), 422
    return form_page(template, form=form, **context)


def _read_upload(form: DesignForm) -> bytes | None:
    upload = form.artwork.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    return upload.read()


def _without_artwork() -> bool:
    upload = request.files.get("artwork")
    return upload is None or not upload.filename


def _unverified() -> ResponseReturnValue:
    """Uploads cost real work (decoding, mockups, storage): only confirmed accounts may make
    them. The page's banner carries the button that sends the confirmation link again."""
    return render_error(
        403,
        _(
            "Confirm your email address before you upload artwork: open the link we sent to "
            "%(email)s, or use “Send the link again” above to get a new one.",
            email=current_user.email,
        ),
        _("Confirm your email address first"),
    )


# One budget per account for new designs and replaced artwork together; a refused file counts
# too, since it was read and checked. Editing only the text costs nothing and is not counted.
_upload_limit = limiter.shared_limit(
    upload_limit,
    scope="artwork-upload",
    key_func=account_key,
    methods=["POST"],
    exempt_when=_without_artwork,
)


@bp.route("/designs/new", methods=["GET", "POST"])
@login_required
@_upload_limit
def new() -> ResponseReturnValue:
    if not current_user.is_verified:
        return _unverified()
    form = DesignForm()
    if form.validate_on_submit():
        data = _read_upload(form)
        try:
            if data is None:
                raise services.DesignError(_("Choose an artwork file to upload."))
            design = services.create_design(
                db.session(),
                current_app.extensions["cocreate.storage"],
                current_user,
                _fields(form),
                data,
            )
        except ArtworkError as error:
            form.artwork.errors = [*form.artwork.errors, error.message]
        except services.DesignError as error:
            form.form_errors.append(str(error))
        else:
            flash(
                _(
                    "Your draft “%(title)s” is saved. Check the mockups, then submit it.",
                    title=design.title,
                ),
                "success",
            )
            target = url_for("designs.detail", design_id=design.id)
            return jsonify(redirect=target) if _wants_json() else redirect(target)
    return _form_failure(form, "designs/edit.html", design=None)


@bp.route("/designs/<id:design_id>/edit", methods=["GET", "POST"])
@login_required
@_upload_limit
def edit(design_id: int) -> ResponseReturnValue:
    design = _own_design(design_id)
    if request.method == "POST" and not current_user.is_verified and not _without_artwork():
        return _unverified()
    if design.state not in lifecycle.EDITABLE:
        if request.method == "POST":
            return refused_on_detail(design, _("Only drafts can be edited."), CONFLICT)
        flash(_("Only drafts can be edited."), "error")
        return redirect(url_for("designs.detail", design_id=design.id))
    # Fill from the design only on GET: on POST a field missing from the form must stay empty,
    # not take the design's objects (tags would be Tag rows, not text).
    form = DesignForm(obj=design if request.method == "GET" else None)
    if request.method == "GET":
        form.tags.data = ", ".join(t.name for t in design.tags)
        form.products.data = [p.product for p in design.products]
    if form.validate_on_submit():
        try:
            services.update_design(
                db.session(),
                current_app.extensions["cocreate.storage"],
                design,
                current_user,
                _fields(form),
                _read_upload(form),
            )
        except ArtworkError as error:
            form.artwork.errors = [*form.artwork.errors, error.message]
        except (services.DesignError, lifecycle.InvalidTransition) as error:
            form.form_errors.append(str(error))
        else:
            flash(_("Your changes are saved."), "success")
            target = url_for("designs.detail", design_id=design.id)
            return jsonify(redirect=target) if _wants_json() else redirect(target)
    return _form_failure(form, "designs/edit.html", design=design)


@bp.post("/designs/<id:design_id>/submit")
@login_required
def submit(design_id: int) -> ResponseReturnValue:
    design = _own_design(design_id)
    try:
        lifecycle.submit(db.session(), design, current_user)
    except lifecycle.InvalidTransition as error:
        return refused_on_detail(design, str(error))
    if settings().SCREENING:
        flash(_("Submitted! Our team will screen it shortly; we will email you."), "success")
    else:
        flash(
            ngettext(
                "Submitted! Voting is open for %(num)d day.",
                "Submitted! Voting is open for %(num)d days.",
                settings().VOTING_DAYS,
            ),
            "success",
        )
    return redirect(url_for("designs.detail", design_id=design.id))


@bp.post("/designs/<id:design_id>/withdraw")
@login_required
def withdraw(design_id: int) -> ResponseReturnValue:
    design = _own_design(design_id)
    try:
        lifecycle.withdraw(db.session(), design, current_user)
    except lifecycle.InvalidTransition as error:
        return refused_on_detail(design, str(error), CONFLICT)
    flash(_("“%(title)s” is withdrawn.", title=design.title), "info")
    return redirect(url_for("designs.mine"))


@bp.post("/designs/<id:design_id>/revise")
@login_required
def revise(design_id: int) -> ResponseReturnValue:
    """A rejected design becomes a new draft to edit and submit again."""
    design = _own_design(design_id)
    try:
        revision, created = lifecycle.revise(db.session(), design, current_user)
    except lifecycle.InvalidTransition as error:
        return refused_on_detail(design, str(error), CONFLICT)
    if not created:
        flash(_("You have already revised this design: here is your revision."), "info")
        return redirect(url_for("designs.detail", design_id=revision.id))
    flash(
        _(
            "“%(title)s” is copied into a new draft: make your changes, then submit it again.",
            title=revision.title,
        ),
        "success",
    )
    return redirect(url_for("designs.edit", design_id=revision.id))


@bp.get("/my/designs")
@login_required
def mine() -> ResponseReturnValue:
    designs = queries.designs_of(db.session(), current_user.id, public_only=False)
    return render_template("designs/mine.html", designs=designs)
