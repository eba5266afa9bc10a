"""Gallery search: every public design whatever the tab, blind to case and accents; one tag per
folded spelling; a constant number of queries; the migration's backfill."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from alembic import command
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from cocreate.core.cli import alembic_config
from cocreate.core.db import now_utc
from cocreate.core.inputs import fold
from cocreate.designs import queries, services
from cocreate.designs.models import Design, DesignState
from tests.accounts.factories import UserFactory
from tests.conftest import Auth
from tests.designs.factories import DesignFactory, TagFactory, VotingDesignFactory
from tests.designs.test_gallery import count_queries


def _titles(page: str) -> list[str]:
    return re.findall(r'<h2 class="design-card-title">(.*?)</h2>', page)


def _get(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_fold() -> None:
    assert fold("Évaluation") == "evaluation"
    assert fold("EVALUATION") == "evaluation"
    assert fold("Inès") == "ines"
    assert fold("Straße") == "strasse"
    assert fold("ﬁn") == "fin"


def test_search_finds_an_on_sale_design_from_the_default_voting_tab(
    client: FlaskClient, db_session: Session
) -> None:
    ines = UserFactory(display_name="Inès Laurent")
    DesignFactory(
        designer=ines, title="Au Sommet", state=DesignState.ON_SALE, published_at=now_utc()
    )
    VotingDesignFactory(title="Midnight Tide")
    # The default tab is "voting", where the design on sale is not listed.
    assert "Au Sommet" not in _get(client, "/gallery")
    page = _get(client, "/gallery?q=Ines")
    assert _titles(page) == ["Au Sommet"]
    assert "on sale" in page
    assert "Results for “Ines”" in page
    # The form sends the current tab along; the search still ignores it.
    assert _titles(_get(client, "/gallery?view=voting&q=ines")) == ["Au Sommet"]


def test_search_covers_public_states_only_and_labels_each_card(
    client: FlaskClient, db_session: Session
) -> None:
    now = now_utc()
    for state in DesignState:
        DesignFactory(title=f"Kite {state.value}", state=state, published_at=now)
    page = _get(client, "/gallery?q=kite")
    assert sorted(_titles(page)) == [
        "Kite approved",
        "Kite closed",
        "Kite on_sale",
        "Kite retired",
        "Kite voting",
    ]
    badges = re.findall(r'<span class="badge state-(\w+)">(.*?)</span>', page)
    assert sorted(badges) == [
        ("approved", "approved for production"),
        ("closed", "voting closed"),
        ("on_sale", "on sale"),
        ("retired", "retired"),
        ("voting", "open to votes"),
    ]
    # No tab is current: the results come from all of them.
    assert 'aria-current="page"' not in page.split('class="pagination"')[0]


def test_search_ignores_case_and_accents_in_titles_and_tags(
    client: FlaskClient, db_session: Session
) -> None:
    VotingDesignFactory(title="Évaluation")
    VotingDesignFactory(title="Grille", tags=[TagFactory(name="évaluation")])
    VotingDesignFactory(title="Other")
    for query in ("EVALUATION", "évaluation", "Evaluation", "evaluation", "ÉVALUATION", "valu"):
        found = {d.title for d in queries.gallery(db_session, search=query, now=now_utc()).items}
        assert found == {"Évaluation", "Grille"}, query
    page = _get(client, "/gallery?q=%C3%89VALUATION")
    assert sorted(_titles(page)) == ["Grille", "Évaluation"]


def test_every_word_must_match_somewhere(db_session: Session) -> None:
    ines = UserFactory(display_name="Inès")
    VotingDesignFactory(designer=ines, title="Tide", tags=[TagFactory(name="océan")])
    VotingDesignFactory(designer=ines, title="Peaks")
    VotingDesignFactory(title="Tide pool")
    search = lambda q: {d.title for d in queries.gallery(db_session, search=q, now=now_utc()).items}  # noqa: E731
    assert search("ines  tide") == {"Tide"}
    assert search("tide ocean") == {"Tide"}
    assert search("tide") == {"Tide", "Tide pool"}
    assert search("ines zzz") == set()


def test_like_wildcards_are_plain_characters(db_session: Session) -> None:
    VotingDesignFactory(title="Half_price 50%")
    VotingDesignFactory(title="Plain")
    search = lambda q: {d.title for d in queries.gallery(db_session, search=q, now=now_utc()).items}  # noqa: E731
    assert search("%") == {"Half_price 50%"}
    assert search("_") == {"Half_price 50%"}
    assert search("f_p") == {"Half_price 50%"}
    assert search("l%n") == set()


def test_empty_search_shows_the_normal_tab(client: FlaskClient, db_session: Session) -> None:
    VotingDesignFactory(title="Open Vote")
    DesignFactory(title="Shop Item", state=DesignState.ON_SALE, published_at=now_utc())
    for url in ("/gallery?q=", "/gallery?q=%20%20", "/gallery"):
        page = _get(client, url)
        assert _titles(page) == ["Open Vote"], url
        assert "Results for" not in page
        assert 'aria-current="page" class="tab current">Voting now' in page
        assert 'class="badge' not in page
    assert _titles(_get(client, "/gallery?view=on_sale&q=")) == ["Shop Item"]


def test_search_finds_the_designer_by_their_new_name(
    client: FlaskClient, db_session: Session, auth: Auth
) -> None:
    designer = UserFactory(email="kofi@example.test", display_name="Kofi")
    VotingDesignFactory(designer=designer, title="Peaks", tags=[TagFactory(name="mountain")])
    db_session.commit()
    auth.login("kofi@example.test")
    response = client.post(
        "/settings",
        data={"display_name": "Zoë Mensah", "bio": "", "locale": "en", "timezone": "Europe/Paris"},
    )
    assert response.status_code == 302
    assert _titles(_get(client, "/gallery?q=zoe")) == ["Peaks"]
    assert _titles(_get(client, "/gallery?q=kofi")) == []
    # The title and tags are still in the document.
    assert _titles(_get(client, "/gallery?q=mountain")) == ["Peaks"]


def test_edited_title_and_tags_are_searchable(db_session: Session) -> None:
    design = VotingDesignFactory(title="Before", tags=[TagFactory(name="old")])
    design.title = "Après"
    design.tags = [TagFactory(name="neuf")]
    db_session.flush()
    search = lambda q: {d.title for d in queries.gallery(db_session, search=q, now=now_utc()).items}  # noqa: E731
    assert search("apres") == {"Après"}
    assert search("neuf") == {"Après"}
    assert search("before") == set()
    assert search("old") == set()


def test_accented_and_plain_tag_urls_show_the_same_designs(
    client: FlaskClient, db_session: Session
) -> None:
    tag = TagFactory(name="évaluation")
    VotingDesignFactory(title="Grille", tags=[tag])
    VotingDesignFactory(title="Untagged")
    plain = client.get("/tags/evaluation")
    assert plain.status_code == 200
    assert _titles(plain.get_data(as_text=True)) == ["Grille"]
    # The tag keeps its spelling on the page.
    assert "Designs tagged “évaluation”" in plain.get_data(as_text=True)
    accented = client.get("/tags/%C3%A9valuation")
    assert accented.status_code == 301
    assert accented.headers["Location"] == "/tags/evaluation"
    followed = client.get("/tags/%C3%A9valuation", follow_redirects=True)
    assert _titles(followed.get_data(as_text=True)) == ["Grille"]
    upper = client.get("/tags/%C3%89VALUATION?view=newest")
    assert upper.status_code == 301
    assert upper.headers["Location"] == "/tags/evaluation?view=newest"
    # Existing plain tag URLs are unchanged.
    VotingDesignFactory(title="Wave", tags=[TagFactory(name="ocean")])
    assert _titles(_get(client, "/tags/ocean")) == ["Wave"]
    # The popular tags link to the canonical address and show the spelling.
    assert '<a href="/tags/evaluation">#évaluation</a>' in _get(client, "/gallery")


@pytest.mark.parametrize(
    ("query", "location"),
    [
        ("?tag=x&view=newest", "/tags/evaluation?view=newest"),
        ("?_scheme=javascript&_external=1", "/tags/evaluation"),
    ],
)
def test_tag_redirect_ignores_arguments_that_would_clash(
    client: FlaskClient, db_session: Session, query: str, location: str
) -> None:
    TagFactory(name="évaluation")
    response = client.get("/tags/%C3%89valuation" + query)
    assert response.status_code == 301
    assert response.headers["Location"] == location


def test_a_tag_whose_folding_needs_a_dash_has_a_stable_address(
    client: FlaskClient, db_session: Session
) -> None:
    VotingDesignFactory(title="Quarter", tags=[TagFactory(name="¼-page")])
    assert _titles(_get(client, "/tags/1-4-page")) == ["Quarter"]
    response = client.get("/tags/%C2%BC-page")
    assert response.status_code == 301
    assert response.headers["Location"] == "/tags/1-4-page"


def test_spellings_of_a_tag_are_one_tag(db_session: Session) -> None:
    assert services.parse_tags("Évaluation, evaluation, EVALUATION, sun") == ["évaluation", "sun"]
    designer = UserFactory()
    first = DesignFactory(designer=designer)
    second = DesignFactory(designer=designer)
    first.tags = services._tags(db_session, ["évaluation"])
    db_session.flush()
    second.tags = services._tags(db_session, ["evaluation"])
    db_session.flush()
    assert first.tags[0].id == second.tags[0].id
    assert second.tags[0].name == "évaluation"
    assert second.tags[0].slug == "evaluation"


@pytest.mark.parametrize("matches", [1, 20])
def test_search_costs_a_constant_number_of_queries(
    client: FlaskClient, db_session: Session, matches: int
) -> None:
    tags = [TagFactory(name=f"t{i}") for i in range(3)]
    for _ in range(matches):
        DesignFactory(
            title="Lighthouse",
            tags=tags,
            state=DesignState.ON_SALE,
            published_at=now_utc(),
            designer=UserFactory(),
        )
    VotingDesignFactory(title="Elsewhere", tags=tags)
    db_session.commit()
    engine = db_session.get_bind().engine  # type: ignore[union-attr]
    with count_queries(engine) as statements:
        page = _get(client, "/gallery?q=lighthouse")
    assert len(_titles(page)) == matches
    # Designs (designer joined; a card shows no tags or products), the popular tags.
    assert len(_selects(statements)) == 2, statements
    with count_queries(engine) as statements:
        page = _get(client, "/tags/t1?q=lighthouse")
    assert len(_titles(page)) == matches
    # The designs, and the tag's own row for its spelling; the popular tags are kept a while.
    assert len(_selects(statements)) == 2, statements


def _selects(statements: list[str]) -> list[str]:
    # The test's savepoints around each request are not the page's queries.
    return [s for s in statements if s.lstrip().upper().startswith("SELECT")]


def test_migration_backfills_and_merges_tags(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
    config = alembic_config(url)
    command.upgrade(config, "5c0a7d1e9b42")
    engine = create_engine(url)
    created = "2026-01-01 00:00:00"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, email, display_name, password_hash, role, "
                "session_version, is_active_account, created_at, bio) VALUES "
                "(1, 'ines@example.test', 'Inès', 'x', 'member', 1, 1, :created, '')"
            ),
            {"created": created},
        )
        conn.execute(
            text(
                "INSERT INTO designs (id, designer_id, title, description, state, "
                "state_reason, created_at, updated_at, original_key, thumb_webp_key, "
                "thumb_jpeg_key, gallery_webp_key, gallery_jpeg_key, width, height, "
                "vote_count, score_sum) VALUES (:id, 1, :title, '', 'voting', '', :created, "
                ":created, 'k1', 'k2', 'k3', 'k4', 'k5', 3000, 3000, 0, 0)"
            ),
            [
                {"id": 1, "title": "Évaluation Finale", "created": created},
                {"id": 2, "title": "Plain", "created": created},
            ],
        )
        conn.execute(
            text("INSERT INTO tags (id, name) VALUES (1, 'évaluation'), (2, 'evaluation')")
        )
        conn.execute(
            text("INSERT INTO design_tags (design_id, tag_id) VALUES (1, 1), (1, 2), (2, 2)")
        )
    command.upgrade(config, "head")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id, name, slug FROM tags")).all() == [
            (1, "évaluation", "evaluation")
        ]
        assert conn.execute(
            text("SELECT design_id, tag_id FROM design_tags ORDER BY design_id")
        ).all() == [(1, 1), (2, 1)]
        assert conn.execute(text("SELECT id, search_text FROM designs ORDER BY id")).all() == [
            (1, "ines evaluation finale evaluation"),
            (2, "ines plain evaluation"),
        ]
    command.downgrade(config, "5c0a7d1e9b42")
    engine.dispose()


def test_search_document_is_kept_by_the_model(db_session: Session) -> None:
    design = VotingDesignFactory(
        title="Œuvre Été", designer=UserFactory(display_name="Zoë"), tags=[TagFactory(name="café")]
    )
    db_session.flush()
    stored = db_session.scalars(
        text("SELECT search_text FROM designs WHERE id = :id").bindparams(id=design.id)
    ).one()
    assert stored == "zoe œuvre ete cafe"
    assert isinstance(design, Design)
