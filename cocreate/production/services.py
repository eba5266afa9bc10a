"""Planning production: the variant grid of a design, suggested quantities, approving (or
declining) a closed design, and planning a reprint of one already produced.

Services take the session and the settings, flush and never commit. The designer is told of an
approval or a decline by whoever listens to core's `transitioned` signal, not from here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.catalogue import products as catalogue
from cocreate.catalogue.spec import ProductSpec
from cocreate.config import Config
from cocreate.core.clock import clock
from cocreate.core.i18n import format_money
from cocreate.core.lifecycle import InvalidTransition, NotAllowed
from cocreate.core.money import Money
from cocreate.designs import lifecycle as design_lifecycle
from cocreate.designs.models import Design, DesignState
from cocreate.production import suggestions
from cocreate.production.models import ProductionRun, RunLine, RunPrice
from cocreate.voting.models import DesignIntent

#: (product, colour, size): one cell of the grid, one variant. Colour "" when the product has none.
Cell = tuple[str, str, str]

#: A design in these states can have a new run: a reprint (it was produced before).
REPRINTABLE = frozenset({DesignState.APPROVED, DesignState.ON_SALE, DesignState.RETIRED})
MAX_NOTE = 2000
#: Highest retail price staff may enter, in minor units (a typo guard: 10,000.00).
MAX_PRICE = 1_000_000


class PlanError(ValueError):
    """The quantities, prices or note cannot make a run; `messages` say why, for the form."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class ProductGrid:
    """One product of a design's run: its garment colours (keys; `("",)` without colours) and
    sizes, in catalogue order."""

    spec: ProductSpec
    colours: tuple[str, ...]
    sizes: tuple[str, ...]

    def cells(self) -> Iterator[Cell]:
        for colour in self.colours:
            for size in self.sizes:
                yield (self.spec.key, colour, size)


def grid_for(design: Design) -> list[ProductGrid]:
    """The products the design is offered on (still in the catalogue), in catalogue order."""
    offered = design.product_set
    return [
        ProductGrid(
            spec=spec,
            colours=tuple(c.key for c in spec.colours) or ("",),
            sizes=tuple(s.key for s in spec.sizes),
        )
        for spec in catalogue.CATALOGUE
        if spec.key in offered
    ]


def intent_by_product(session: Session, design_id: int) -> dict[str, dict[str, int]]:
    """Counted "I'd buy it" votes of the design: product → size → count."""
    rows = session.scalars(select(DesignIntent).where(DesignIntent.design_id == design_id))
    intent: dict[str, dict[str, int]] = {}
    for row in rows:
        intent.setdefault(row.product, {})[row.size] = row.count
    return intent


@dataclass
class Plan:
    """What staff approve: a quantity per cell (zero: not printed), a price per product, a note."""

    quantities: dict[Cell, int]
    prices: dict[str, Money]
    note: str = ""
    #: The buy intent the suggestion came from (shown beside the grid), product → size → count.
    intent: dict[str, dict[str, int]] = field(default_factory=dict)

    def total(self, product: str | None = None) -> int:
        return sum(q for cell, q in self.quantities.items() if product in (None, cell[0]))


def suggested_plan(
    session: Session, design: Design, config: Config, grid: list[ProductGrid] | None = None
) -> Plan:
    """Quantities suggested from buy intent (see suggestions.py) and the catalogue's prices."""
    grid = grid if grid is not None else grid_for(design)
    intent = intent_by_product(session, design.id)
    quantities: dict[Cell, int] = {}
    for product in grid:
        key = product.spec.key
        suggested = suggestions.for_product(
            product.colours,
            product.sizes,
            intent.get(key, {}),
            factor=config.PRODUCTION_CONVERSION_FACTOR,
            minimum=config.PRODUCTION_MIN_RUN.get(key, 0),
            curve=config.PRODUCTION_SIZE_CURVE,
        )
        quantities.update({(key, c, s): q for (c, s), q in suggested.items()})
    prices = {p.spec.key: catalogue.price(p.spec.key, config) for p in grid}
    return Plan(quantities=quantities, prices=prices, intent=intent)


