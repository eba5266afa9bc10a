"""Demo designs: generated artwork run through the real pipeline, in every lifecycle state."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

from flask import current_app
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.catalogue import products as catalogue
from cocreate.config import settings
from cocreate.core.db import now_utc
from cocreate.demo.artwork import generate_artwork
from cocreate.demo.titles import demo_titles
from cocreate.designs import derivatives, services
from cocreate.designs.models import Design, DesignState, DesignTransition

S = DesignState
#: How many demo designs end up in each state (the rest are open to votes).
STATE_PLAN: list[tuple[DesignState, int]] = [
    (S.DRAFT, 3),
    (S.SUBMITTED, 4),
    (S.REJECTED, 2),
    (S.WITHDRAWN, 1),
    (S.CLOSED, 4),
    (S.APPROVED, 2),
    (S.DECLINED, 2),
    (S.ON_SALE, 5),
    (S.RETIRED, 1),
    (S.REMOVED, 1),
]
REASONS = {
    S.REJECTED: "The lettering reproduces a registered trademark. Please submit original work.",
    S.DECLINED: "Lovely work, but the buy intent was too low for a print run this season.",
    S.REMOVED: "Removed after a copyright claim from the original artist.",
}


def _history(state: DesignState) -> list[DesignState]:
    """The path a design took from draft to `state`."""
    paths = {
        S.DRAFT: [],
        S.SUBMITTED: [S.SUBMITTED],
        S.REJECTED: [S.SUBMITTED, S.REJECTED],
        S.WITHDRAWN: [S.SUBMITTED, S.VOTING, S.WITHDRAWN],
        S.VOTING: [S.SUBMITTED, S.VOTING],
        S.CLOSED: [S.SUBMITTED, S.VOTING, S.CLOSED],
        S.APPROVED: [S.SUBMITTED, S.VOTING, S.CLOSED, S.APPROVED],
        S.DECLINED: [S.SUBMITTED, S.VOTING, S.CLOSED, S.DECLINED],
        S.ON_SALE: [S.SUBMITTED, S.VOTING, S.CLOSED, S.APPROVED, S.ON_SALE],
        S.RETIRED: [S.SUBMITTED, S.VOTING, S.CLOSED, S.APPROVED, S.ON_SALE, S.RETIRED],
        S.REMOVED: [S.SUBMITTED, S.VOTING, S.REMOVED],
    }
    return paths[state]


def _age(
    design: Design, state: DesignState, rng: random.Random, staff: User
) -> list[DesignTransition]:
    """Backdate the design and return the audit trail of the path it took."""
    days = settings().VOTING_DAYS
    now = now_utc()
    if state in (S.DRAFT, S.SUBMITTED):  # fresh work, still waiting
        opened = now - timedelta(hours=rng.randint(2, 30))
    elif state is S.VOTING:
        opened = now - timedelta(hours=rng.randint(1, days * 24 - 2))
    else:
        opened = now - timedelta(days=rng.randint(days + 1, 90))
    design.created_at = opened - timedelta(days=rng.randint(1, 5))
    when = design.created_at + timedelta(hours=2)
    previous, rows = S.DRAFT, []
    for step in _history(state):
        if step is S.SUBMITTED:
            design.submitted_at = when
        elif step is S.VOTING:
            when = design.published_at = opened
            design.voting_ends_at = opened + timedelta(days=days)
        elif step is S.CLOSED and design.voting_ends_at:
            when = design.voting_ends_at
        by_designer = step in (S.SUBMITTED, S.WITHDRAWN)
        actor = None if step is S.CLOSED else design.designer_id if by_designer else staff.id
        rows.append(
            DesignTransition(
                design_id=design.id,
                actor_id=actor,
                from_state=previous,
                to_state=step,
                reason=REASONS.get(step, ""),
                created_at=when,
            )
        )
        previous = step
        when += timedelta(hours=rng.randint(2, 48))
    design.state = state
    design.state_reason = REASONS.get(state, "")
    design.updated_at = min(when, now)
    return rows


def seed_designs(
    session: Session,
    rng: random.Random,
    designers: list[User],
    staff: User,
    count: int = 45,
    progress: Callable[[int, int], None] | None = None,
) -> list[Design]:
    storage = current_app.extensions["cocreate.storage"]
    # Large enough for every product, so a demo design may be offered on any of them.
    size = max(catalogue.min_long_side(key) for key in catalogue.product_keys()) + 100
    every_product = set(catalogue.product_keys())
    # One of each state first, so even a small demo shows the whole lifecycle.
    first = [S.VOTING] + [state for state, _ in STATE_PLAN]
    rest = [state for state, n in STATE_PLAN for _ in range(n - 1)] + [S.VOTING] * count
    plan = (first + rest)[:count]
    rng.shuffle(plan)
    titles = demo_titles()
    designs = []
    for index, state in enumerate(plan):
        title, theme, tags = titles[index % len(titles)]
        designer = designers[index % len(designers)]
        art = generate_artwork(rng, theme, size=size, title=title, transparent=rng.random() < 0.7)
        products = {catalogue.default().key} if rng.random() < 0.6 else every_product
        fields = services.DesignFields(
            title=title, description=_description(rng, title), tags=tags, products=products
        )
        design = services.create_design(session, storage, designer, fields, art)
        # Drawn now rather than by the queued job: most demo designs are public at once, and a
        # worker (REDIS_URL) may not be running yet. The job then finds them drawn.
        derivatives.draw_now(session, storage, design)
        session.add_all(_age(design, state, rng, staff))
        designs.append(design)
        if progress:
            progress(index + 1, count)
    session.flush()
    return designs


def _description(rng: random.Random, title: str) -> str:
    lines = [
        f"“{title}” started as a sketch on the back of a train ticket.",
        "Printed big on the chest, it reads from across the street.",
        "I wanted something bold enough for a gig and soft enough for Sunday.",
        "Three colours, no gradients lost in print: it is made for screen printing.",
        "Inspired by old travel posters and the sea in winter.",
    ]
    return " ".join(rng.sample(lines, 2))
