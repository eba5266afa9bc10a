"""S3 tests run against moto's server on 127.0.0.1, with fake credentials and no AWS config."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

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


@contextmanager
def bucket_client(endpoint: str, bucket: str, patch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A boto3 client on moto's server with `bucket` made empty, emptied and removed after."""
    import boto3

    fake_aws_environment(patch)
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    yield client
    for item in client.list_objects_v2(Bucket=bucket).get("Contents", []):
        client.delete_object(Bucket=bucket, Key=item["Key"])
    client.delete_bucket(Bucket=bucket)
