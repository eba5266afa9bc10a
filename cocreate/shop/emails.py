"""The emails an order sends its buyer, through the outbox, in the buyer's language: the
confirmation once paid, the shipping notice with its tracking number, and each refund."""

from __future__ import annotations

from cocreate.core.mail import send_mail
from cocreate.shop import orders
from cocreate.shop.items import item_name
from cocreate.shop.models import Order, Refund


def send_confirmation(order: Order) -> None:
    send_mail(
        "order_confirmation",
        to=order.email,
        locale=order.locale,
        order=order,
        item_name=item_name,
        link=orders.order_link(order),
    )


def send_shipped(order: Order) -> None:
    send_mail(
        "order_shipped",
        to=order.email,
        locale=order.locale,
        order=order,
        item_name=item_name,
        link=orders.order_link(order),
    )


def send_refunded(order: Order, refund: Refund) -> None:
    send_mail(
        "order_refunded",
        to=order.email,
        locale=order.locale,
        order=order,
        refund=refund,
        link=orders.order_link(order),
    )
