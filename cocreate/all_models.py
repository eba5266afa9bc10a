"""Imports every domain's models so `Base.metadata` is complete (Alembic, tests)."""

from cocreate.accounts import models as accounts_models
from cocreate.core import outbox as outbox_models
from cocreate.core.db import Base
from cocreate.designs import models as designs_models
from cocreate.payments import models as payments_models
from cocreate.production import models as production_models
from cocreate.production import reprint_models as production_reprint_models
from cocreate.royalties import models as royalties_models
from cocreate.shop import cart_models as shop_cart_models
from cocreate.shop import models as shop_models
from cocreate.voting import comment_models as voting_comment_models
from cocreate.voting import flag_models as voting_flag_models
from cocreate.voting import models as voting_models
from cocreate.voting import notify_models as voting_notify_models

__all__ = [
    "Base",
    "accounts_models",
    "designs_models",
    "outbox_models",
    "payments_models",
    "production_models",
    "production_reprint_models",
    "royalties_models",
    "shop_cart_models",
    "shop_models",
    "voting_comment_models",
    "voting_flag_models",
    "voting_models",
    "voting_notify_models",
]
