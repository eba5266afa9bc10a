"""Imports every domain's models so `Base.metadata` is complete (Alembic, tests)."""

from cocreate.accounts import models as accounts_models
from cocreate.core import outbox as outbox_models
from cocreate.core.db import Base
from cocreate.designs import models as designs_models
from cocreate.production import models as production_models
from cocreate.shop import models as shop_models
from cocreate.voting import comment_models as voting_comment_models
from cocreate.voting import models as voting_models
from cocreate.voting import notify_models as voting_notify_models

__all__ = [
    "Base",
    "accounts_models",
    "designs_models",
    "outbox_models",
    "production_models",
    "shop_models",
    "voting_comment_models",
    "voting_models",
    "voting_notify_models",
]
