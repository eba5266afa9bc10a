"""Fixtures of the checkout, order and refund tests (checkout's part of tests/shop)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.shop import cart, gateway
from tests.accounts.factories import StaffFactory
from tests.shop.fakes import FakeGateway


@pytest.fixture
def staff(db_session: Session) -> User:
    return StaffFactory(display_name="Stan Staff")


@pytest.fixture
def fake_gateway(app: Flask) -> FakeGateway:
    """The app's payment gateway for this test."""
    fake = FakeGateway()
    gateway.register(app, fake)
    return fake


@dataclass
class CartStub:
    """Stands in for the catalog's cart: checkout only calls its two functions."""

    lines: list[tuple[int, int]] = field(default_factory=list)
    cleared: int = 0

    def current_cart_lines(self, session: object) -> list[tuple[int, int]]:
        return list(self.lines)

    def clear_current_cart(self, session: object) -> None:
        self.lines = []
        self.cleared += 1


@pytest.fixture
def shop_cart(monkeypatch: pytest.MonkeyPatch) -> CartStub:
    stub = CartStub()
    monkeypatch.setattr(cart, "current_cart_lines", stub.current_cart_lines)
    monkeypatch.setattr(cart, "clear_current_cart", stub.clear_current_cart)
    return stub
