"""Content-addressed storage: keys, the three backends, and all-or-nothing multi-file puts."""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cocreate.core import storage as storage_module
from cocreate.core.storage import (
    CACHE_CONTROL,
    LocalStorage,
    MemoryStorage,
    S3Storage,
    Storage,
    content_type_for,
    digest_of,
    key_for,
    make_storage,
    put_many,
    validate_key,
)
from tests.designs.fakes import FailingStorage
from tests.moto_s3 import bucket_client, fake_aws_environment

DATA = b"\x89PNG pretend image bytes"
DIGEST = hashlib.sha256(DATA).hexdigest()
KEY = f"{DIGEST[:2]}/{DIGEST[2:4]}/{DIGEST}.png"
BUCKET = "cocreate-test"
#: 2001-09-09 in nanoseconds: a file date no test run can produce by writing the file.
PAST_NS = 1_000_000_000 * 1_000_000_000


# --- Keys ----------------------------------------------------------------------------------------


def test_key_is_the_hash_with_fan_out_directories() -> None:
    assert key_for(DATA, ".png") == KEY
    assert key_for(DATA, "png") == KEY
    assert digest_of(KEY) == DIGEST
    assert validate_key(KEY) == KEY


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "../../etc/passwd",
        "/etc/passwd",
        f"/{KEY}",
        f"{KEY}/../x.png",
        f"../{KEY}",
        KEY.upper(),
        KEY.replace(".png", ".gif"),
        KEY.replace(".png", ""),
        KEY.replace("/", "\\"),
        f"00/00/{DIGEST}.png",  # directories that do not match the hash
        f"{DIGEST[:2]}/{DIGEST[2:4]}/{DIGEST[:-1]}.png",
        f"{KEY}\n",
        f"{KEY}\x00.png",
    ],
)
def test_bad_keys_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        validate_key(bad)


def test_unknown_suffix_is_refused() -> None:
    with pytest.raises(ValueError, match="suffix"):
        key_for(DATA, ".svg")


def test_content_types() -> None:
    assert content_type_for(KEY) == "image/png"
    assert content_type_for(KEY.replace(".png", ".jpg")) == "image/jpeg"
    assert content_type_for(KEY.replace(".png", ".webp")) == "image/webp"
    with pytest.raises(ValueError):
        content_type_for("x.gif")


# --- The contract every backend keeps ------------------------------------------------------------


@pytest.fixture(params=["local", "memory", "s3"])
def any_storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "uploads")
    if request.param == "memory":
        return MemoryStorage()
    return request.getfixturevalue("s3_storage")


def test_put_open_exists_size_delete(any_storage: Storage) -> None:
    assert not any_storage.exists(KEY)
    assert any_storage.put(DATA, suffix=".png") == KEY
    assert any_storage.exists(KEY)
    assert any_storage.open(KEY) == DATA
    assert any_storage.size(KEY) == len(DATA)
    any_storage.delete(KEY)
    assert not any_storage.exists(KEY)
    any_storage.delete(KEY)  # deleting a missing file is fine


def test_put_is_idempotent(any_storage: Storage) -> None:
    assert any_storage.put(DATA, suffix=".png") == any_storage.put(DATA, suffix=".png")
    assert any_storage.open(KEY) == DATA


def test_missing_file_raises_file_not_found(any_storage: Storage) -> None:
    with pytest.raises(FileNotFoundError):
        any_storage.open(KEY)
    with pytest.raises(FileNotFoundError):
        any_storage.size(KEY)


@pytest.mark.parametrize("operation", ["open", "exists", "delete", "size"])
def test_bad_keys_are_refused_by_every_operation(any_storage: Storage, operation: str) -> None:
    with pytest.raises(ValueError):
        getattr(any_storage, operation)("../../etc/passwd")


def test_storage_backends_satisfy_the_protocol(tmp_path: Path) -> None:
    assert isinstance(LocalStorage(tmp_path), Storage)
    assert isinstance(MemoryStorage(), Storage)


# --- Local disk ----------------------------------------------------------------------------------


