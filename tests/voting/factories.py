"""Votes written straight to the database (for pages and ranking tests). They move no counters:
tests that need counters matching the rows cast votes through the service, or call `counted`."""

from __future__ import annotations

import factory

from cocreate.core.db import now_utc
from cocreate.voting.models import Vote
from tests.accounts.factories import BaseFactory, UserFactory
from tests.designs.factories import VotingDesignFactory


class VoteFactory(BaseFactory):
    class Meta:
        model = Vote

    class Params:
        design = factory.SubFactory(VotingDesignFactory)
        voter = factory.SubFactory(UserFactory)

    design_id = factory.SelfAttribute("design.id")
    voter_id = factory.SelfAttribute("voter.id")
    score = 4
    buy = False
    product = ""
    size = ""
    ip_hash = ""
    counted = True
    created_at = factory.LazyFunction(now_utc)
    updated_at = factory.LazyFunction(now_utc)
