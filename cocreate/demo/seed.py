"""The demo marketplace. Each domain adds its part to `seed_all`."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import TextIO

from sqlalchemy.orm import Session

from cocreate.accounts import passwords
from cocreate.accounts.models import Role, User
from cocreate.config import settings
from cocreate.core.db import now_utc
from cocreate.demo.designs import seed_designs
from cocreate.demo.production import seed_production
from cocreate.demo.review import seed_flags, seed_reprint_requests
from cocreate.demo.royalties import seed_royalties
from cocreate.demo.shop import seed_shop
from cocreate.demo.voting import seed_voting

DEMO_PASSWORD = "cocreate-demo-2026"  # noqa: S105 - printed for newcomers, demo only
DEMO_LOGINS: list[tuple[str, str]] = [
    ("admin", "admin@demo.cocreate.test"),
    ("staff", "staff@demo.cocreate.test"),
    ("designer", "ines@demo.cocreate.test"),
    ("customer", "sam@demo.cocreate.test"),
]

DESIGNERS = [
    (
        "ines@demo.cocreate.test",
        "Inès Moreau",
        "fr",
        "Illustratrice à Lyon. Des lignes claires, des couleurs franches.",
    ),
    (
        "kofi@demo.cocreate.test",
        "Kofi Mensah",
        "en",
        "Bold geometric prints inspired by Kente patterns.",
    ),
    (
        "mila@demo.cocreate.test",
        "Mila Novak",
        "en",
        "Risograph lover. Posters, tees and too many zines.",
    ),
    (
        "theo@demo.cocreate.test",
        "Théo Garnier",
        "fr",
        "Typographe du dimanche, amateur de montagnes.",
    ),
    ("aiko@demo.cocreate.test", "Aiko Tanaka", "en", "Soft gradients, sharp shapes."),
    ("lucas@demo.cocreate.test", "Lucas Ribeiro", "en", "Street art meets screen printing."),
]
CUSTOMER_NAMES = [
    "Sam Carter",
    "Léa Petit",
    "Noah Schmidt",
    "Chloé Martin",
    "Omar Haddad",
    "Emma Rossi",
    "Jules Bernard",
    "Ava Kowalski",
    "Hugo Laurent",
    "Zoé Dubois",
    "Liam O'Brien",
    "Nina Larsen",
]


def _user(
    session: Session,
    email: str,
    name: str,
    role: Role,
    password_hash: str,
    locale: str = "en",
    bio: str = "",
    days_ago: int = 60,
) -> User:
    user = User(
        email=email,
        display_name=name,
        role=role,
        password_hash=password_hash,
        locale=locale,
        bio=bio,
        email_verified_at=now_utc() - timedelta(days=days_ago - 1),
        created_at=now_utc() - timedelta(days=days_ago),
    )
    session.add(user)
    return user


def seed_accounts(session: Session, rng: random.Random) -> dict[str, list[User]]:
    # One hash for every demo account: argon2 is deliberately slow.
    password_hash = passwords.hash_password(DEMO_PASSWORD)
    people: dict[str, list[User]] = {"staff": [], "designers": [], "customers": []}
    people["staff"].append(
        _user(
            session,
            "admin@demo.cocreate.test",
            "Ada Admin",
            Role.ADMIN,
            password_hash,
            days_ago=400,
        )
    )
    people["staff"].append(
        _user(
            session,
            "staff@demo.cocreate.test",
            "Stan Staff",
            Role.STAFF,
            password_hash,
            locale="fr",
            days_ago=300,
        )
    )
    for email, name, locale, bio in DESIGNERS:
        people["designers"].append(
            _user(
                session,
                email,
                name,
                Role.MEMBER,
                password_hash,
                locale,
                bio,
                days_ago=rng.randint(30, 365),
            )
        )
    for index, name in enumerate(CUSTOMER_NAMES):
        email = "sam@demo.cocreate.test" if index == 0 else f"customer{index}@demo.cocreate.test"
        people["customers"].append(
            _user(
                session,
                email,
                name,
                Role.MEMBER,
                password_hash,
                rng.choice(["en", "fr"]),
                days_ago=rng.randint(1, 200),
            )
        )
    session.flush()
    return people


PROGRESS_LABEL = "Drawing demo designs"
BAR_WIDTH = 20


def progress_printer(stream: TextIO) -> Callable[[int, int], None]:
    """Seeding draws every design through the real artwork pipeline, which takes a while: say how
    far along it is. On a terminal, one bar redrawn in place; in a log (no terminal), where a
    carriage return would glue everything into one long line, a plain line every tenth."""
    terminal = stream.isatty()

    def report(done: int, total: int) -> None:
        if terminal:
            filled = done * BAR_WIDTH // total
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            end = "\n" if done == total else ""
            stream.write(f"\r{PROGRESS_LABEL} [{bar}] {done}/{total}{end}")
        elif done == total or done * 10 // total != (done - 1) * 10 // total:
            stream.write(f"{PROGRESS_LABEL}: {done}/{total}\n")
        stream.flush()

    return report


def seed_all(
    session: Session,
    seed: int = 2026,
    designs: int = 45,
    progress: Callable[[int, int], None] | None = None,
) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    people = seed_accounts(session, rng)
    staff = people["staff"][1]
    made = seed_designs(session, rng, people["designers"], staff, designs, progress)
    # Votes before production: the runs' suggested quantities come from the buy intent.
    seed_voting(session, rng, made, people, staff.password_hash)
    seed_production(session, rng, made, staff)
    seed_flags(session, made, staff)
    seed_reprint_requests(session, rng, made, people["customers"])
    orders = seed_shop(session, rng, people["customers"], staff, settings())
    # The ledger those orders would have written, replayed month by month up to now.
    seed_royalties(session, orders, staff, settings(), now_utc())
    return DEMO_LOGINS
