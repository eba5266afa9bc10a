"""The approve form: a grid of quantities (product × colour × size), a price per product, a note.

The grid's fields depend on the design, so it is read by hand rather than declared with
WTForms; CSRF is checked for every POST by the app's CSRFProtect. Each bad field gets its own
message beside it; `services.check_plan` applies the same rules again as the last word.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import gettext as _

from cocreate.config import Config
from cocreate.core.i18n import format_money
from cocreate.core.inputs import clean_text
from cocreate.core.money import Money
from cocreate.production.services import MAX_NOTE, MAX_PRICE, Cell, Plan, ProductGrid

_WHOLE = re.compile(r"[0-9]{1,9}")
# Digits, then at most one decimal separator (a point, or the comma French readers type).
_AMOUNT = re.compile(r"[0-9]{1,9}(?:[.,][0-9]{1,9})?")


def quantity_field(cell: Cell) -> str:
    product, colour, size = cell
    return f"qty:{product}:{colour}:{size}"


def price_field(product: str) -> str:
    return f"price:{product}"


@dataclass
class PlanForm:
    """The form's values as text (what the page shows back) and its errors by field name."""

    grid: list[ProductGrid]
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    intent: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def from_plan(cls, grid: list[ProductGrid], plan: Plan) -> PlanForm:
        values = {quantity_field(cell): str(q) for cell, q in plan.quantities.items()}
        values.update({price_field(p): str(price.to_decimal()) for p, price in plan.prices.items()})
        values["note"] = plan.note
        return cls(grid=grid, values=values, intent=plan.intent)

    @classmethod
    def from_request(
        cls,
        grid: list[ProductGrid],
        form: Mapping[str, str],
        config: Config,
        intent: dict[str, dict[str, int]] | None = None,
    ) -> PlanForm:
        names = [quantity_field(c) for p in grid for c in p.cells()]
        names += [price_field(p.spec.key) for p in grid]
        values = {name: form.get(name, "").strip() for name in names}
        values["note"] = clean_text(form.get("note", "")).strip()
        parsed = cls(grid=grid, values=values, intent=intent or {})
        parsed._check(config)
        return parsed

    def _check(self, config: Config) -> None:
        limit = config.PRODUCTION_MAX_QUANTITY
        for product in self.grid:
            for cell in product.cells():
                name = quantity_field(cell)
                text = self.values[name]
                if text and not _WHOLE.fullmatch(text):
                    self.errors[name] = _("Enter a whole number, 0 or more.")
                elif text and int(text) > limit:
                    self.errors[name] = _("At most %(max)d.", max=limit)
            name = price_field(product.spec.key)
            if self._price(name, config.CURRENCY) is None:
                self.errors[name] = _(
                    "Enter a price above zero, at most %(max)s, such as 25.00.",
                    max=format_money(MAX_PRICE, config.CURRENCY),
                )
        if len(self.values["note"]) > MAX_NOTE:
            self.errors["note"] = _("At most %(max)d characters.", max=MAX_NOTE)
        if self.errors:
            self.messages.append(_("Please correct the fields marked below."))
        elif not any(self.quantity(cell) for p in self.grid for cell in p.cells()):
            self.messages.append(_("Please enter a quantity for at least one variant."))

    def _price(self, name: str, currency: str) -> Money | None:
        text = self.values[name].replace(",", ".")
        if not _AMOUNT.fullmatch(text):
            return None
        try:
            price = Money.from_decimal(text, currency)
        except ValueError:  # finer than a cent
            return None
        return price if 0 < price.amount <= MAX_PRICE else None

    def quantity(self, cell: Cell) -> int:
        text = self.values.get(quantity_field(cell), "")
        return int(text) if _WHOLE.fullmatch(text) else 0

    @property
    def valid(self) -> bool:
        return not self.errors and not self.messages

    def plan(self, currency: str) -> Plan:
        """The plan the form describes (only when `valid`)."""
        quantities = {cell: self.quantity(cell) for p in self.grid for cell in p.cells()}
        prices: dict[str, Money] = {}
        for product in self.grid:
            price = self._price(price_field(product.spec.key), currency)
            if price is not None:
                prices[product.spec.key] = price
        return Plan(
            quantities=quantities, prices=prices, note=self.values["note"], intent=self.intent
        )

    def product_total(self, product: str) -> int:
        return sum(self.quantity(c) for p in self.grid if p.spec.key == product for c in p.cells())
