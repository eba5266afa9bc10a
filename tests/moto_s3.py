"""S3 tests run against moto's server on 127.0.0.1, with fake credentials and no AWS config."""

from __future__ import annotations

import os

import pytest


def fake_aws_environment(patch: pytest.MonkeyPatch) -> None:
    # Dummy credentials, and no config files or instance metadata lookups: nothing leaves
    # 127.0.0.1 and no real account can be touched.
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }.items():
        patch.setenv(name, value)
    patch.delenv("AWS_PROFILE", raising=False)