def check_plan(plan: Plan, grid: list[ProductGrid], config: Config) -> None:
    """Refuse a plan the grid or the limits do not allow (PlanError with every reason). The
    form checks the same first and shows the reasons beside the fields; this is the rule."""
    cells = {cell for product in grid for cell in product.cells()}
    problems: list[str] = []
    if set(plan.quantities) - cells:
        problems.append(_("Some quantities are for variants this design is not offered in."))
    limit = config.PRODUCTION_MAX_QUANTITY
    if any(not 0 <= q <= limit for q in plan.quantities.values()):
        problems.append(_("Each quantity must be between 0 and %(max)d.", max=limit))
    if plan.total() <= 0:
        problems.append(_("Please enter a quantity for at least one variant."))
    printed = {cell[0] for cell, q in plan.quantities.items() if q > 0}
    for product in sorted(printed):
        price = plan.prices.get(product)
        if price is None or price.currency != config.CURRENCY:
            problems.append(_("Please give a price for every product printed."))
            break
        if not 0 < price.amount <= MAX_PRICE:
            problems.append(
                _(
                    "Each price must be above zero and at most %(max)s.",
                    max=format_money(MAX_PRICE, config.CURRENCY),
                )
            )
            break
    if len(plan.note) > MAX_NOTE:
        problems.append(_("Please keep the note to %(max)d characters at most.", max=MAX_NOTE))
    if problems:
        raise PlanError(problems)


def can_plan(design: Design) -> bool:
    """Whether staff may plan a run of the design now: approve it, or reprint it."""
    return design.state is DesignState.CLOSED or design.state in REPRINTABLE


def _lock(session: Session, design: Design) -> None:
    # Re-read under a row lock, so a design removed or declined meanwhile is not planned.
    session.execute(select(Design.id).where(Design.id == design.id).with_for_update())
    session.refresh(design, attribute_names=["state"])


def create_run(
    session: Session, design: Design, actor: User, plan: Plan, config: Config, *, approve: bool
) -> ProductionRun:
    """A planned run of `design`. With `approve`, a closed design is approved with it (closed →
    approved); without, a design approved, on sale or retired gets a reprint run and keeps its
    state until the stock arrives. Refuses a design in any other state (still voting,
    declined…) with a message.

    `approve` is what the person asked for, checked against the state under the lock: of two
    staff members approving one design at once, the second is refused instead of planning a
    reprint nobody asked for."""
    if not actor.is_staff:
        raise NotAllowed
    _lock(session, design)
    if can_plan(design) and approve != (design.state is DesignState.CLOSED):
        raise InvalidTransition(design_lifecycle.refused_message(design.state))
    if not can_plan(design):
        raise InvalidTransition(
            _(
                "This design is %(state)s: only a design whose voting has closed can be "
                "approved, and only one already produced can be reprinted.",
                state=design_lifecycle.state_label(design.state),
            )
        )
    grid = grid_for(design)
    check_plan(plan, grid, config)
    if design.state is DesignState.CLOSED:
        design_lifecycle.approve(session, design, actor)
    run = ProductionRun(
        design_id=design.id,
        created_by_id=actor.id,
        created_at=clock().now(),
        note=plan.note.strip(),
    )
    order = {cell: index for index, cell in enumerate(c for p in grid for c in p.cells())}
    run.lines = [
        RunLine(product=p, colour=c, size=s, quantity=q, position=order[(p, c, s)])
        for (p, c, s), q in sorted(plan.quantities.items(), key=lambda item: order[item[0]])
        if q > 0
    ]
    printed = {line.product for line in run.lines}
    run.prices = [
        RunPrice(product=product, price=plan.prices[product]) for product in sorted(printed)
    ]
    session.add(run)
    session.flush()
    return run


def approve(
    session: Session, design: Design, actor: User, plan: Plan, config: Config
) -> ProductionRun:
    """Closed → approved, with its first run (the review queue calls this)."""
    return create_run(session, design, actor, plan, config, approve=True)


def plan_reprint(
    session: Session, design: Design, actor: User, plan: Plan, config: Config
) -> ProductionRun:
    """A new run of a design already approved, on sale or retired (reprint requests)."""
    return create_run(session, design, actor, plan, config, approve=False)


def decline(session: Session, design: Design, actor: User, reason: str) -> None:
    """Closed → declined, with the reason the designer reads (the review queue calls this)."""
    design_lifecycle.decline(session, design, actor, reason)


def totals_by_product(quantities: Mapping[Cell, int]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for (product, _colour, _size), quantity in quantities.items():
        totals[product] = totals.get(product, 0) + quantity
    return totals
