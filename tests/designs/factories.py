from __future__ import annotations

from datetime import timedelta

import factory

from cocreate.core.db import now_utc
from cocreate.designs.models import Design, DesignProduct, DesignState, Tag
from tests.accounts.factories import BaseFactory, UserFactory


class TagFactory(BaseFactory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"tag{n}")


class DesignFactory(BaseFactory):
    """A design whose files are not in storage: for lifecycle and listing tests."""

    class Meta:
        model = Design

    designer = factory.SubFactory(UserFactory)
    designer_id = factory.SelfAttribute("designer.id")
    title = factory.Sequence(lambda n: f"Design {n}")
    description = "A test design."
    state = DesignState.DRAFT
    original_key = factory.Sequence(lambda n: f"{n:064x}.png")
    thumb_webp_key = factory.Sequence(lambda n: f"{n:064x}.webp")
    thumb_jpeg_key = factory.Sequence(lambda n: f"{n:064x}.jpg")
    gallery_webp_key = factory.Sequence(lambda n: f"{n + 1:064x}.webp")
    gallery_jpeg_key = factory.Sequence(lambda n: f"{n + 1:064x}.jpg")
    width = 3000
    height = 3000
    products = factory.LazyFunction(lambda: [DesignProduct(product="tee")])


class VotingDesignFactory(DesignFactory):
    state = DesignState.VOTING
    submitted_at = factory.LazyFunction(lambda: now_utc() - timedelta(days=1))
    published_at = factory.LazyFunction(lambda: now_utc() - timedelta(days=1))
    voting_ends_at = factory.LazyFunction(lambda: now_utc() + timedelta(days=6))
