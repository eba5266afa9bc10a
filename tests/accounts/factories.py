from __future__ import annotations

import factory

from cocreate.accounts.models import Role, User
from cocreate.accounts.passwords import hash_password
from cocreate.core.db import now_utc
from tests import factories_session

PASSWORD = "correct horse battery staple"
# argon2 is slow on purpose; hash once for the whole run.
PASSWORD_HASH = hash_password(PASSWORD)


class BaseFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = factories_session.get
        sqlalchemy_session_persistence = "flush"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"member{n}@example.test")
    display_name = factory.Sequence(lambda n: f"Member {n}")
    password_hash = PASSWORD_HASH
    role = Role.MEMBER
    email_verified_at = factory.LazyFunction(now_utc)
    locale = "en"


class StaffFactory(UserFactory):
    role = Role.STAFF


class AdminFactory(UserFactory):
    role = Role.ADMIN
