"""Each event tells exactly the expected people, once each, never the person who acted: an
in-app row always, an email through the outbox when their preference allows it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.core import db, mail
from cocreate.core.clock import TestClock
from cocreate.core.db import now_utc
from cocreate.core.lifecycle import transition
from cocreate.core.outbox import OutboxMessage
from cocreate.designs import lifecycle
from cocreate.designs.models import Design, DesignState, DesignTransition
from cocreate.voting import notifications
from cocreate.voting.notify_models import Follow, Notification, NotificationKind
from tests.accounts.factories import StaffFactory, UserFactory
from tests.designs.factories import DesignFactory, VotingDesignFactory

K = NotificationKind
S = DesignState
pytestmark = pytest.mark.usefixtures("request_ctx")


def told(session: Session) -> list[tuple[int, str, int, int | None, int | None]]:
    """Every notification row: (recipient, kind, design, actor, comment), in id order."""
    rows = session.scalars(select(Notification).order_by(Notification.id))
    return [(n.recipient_id, n.kind.value, n.design_id, n.actor_id, n.comment_id) for n in rows]


def queued(session: Session) -> list[tuple[str, str]]:
    """Every email in the outbox, delivered or not: (to, subject), in id order."""
    rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
    return [(row.payload["to"], row.payload["subject"]) for row in rows]


def body_to(session: Session, to: str) -> str:
    (body,) = [
        row.payload["body"]
        for row in session.scalars(select(OutboxMessage))
        if row.payload["to"] == to
    ]
    return str(body)


def follow(session: Session, follower: User, designer: User) -> None:
    session.add(Follow(follower_id=follower.id, designer_id=designer.id))
    session.flush()


# Comments ------------------------------------------------------------------------------------


def _post(
    session: Session, design: Design, comment_id: int, author: User, parent: User | None
) -> None:
    notifications.comment_posted(
        session,
        design_id=design.id,
        comment_id=comment_id,
        author_id=author.id,
        reply_to_author_id=parent.id if parent else None,
    )


def test_a_comment_tells_the_designer_only(db_session: Session) -> None:
    designer = UserFactory(email="dana@example.test", display_name="Dana")
    design = VotingDesignFactory(designer=designer, title="Tide")
    author = UserFactory(display_name="Ari")
    _post(db_session, design, 70, author, None)
    assert told(db_session) == [(designer.id, "comment_on_my_design", design.id, author.id, 70)]
    assert queued(db_session) == [("dana@example.test", "New comment on “Tide”")]
    body = body_to(db_session, "dana@example.test")
    assert "Ari commented on your design “Tide”" in body
    assert f"http://localhost/designs/{design.id}#comment-70" in body
    assert "http://localhost/notifications/settings" in body


def test_a_reply_tells_the_parent_author_and_the_designer(db_session: Session) -> None:
    designer = UserFactory(email="dana@example.test")
    design = VotingDesignFactory(designer=designer, title="Tide")
    parent = UserFactory(email="pat@example.test")
    replier = UserFactory(display_name="Ray")
    _post(db_session, design, 71, replier, parent)
    assert told(db_session) == [
        (parent.id, "reply_to_my_comment", design.id, replier.id, 71),
        (designer.id, "comment_on_my_design", design.id, replier.id, 71),
    ]
    assert queued(db_session) == [
        ("pat@example.test", "Ray replied to your comment"),
        ("dana@example.test", "New comment on “Tide”"),
    ]


def test_a_reply_to_the_designer_tells_them_once(db_session: Session) -> None:
    designer = UserFactory(email="dana@example.test")
    design = VotingDesignFactory(designer=designer)
    replier = UserFactory(display_name="Ray")
    _post(db_session, design, 72, replier, designer)
    assert told(db_session) == [(designer.id, "reply_to_my_comment", design.id, replier.id, 72)]
    assert queued(db_session) == [("dana@example.test", "Ray replied to your comment")]


@pytest.mark.parametrize("parent_is", ["nobody", "self"])
def test_the_designer_is_not_told_of_their_own_comment(db_session: Session, parent_is: str) -> None:
    designer = UserFactory()
    design = VotingDesignFactory(designer=designer)
    _post(db_session, design, 73, designer, designer if parent_is == "self" else None)
    assert told(db_session) == []
    assert queued(db_session) == []


def test_the_designer_replying_tells_only_the_parent_author(db_session: Session) -> None:
    designer = UserFactory(display_name="Dana")
    design = VotingDesignFactory(designer=designer)
    parent = UserFactory(email="pat@example.test")
    _post(db_session, design, 74, designer, parent)
    assert told(db_session) == [(parent.id, "reply_to_my_comment", design.id, designer.id, 74)]
    assert queued(db_session) == [("pat@example.test", "Dana replied to your comment")]


def test_replying_under_ones_own_comment_tells_only_the_designer(db_session: Session) -> None:
    designer = UserFactory()
    design = VotingDesignFactory(designer=designer)
    author = UserFactory()
    _post(db_session, design, 75, author, author)
    assert told(db_session) == [(designer.id, "comment_on_my_design", design.id, author.id, 75)]


def test_an_inactive_account_is_not_told(db_session: Session) -> None:
    designer = UserFactory(is_active_account=False)
    design = VotingDesignFactory(designer=designer)
    _post(db_session, design, 76, UserFactory(), None)
    assert told(db_session) == []
    assert queued(db_session) == []


# Design moves --------------------------------------------------------------------------------


def test_opening_to_votes_tells_the_designer_and_each_follower(
    db_session: Session, app: Flask, clock: TestClock
) -> None:
    designer = UserFactory(email="dana@example.test", display_name="Dana")
    design = DesignFactory(designer=designer, state=S.SUBMITTED, title="Tide")
    fan = UserFactory(email="fan@example.test")
    fr_fan = UserFactory(email="fr@example.test", locale="fr", timezone="Europe/Paris")
    gone = UserFactory(email="gone@example.test", is_active_account=False)
    UserFactory(email="stranger@example.test")
    for follower in (fan, fr_fan, gone):
        follow(db_session, follower, designer)
    staff = StaffFactory()
    lifecycle.accept_screening(db_session, design, staff)
    assert sorted(told(db_session)) == sorted(
        [
            (designer.id, "design_voting_open", design.id, staff.id, None),
            (fan.id, "followed_designer_new_design", design.id, designer.id, None),
            (fr_fan.id, "followed_designer_new_design", design.id, designer.id, None),
        ]
    )
    assert sorted(queued(db_session)) == [
        ("dana@example.test", "“Tide” is open to votes"),
        ("fan@example.test", "Dana has a new design open to votes"),
        ("fr@example.test", "Dana a une nouvelle création ouverte au vote"),
    ]
    # The window's end, set with the move, is in the designer's email (and the followers'),
    # in the recipient's timezone (the site's, Paris, when they chose none).
    assert "until March 9, 2026 at 10:00\u202fAM (Paris time)" in body_to(
        db_session, "dana@example.test"
    )
    assert (
        "Dana, que vous suivez, a une nouvelle création ouverte au vote\u00a0: "
        "«\u00a0Tide\u00a0». Le vote se termine le 9 mars 2026 à 10:00 (heure\u00a0: Paris)."
    ) in body_to(db_session, "fr@example.test")
    # Delivered after the commit, each in its reader's language.
    db.commit()
    delivered = {m.to: m.locale for m in mail.outbox(app)}
    assert delivered == {
        "dana@example.test": "en",
        "fan@example.test": "en",
        "fr@example.test": "fr",
    }


@pytest.mark.parametrize("app_overrides", [{"SCREENING": False}])
def test_a_designer_opening_their_own_vote_is_not_told_but_followers_are(
    db_session: Session, app_overrides: dict[str, Any]
) -> None:
    designer = UserFactory()
    fan = UserFactory()
    follow(db_session, fan, designer)
    design = DesignFactory(designer=designer)
    lifecycle.submit(db_session, design, designer)
    assert design.state is S.VOTING
    assert told(db_session) == [
        (fan.id, "followed_designer_new_design", design.id, designer.id, None)
    ]


def test_closing_the_vote_tells_the_designer_the_results(
    db_session: Session, clock: TestClock
) -> None:
    designer = UserFactory(email="dana@example.test", locale="fr")
    design = VotingDesignFactory(
        designer=designer,
        title="Tide",
        vote_count=3,
        score_sum=13,
        buy_intent_count=2,
        voting_ends_at=clock.now(),
    )
    fan = UserFactory()
    follow(db_session, fan, designer)
    lifecycle.close_voting(db_session, design, at=clock.now())
    assert told(db_session) == [(designer.id, "voting_closed", design.id, None, None)]
    assert queued(db_session) == [("dana@example.test", "Le vote sur « Tide » est clos")]
    body = body_to(db_session, "dana@example.test")
    assert "- 3 votes\n- Note moyenne\u00a0: 4,3 sur 5\n- 2 membres l’achèteraient\n" in body


def test_closing_a_vote_nobody_cast_says_so(db_session: Session, clock: TestClock) -> None:
    design = VotingDesignFactory(designer=UserFactory(email="dana@example.test"))
    lifecycle.close_voting(db_session, design, at=design.voting_ends_at)
    body = body_to(db_session, "dana@example.test")
    assert "- 0 votes\n- No average: nobody voted.\n- 0 members would buy it\n" in body


def test_the_close_command_tells_designers_outside_a_request(
    app: Flask, db_session: Session
) -> None:
    """`flask voting close-expired` runs without a request: the
    links are still built on PUBLIC_URL."""
    design = VotingDesignFactory(
        designer=UserFactory(email="dana@example.test"),
        voting_ends_at=now_utc() - timedelta(minutes=1),
        vote_count=1,
        score_sum=5,
    )
    db_session.commit()
    result = app.test_cli_runner().invoke(args=["voting", "close-expired"])
    assert result.exit_code == 0, result.output
    (sent,) = mail.outbox(app)
    assert sent.to == "dana@example.test"
    assert "- 1 vote\n- Average score: 5 out of 5\n" in sent.body
    assert f"http://localhost/designs/{design.id}\n" in sent.body


def test_screening_rejection_tells_the_designer_why(db_session: Session) -> None:
    designer = UserFactory(email="dana@example.test")
    design = DesignFactory(designer=designer, state=S.SUBMITTED, title="Tide")
    staff = StaffFactory()
    lifecycle.reject_screening(db_session, design, staff, "Uses a registered logo.")
    assert told(db_session) == [(designer.id, "design_rejected", design.id, staff.id, None)]
    assert queued(db_session) == [("dana@example.test", "“Tide” was not accepted")]
    assert "The reason:\n\nUses a registered logo.\n" in body_to(db_session, "dana@example.test")


def test_removal_tells_the_designer_why(db_session: Session) -> None:
    designer = UserFactory(email="dana@example.test")
    fan = UserFactory()
    follow(db_session, fan, designer)
    design = VotingDesignFactory(designer=designer, title="Tide")
    staff = StaffFactory()
    lifecycle.remove(db_session, design, staff, "Copied artwork.")
    assert told(db_session) == [(designer.id, "design_removed", design.id, staff.id, None)]
    assert queued(db_session) == [("dana@example.test", "“Tide” was removed")]
    assert "The reason:\n\nCopied artwork.\n" in body_to(db_session, "dana@example.test")


def _staff_move(session: Session, design: Design, to: DesignState, reason: str = "") -> User:
    # No service approves or declines yet (production does): the move itself is what counts.
    staff = StaffFactory()
    transition(
        session,
        design,
        to,
        table=lifecycle.TRANSITIONS,
        audit_model=DesignTransition,
        actor_id=staff.id,
        at=design.voting_ends_at or now_utc(),
        message=lifecycle.refused_message,
        reason=reason,
    )
    return staff


def test_approval_tells_the_designer(db_session: Session) -> None:
    design = DesignFactory(designer=UserFactory(email="dana@example.test"), state=S.CLOSED)
    design.title = "Tide"
    staff = _staff_move(db_session, design, S.APPROVED)
    assert told(db_session) == [(design.designer_id, "design_approved", design.id, staff.id, None)]
    assert queued(db_session) == [("dana@example.test", "“Tide” was approved for production")]


def test_declining_tells_the_designer_why_in_french(db_session: Session) -> None:
    design = DesignFactory(
        designer=UserFactory(email="dana@example.test", locale="fr"), state=S.CLOSED, title="Tide"
    )
    staff = _staff_move(db_session, design, S.DECLINED, "Too few buyers.")
    assert told(db_session) == [(design.designer_id, "design_declined", design.id, staff.id, None)]
    assert queued(db_session) == [
        ("dana@example.test", "« Tide » n’a pas été retenue pour la production")
    ]
    assert "Le motif\u00a0:\n\nToo few buyers.\n" in body_to(db_session, "dana@example.test")


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (S.DRAFT, S.SUBMITTED),
        (S.VOTING, S.WITHDRAWN),
        (S.APPROVED, S.ON_SALE),
        (S.ON_SALE, S.RETIRED),
    ],
)
def test_other_moves_tell_nobody(db_session: Session, start: DesignState, end: DesignState) -> None:
    designer = UserFactory()
    follow(db_session, UserFactory(), designer)
    design = DesignFactory(designer=designer, state=start)
    _staff_move(db_session, design, end)
    assert told(db_session) == []
    assert queued(db_session) == []


def test_staff_removing_their_own_design_are_not_told(db_session: Session) -> None:
    staff = StaffFactory()
    design = VotingDesignFactory(designer=staff)
    lifecycle.remove(db_session, design, staff, "Posted by mistake.")
    assert told(db_session) == []


# Preferences ---------------------------------------------------------------------------------


def test_email_off_keeps_the_in_app_row_only(db_session: Session) -> None:
    designer = UserFactory(email="dana@example.test")
    design = VotingDesignFactory(designer=designer)
    notifications.set_email_preferences(db_session, designer.id, {K.COMMENT_ON_MY_DESIGN: False})
    author = UserFactory()
    _post(db_session, design, 80, author, None)
    assert told(db_session) == [(designer.id, "comment_on_my_design", design.id, author.id, 80)]
    assert queued(db_session) == []
    # Other kinds still arrive by email.
    _post(db_session, design, 81, UserFactory(), designer)
    assert [to for to, _subject in queued(db_session)] == ["dana@example.test"]


def test_followers_who_switched_email_off_get_the_row_only(db_session: Session) -> None:
    designer = UserFactory()
    quiet = UserFactory(email="quiet@example.test")
    loud = UserFactory(email="loud@example.test")
    for follower in (quiet, loud):
        follow(db_session, follower, designer)
    notifications.set_email_preferences(
        db_session, quiet.id, {K.FOLLOWED_DESIGNER_NEW_DESIGN: False, K.VOTING_CLOSED: True}
    )
    design = DesignFactory(designer=designer, state=S.SUBMITTED)
    lifecycle.accept_screening(db_session, design, StaffFactory())
    recipients = {row[0] for row in told(db_session) if row[1] == "followed_designer_new_design"}
    assert recipients == {quiet.id, loud.id}
    assert {to for to, _s in queued(db_session)} == {designer.email, "loud@example.test"}


def test_preferences_default_on_and_change_in_place(db_session: Session) -> None:
    user = UserFactory()
    assert notifications.email_preferences(db_session, user.id) == dict.fromkeys(K, True)
    notifications.set_email_preferences(db_session, user.id, {K.VOTING_CLOSED: False})
    notifications.set_email_preferences(
        db_session, user.id, {K.VOTING_CLOSED: True, K.DESIGN_REMOVED: False}
    )
    expected = dict.fromkeys(K, True) | {K.DESIGN_REMOVED: False}
    assert notifications.email_preferences(db_session, user.id) == expected


# Many followers ------------------------------------------------------------------------------


def test_fan_out_is_one_insert_and_batched_emails(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.designs.test_gallery import count_queries

    monkeypatch.setattr(notifications, "FAN_OUT_BATCH", 2)
    designer = UserFactory(display_name="Dana")
    fans = [UserFactory(email=f"fan{n}@example.test") for n in range(5)]
    for fan in fans:
        follow(db_session, fan, designer)
    design = DesignFactory(designer=designer, state=S.SUBMITTED)
    staff = StaffFactory()
    engine = db_session.get_bind().engine
    with count_queries(engine) as statements:
        lifecycle.accept_screening(db_session, design, staff)
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO NOTIFICATIONS")]
    # One for the designer's own notification, one INSERT … SELECT for all five followers.
    assert len(inserts) == 2
    outbox_inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO OUTBOX")]
    # The designer's email, then the five followers' in batches of 2: 2 + 2 + 1.
    assert len(outbox_inserts) == 1 + 3
    followers_told = [
        row[0] for row in told(db_session) if row[1] == "followed_designer_new_design"
    ]
    assert sorted(followers_told) == sorted(fan.id for fan in fans)
    assert sorted(to for to, _s in queued(db_session) if to.startswith("fan")) == [
        f"fan{n}@example.test" for n in range(5)
    ]