def test_local_file_lands_under_its_key_readable_and_without_temp_files(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    store.put(DATA, suffix=".png")
    path = tmp_path / KEY
    assert path.read_bytes() == DATA
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_local_put_does_not_rewrite_an_existing_file(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    store.put(DATA, suffix=".png")
    path = tmp_path / KEY
    # Dated 2001 instead of sleeping: a rewrite would give the file a new inode and today's mtime.
    os.utime(path, ns=(PAST_NS, PAST_NS))
    inode = path.stat().st_ino
    store.put(DATA, suffix=".png")
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (inode, PAST_NS)


def test_local_write_failure_leaves_no_file_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_fsync(fd: int) -> None:
        raise OSError("I/O error")

    monkeypatch.setattr(storage_module.os, "fsync", broken_fsync)
    store = LocalStorage(tmp_path)
    with pytest.raises(OSError, match="I/O error"):
        store.put(DATA, suffix=".png")
    assert not store.exists(KEY)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_local_crash_before_rename_never_exposes_a_half_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(src: str, dst: str) -> None:
        raise KeyboardInterrupt  # the process dies between writing and renaming

    monkeypatch.setattr(storage_module.os, "replace", crash)
    store = LocalStorage(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        store.put(DATA, suffix=".png")
    assert not (tmp_path / KEY).exists()


def test_stale_temp_files_are_swept(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    store.put(DATA, suffix=".png")
    stale = tmp_path / KEY[:5] / ".tmp-dead.part"
    fresh = tmp_path / KEY[:5] / ".tmp-busy.part"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"half")
    old = time.time() - 7200
    os.utime(stale, (old, old))
    assert store.remove_stale_temp_files(older_than_seconds=3600) == 1
    assert not stale.exists() and fresh.exists() and store.exists(KEY)


# --- Several files as one unit -------------------------------------------------------------------


def test_put_many_returns_keys_by_name() -> None:
    store = MemoryStorage()
    keys = put_many(store, {"a": (b"one", ".png"), "b": (b"two", ".webp")})
    assert keys == {"a": key_for(b"one", ".png"), "b": key_for(b"two", ".webp")}
    assert len(store) == 2


def test_put_many_rolls_back_what_it_created_only() -> None:
    store = FailingStorage(fail_on_put=4)
    existing = store.put(b"two", suffix=".png")  # put 1
    with pytest.raises(OSError, match="disk full"):
        put_many(store, {"a": (b"one", ".png"), "b": (b"two", ".png"), "c": (b"three", ".png")})
    assert store.keys() == [existing]


# --- S3, against moto's server on 127.0.0.1 ------------------------------------------------------


@pytest.fixture
def s3_client(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with bucket_client(moto_endpoint, BUCKET, monkeypatch) as client:
        yield client


@pytest.fixture
def s3_storage(s3_client: Any) -> S3Storage:
    return S3Storage(BUCKET, client=s3_client)


def test_s3_objects_are_typed_and_cacheable(s3_storage: S3Storage, s3_client: Any) -> None:
    key = s3_storage.put(DATA, suffix=".png")
    head = s3_client.head_object(Bucket=BUCKET, Key=key)
    assert head["ContentType"] == "image/png"
    assert head["CacheControl"] == CACHE_CONTROL == "public, max-age=31536000, immutable"


def test_s3_put_skips_existing_objects(s3_storage: S3Storage, s3_client: Any) -> None:
    # Uploads are counted on the client itself (botocore's event hooks) rather than compared by
    # LastModified, which has one-second resolution and would need the test to sleep.
    uploads: list[str] = []

    def record(params: dict[str, Any], **_kwargs: Any) -> None:
        uploads.append(params["Key"])

    s3_client.meta.events.register("before-parameter-build.s3.PutObject", record)
    key = s3_storage.put(DATA, suffix=".png")
    assert uploads == [KEY]
    first = s3_client.head_object(Bucket=BUCKET, Key=key)["ETag"]
    assert s3_storage.put(DATA, suffix=".png") == KEY
    assert uploads == [KEY]
    assert s3_client.head_object(Bucket=BUCKET, Key=key)["ETag"] == first
    assert s3_storage.open(KEY) == DATA


def test_make_storage_picks_the_backend(
    tmp_path: Path, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = make_storage({"UPLOAD_DIR": str(tmp_path), "S3_BUCKET": ""})
    assert isinstance(local, LocalStorage) and local.root == tmp_path

    fake_aws_environment(monkeypatch)
    remote = make_storage(
        {
            "UPLOAD_DIR": str(tmp_path),
            "S3_BUCKET": BUCKET,
            "S3_ENDPOINT_URL": moto_endpoint,
            "S3_REGION": "us-east-1",
        }
    )
    assert isinstance(remote, S3Storage) and remote.bucket == BUCKET
    remote._client.create_bucket(Bucket=BUCKET)
    try:
        assert remote.put(DATA, suffix=".png") == KEY
        assert remote.open(KEY) == DATA
    finally:
        remote.delete(KEY)
        remote._client.delete_bucket(Bucket=BUCKET)
