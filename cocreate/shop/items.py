"""How a sold item is named to people: on the checkout page, in messages, emails and the
gateway's payment page ("“Midnight Tide”, T-shirt, black, M")."""

from __future__ import annotations

from flask_babel import gettext as _

from cocreate.catalogue import products


def variant_words(product: str, colour: str, size: str) -> list[str]:
    """The catalogue's names of a product, colour and size, in the reader's language; a key
    the catalogue no longer knows is shown as stored."""
    if not products.is_product(product):
        return [word for word in (product, colour, size) if word]
    spec = products.get(product)
    words = [str(spec.name)]
    if colour:
        try:
            words.append(str(spec.colour(colour).name))
        except KeyError:
            words.append(colour)
    size_names = {s.key: str(s.name) for s in spec.sizes}
    words.append(size_names.get(size, size))
    return words


def item_name(title: str, product: str, colour: str, size: str) -> str:
    return _(
        "“%(title)s”, %(variant)s",
        title=title,
        variant=", ".join(variant_words(product, colour, size)),
    )
