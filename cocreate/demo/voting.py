"""Demo community: votes with buy intent, critique comments and follows, so "Top ranked", the
results of closed designs, the review queue's buy intent and the notifications have content."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from cocreate.accounts.models import Role, User
from cocreate.catalogue import products as catalogue
from cocreate.config import settings
from cocreate.core.db import now_utc
from cocreate.designs.models import PUBLIC_STATES, Design
from cocreate.voting import comments, counters, follows
from cocreate.voting.models import Vote

#: Extra members who only vote: a design page with a handful of votes ranks nothing.
COMMUNITY_SIZE = 80
COMMENTS = [
    "Love the colours on the black tee.",
    "The line work is lovely; I would make the title a little smaller.",
    "Would buy this as a poster for the kitchen!",
    "The contrast is a bit low on the white version, see https://example.org/contrast-tips.",
    "Très réussi, bravo !",
    "Reminds me of old travel posters. In a good way.",
]
REPLIES = ["Thank you! Noted for the next version.", "Merci beaucoup !"]


def _community(session: Session, password_hash: str, rng: random.Random) -> list[User]:
    now = now_utc()
    members = [
        User(
            email=f"voter{n}@demo.cocreate.test",
            display_name=f"Voter {n}",
            role=Role.MEMBER,
            password_hash=password_hash,
            locale=rng.choice(["en", "fr"]),
            email_verified_at=now - timedelta(days=200),
            created_at=now - timedelta(days=201 + n),
        )
        for n in range(1, COMMUNITY_SIZE + 1)
    ]
    session.add_all(members)
    session.flush()
    return members


def _vote_time(design: Design, rng: random.Random) -> datetime:
    opened = design.published_at or now_utc()
    ends = min(design.voting_ends_at or now_utc(), now_utc())
    span = max((ends - opened).total_seconds(), 60.0)
    return opened + timedelta(seconds=rng.uniform(0, span - 1))


def _votes(session: Session, design: Design, voters: list[User], rng: random.Random) -> None:
    appeal = rng.uniform(2.2, 4.7)  # how much the community likes this design
    sizeable = [key for key in sorted(design.product_set) if catalogue.get(key).sizes]
    prior_weight = settings().VOTING_PRIOR_WEIGHT
    for voter in rng.sample(voters, rng.randint(3, min(len(voters), 60))):
        if voter.id == design.designer_id:
            continue
        score = max(1, min(5, round(rng.gauss(appeal, 0.9))))
        buy = score >= 4 and rng.random() < 0.5 and bool(sizeable)
        product = rng.choice(sizeable) if buy else ""
        size = rng.choice([s.key for s in catalogue.get(product).sizes]) if buy else ""
        at = _vote_time(design, rng)
        vote = Vote(
            design_id=design.id,
            voter_id=voter.id,
            score=score,
            buy=buy,
            product=product,
            size=size,
            created_at=at,
            updated_at=at,
        )
        session.add(vote)
        session.flush()
        counters.apply(
            session, design.id, counters.NONE, counters.effect_of(vote), prior_weight=prior_weight
        )


def seed_voting(
    session: Session,
    rng: random.Random,
    designs: list[Design],
    people: dict[str, list[User]],
    password_hash: str,
) -> None:
    community = _community(session, password_hash, rng)
    voters = community + people["customers"] + people["designers"]
    public = [d for d in designs if d.state in PUBLIC_STATES]
    for design in public:
        _votes(session, design, voters, rng)
    for design in rng.sample(public, min(len(public), 15)):
        author = rng.choice(people["customers"])
        comment = comments.post(
            session, design, author, rng.choice(COMMENTS), now=_vote_time(design, rng)
        )
        if rng.random() < 0.5:
            designer = session.get_one(User, design.designer_id)
            comments.post(
                session,
                design,
                designer,
                rng.choice(REPLIES),
                now=comment.created_at + timedelta(hours=3),
                reply_to=comment,
            )
    for customer in people["customers"]:
        for designer in rng.sample(people["designers"], 2):
            follows.follow(session, customer, designer, now=now_utc())
    counters.refresh_ranking(session, prior_weight=settings().VOTING_PRIOR_WEIGHT, now=now_utc())
    # The counters were moved in SQL: the ORM's copies of the designs are stale.
    session.expire_all()
