from __future__ import annotations

import factory

from cocreate.core.money import Money
from cocreate.designs.models import DesignState
from cocreate.production.models import ProductionRun, RunLine, RunPrice, RunState
from tests.accounts.factories import BaseFactory, StaffFactory
from tests.designs.factories import DesignFactory


def tee_lines() -> list[RunLine]:
    return [
        RunLine(product="tee", colour="white", size="M", quantity=10, position=2),
        RunLine(product="tee", colour="black", size="L", quantity=4, position=9),
    ]


class RunFactory(BaseFactory):
    """A planned run of an approved tee design: 10 white M and 4 black L at 25.00 EUR."""

    class Meta:
        model = ProductionRun

    design = factory.SubFactory(DesignFactory, state=DesignState.APPROVED)
    design_id = factory.SelfAttribute("design.id")
    created_by = factory.SubFactory(StaffFactory)
    created_by_id = factory.SelfAttribute("created_by.id")
    state = RunState.PLANNED
    note = ""
    lines = factory.LazyFunction(tee_lines)
    prices = factory.LazyFunction(lambda: [RunPrice(product="tee", price=Money(2500, "EUR"))])
