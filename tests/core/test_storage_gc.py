"""`flask storage gc`: unreferenced files older than the grace period go, everything else stays.

File ages are set, never waited for: os.utime on disk, the clock of MemoryStorage, and on S3 (whose
objects are all "just written") a `now` one day in the future.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.core import db
from cocreate.core.storage import (
    CACHE_CONTROL,
    LocalStorage,
    MemoryStorage,
    S3Storage,
    Storage,
    StoredFile,
    key_for,
    put_many,
)
from cocreate.core.storage_gc import collect_garbage, key_columns, referenced_among
from cocreate.designs import services
from cocreate.designs.models import Design, Mockup
from tests.accounts.factories import UserFactory
from tests.designs.factories import DesignFactory
from tests.moto_s3 import bucket_client

GRACE = timedelta(hours=24)
# Whole seconds: file systems and S3 keep no finer times that the tests could rely on.
NOW = datetime.now(UTC).replace(microsecond=0)
LONG_AGO = NOW - timedelta(days=30)
OLD = NOW - timedelta(hours=25)
FRESH = NOW - timedelta(hours=23)

REFERENCED_DATA = [b"referenced one", b"referenced two", b"referenced three"]
OLD_ORPHAN_DATA = [b"orphan one", b"orphan two!"]  # 10 and 11 bytes
FRESH_ORPHAN_DATA = b"fresh orphan"

KEY_COLUMNS = [
    "designs.gallery_jpeg_key",
    "designs.gallery_webp_key",
    "designs.original_key",
    "designs.thumb_jpeg_key",
    "designs.thumb_webp_key",
    "mockups.key",
    "users.avatar_key",
]


class Aged:
    """A backend plus a way to store a file as if it had been written at a given time."""

    def __init__(self, storage: Storage, put_at: Callable[[bytes, datetime], str]) -> None:
        self.storage = storage
        self.put_at = put_at


def _local(tmp_path: Path) -> Aged:
    store = LocalStorage(tmp_path / "uploads")

    def put_at(data: bytes, when: datetime) -> str:
        key = store.put(data, suffix=".png")
        os.utime(store.root / key, (when.timestamp(), when.timestamp()))
        return key

    return Aged(store, put_at)


def _memory() -> Aged:
    clock = [NOW]
    store = MemoryStorage(clock=lambda: clock[0])

    def put_at(data: bytes, when: datetime) -> str:
        clock[0] = when
        key = store.put(data, suffix=".png")
        clock[0] = NOW
        return key

    return Aged(store, put_at)


@pytest.fixture(params=["local", "memory"])
def aged(request: pytest.FixtureRequest, tmp_path: Path) -> Aged:
    return _local(tmp_path) if request.param == "local" else _memory()


class Scenario:
    """3 referenced files, 2 old orphans and 1 fresh orphan."""

    def __init__(self, aged: Aged) -> None:
        self.storage = aged.storage
        self.referenced = [aged.put_at(data, LONG_AGO) for data in REFERENCED_DATA]
        self.old_orphans = [aged.put_at(data, OLD) for data in OLD_ORPHAN_DATA]
        self.fresh_orphan = aged.put_at(FRESH_ORPHAN_DATA, FRESH)
        self.in_use = set(self.referenced)
        self.calls: list[list[str]] = []

    def referenced_among(self, keys: Sequence[str]) -> set[str]:
        self.calls.append(list(keys))
        return self.in_use & set(keys)

    def stored(self) -> set[str]:
        return {f.key for f in self.storage.list_files()}


def test_dry_run_lists_exactly_the_old_orphans_and_deletes_nothing(aged: Aged) -> None:
    scenario = Scenario(aged)
    result = collect_garbage(aged.storage, scenario.referenced_among, now=NOW, grace=GRACE)
    assert result.dry_run
    assert [f.key for f in result.orphans] == sorted(scenario.old_orphans)
    assert result.bytes == 21
    assert result.scanned == 6
    assert scenario.stored() == {
        *scenario.referenced,
        *scenario.old_orphans,
        scenario.fresh_orphan,
    }


def test_delete_removes_exactly_the_old_orphans(aged: Aged) -> None:
    scenario = Scenario(aged)
    result = collect_garbage(
        aged.storage, scenario.referenced_among, now=NOW, grace=GRACE, delete=True
    )
    assert sorted(f.key for f in result.orphans) == sorted(scenario.old_orphans)
    assert (result.bytes, result.kept) == (21, 0)
    assert scenario.stored() == {*scenario.referenced, scenario.fresh_orphan}
    for key in scenario.old_orphans:
        assert not aged.storage.exists(key)
    assert aged.storage.open(scenario.fresh_orphan) == b"fresh orphan"


def test_grace_boundary_is_exclusive(aged: Aged) -> None:
    at_cutoff = aged.put_at(b"exactly 24 hours old", NOW - timedelta(hours=24))
    just_older = aged.put_at(b"24 hours and a second", NOW - timedelta(hours=24, seconds=1))
    result = collect_garbage(aged.storage, lambda keys: set(), now=NOW, grace=GRACE, delete=True)
    assert [f.key for f in result.orphans] == [just_older]
    assert aged.storage.exists(at_cutoff)


def test_references_are_read_after_listing(aged: Aged) -> None:
    """A row committed after the files were listed still saves its file."""
    scenario = Scenario(aged)
    listed = aged.storage.list_files

    def list_then_commit() -> Iterator[StoredFile]:
        yield from listed()
        scenario.in_use.add(scenario.old_orphans[0])  # an upload commits, reusing these bytes

    aged.storage.list_files = list_then_commit  # type: ignore[method-assign]
    result = collect_garbage(
        aged.storage, scenario.referenced_among, now=NOW, grace=GRACE, delete=True
    )
    assert [f.key for f in result.orphans] == [scenario.old_orphans[1]]
    assert aged.storage.exists(scenario.old_orphans[0])


def test_a_file_touched_after_listing_is_kept(aged: Aged) -> None:
    """An upload of the same bytes touches the file before committing: not deleted under it."""
    scenario = Scenario(aged)

    def referenced_while_uploading(keys: Sequence[str]) -> set[str]:
        put_many(aged.storage, {"original": (b"orphan one", ".png")})
        return scenario.referenced_among(keys)

    # MemoryStorage's clock reads NOW for a touch; on disk a touch stamps the real time.
    result = collect_garbage(
        aged.storage, referenced_while_uploading, now=NOW, grace=GRACE, delete=True
    )
    assert [f.key for f in result.orphans] == [scenario.old_orphans[1]]
    assert result.kept == 1
    assert aged.storage.exists(scenario.old_orphans[0])


def test_references_are_checked_batch_by_batch(aged: Aged) -> None:
    orphans = sorted(aged.put_at(f"orphan {n}".encode(), OLD) for n in range(5))
    scenario_calls: list[list[str]] = []

    def none_referenced(keys: Sequence[str]) -> set[str]:
        scenario_calls.append(list(keys))
        return set()

    result = collect_garbage(
        aged.storage, none_referenced, now=NOW, grace=GRACE, delete=True, batch_size=2
    )
    assert scenario_calls == [orphans[0:2], orphans[2:4], orphans[4:5]]
    assert [f.key for f in result.orphans] == orphans
    assert list(aged.storage.list_files()) == []


def test_young_files_are_not_even_looked_up(aged: Aged) -> None:
    scenario = Scenario(aged)
    collect_garbage(aged.storage, scenario.referenced_among, now=NOW, grace=GRACE)
    looked_up = [key for call in scenario.calls for key in call]
    assert sorted(looked_up) == sorted([*scenario.referenced, *scenario.old_orphans])


def test_grace_must_be_positive() -> None:
    with pytest.raises(ValueError, match="grace period must be positive"):
        collect_garbage(MemoryStorage(), lambda keys: set(), now=NOW, grace=timedelta(0))


def test_put_many_touches_files_it_finds_already_stored(aged: Aged) -> None:
    key = aged.put_at(b"shared bytes", OLD)
    put_many(aged.storage, {"original": (b"shared bytes", ".png")})
    (stored,) = aged.storage.list_files()
    assert stored.key == key and stored.modified > OLD


# --- Local disk: nothing but keys, nothing outside the root --------------------------------------


def test_local_lists_only_files_named_like_keys(tmp_path: Path) -> None:
    aged = _local(tmp_path)
    key = aged.put_at(b"real", OLD)
    root = tmp_path / "uploads"
    strays = [
        root / "notes.txt",
        root / key[:6] / ".tmp-crashed.part",
        root / "00" / "00" / (key.split("/")[2]),  # a real name in the wrong directories
        root / key[:6] / key.split("/")[2].replace(".png", ".gif"),
    ]
    for stray in strays:
        stray.parent.mkdir(parents=True, exist_ok=True)
        stray.write_bytes(b"not ours")
        os.utime(stray, (OLD.timestamp(), OLD.timestamp()))
    assert [f.key for f in aged.storage.list_files()] == [key]
    result = collect_garbage(aged.storage, lambda keys: set(), now=NOW, grace=GRACE, delete=True)
    assert [f.key for f in result.orphans] == [key]
    assert all(stray.read_bytes() == b"not ours" for stray in strays)


def test_local_never_deletes_through_symlinks(tmp_path: Path) -> None:
    root = tmp_path / "uploads"
    outside = tmp_path / "elsewhere"
    key = key_for(b"precious", ".png")
    target = outside / key
    target.parent.mkdir(parents=True)
    target.write_bytes(b"precious")
    os.utime(target, (OLD.timestamp(), OLD.timestamp()))
    # A linked fan-out directory, and a key-named link to a file outside the root.
    root.mkdir()
    (root / key[:2]).symlink_to(outside / key[:2], target_is_directory=True)
    other = key_for(b"also precious", ".png")
    other_target = outside / "file.png"
    other_target.write_bytes(b"also precious")
    (root / other[:5]).mkdir(parents=True)
    (root / other).symlink_to(other_target)
    store = LocalStorage(root)
    assert list(store.list_files()) == []
    assert not store.delete_if_older(key, NOW)
    assert not store.delete_if_older(other, NOW)
    assert target.read_bytes() == b"precious" and other_target.read_bytes() == b"also precious"
    assert (root / other).is_symlink()


def test_missing_or_bad_keys(aged: Aged) -> None:
    assert not aged.storage.delete_if_older(key_for(b"never stored", ".png"), NOW)
    assert not aged.storage.touch(key_for(b"never stored", ".png"))
    with pytest.raises(ValueError):
        aged.storage.delete_if_older("../../etc/passwd", NOW)
    with pytest.raises(ValueError):
        aged.storage.touch("../../etc/passwd")


# --- S3, against moto's server on 127.0.0.1 ------------------------------------------------------

BUCKET = "cocreate-gc-test"


@pytest.fixture
def s3_client(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with bucket_client(moto_endpoint, BUCKET, monkeypatch) as client:
        yield client


def _bucket_keys(client: Any) -> set[str]:
    return {item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def test_s3_gc(s3_client: Any) -> None:
    store = S3Storage(BUCKET, client=s3_client)
    referenced = {store.put(data, suffix=".png") for data in REFERENCED_DATA}
    orphans = sorted(store.put(data, suffix=".png") for data in OLD_ORPHAN_DATA)
    s3_client.put_object(Bucket=BUCKET, Key="README.txt", Body=b"not a key")

    def referenced_among(keys: Sequence[str]) -> set[str]:
        return referenced & set(keys)

    # Everything was just written: nothing is old enough yet.
    now = datetime.now(UTC)
    result = collect_garbage(store, referenced_among, now=now, grace=GRACE, delete=True)
    assert (result.orphans, result.scanned) == ([], 5)

    # A day later (S3 cannot backdate an object, so the clock moves instead).
    later = now + timedelta(hours=25)
    dry = collect_garbage(store, referenced_among, now=later, grace=GRACE)
    assert [f.key for f in dry.orphans] == orphans and dry.bytes == 21
    assert _bucket_keys(s3_client) == {*referenced, *orphans, "README.txt"}

    done = collect_garbage(store, referenced_among, now=later, grace=GRACE, delete=True)
    assert [f.key for f in done.orphans] == orphans
    assert _bucket_keys(s3_client) == {*referenced, "README.txt"}


def test_s3_delete_if_older_rereads_the_time(s3_client: Any) -> None:
    store = S3Storage(BUCKET, client=s3_client)
    key = store.put(b"young", suffix=".png")
    assert not store.delete_if_older(key, datetime.now(UTC) - timedelta(hours=1))
    assert store.exists(key)
    assert store.delete_if_older(key, datetime.now(UTC) + timedelta(hours=1))
    assert not store.exists(key)
    assert not store.delete_if_older(key, datetime.now(UTC) + timedelta(hours=1))


def test_s3_touch_keeps_type_and_cache_headers(s3_client: Any) -> None:
    store = S3Storage(BUCKET, client=s3_client)
    key = store.put(b"touched", suffix=".png")
    assert store.touch(key)
    head = s3_client.head_object(Bucket=BUCKET, Key=key)
    assert head["ContentType"] == "image/png"
    assert head["CacheControl"] == "public, max-age=31536000, immutable" == CACHE_CONTROL
    assert store.open(key) == b"touched"
    assert not store.touch(key_for(b"never stored", ".png"))


# --- What the app registers, and the command ------------------------------------------------------


def test_every_key_column_is_registered(app: Flask) -> None:
    registered = sorted(str(column.expression) for column in key_columns(app))
    assert registered == KEY_COLUMNS
    # A new column holding keys must be registered, or gc would delete its files.
    from cocreate.core.db import Base

    named_like_keys = sorted(
        f"{table.name}.{column.name}"
        for table in Base.metadata.tables.values()
        for column in table.columns
        if column.name == "key" or column.name.endswith("_key")
    )
    assert named_like_keys == KEY_COLUMNS


def test_no_registered_columns_means_refusal(db_session: Session) -> None:
    with pytest.raises(RuntimeError, match="no storage key columns"):
        referenced_among(db_session, [], ["ab/cd/whatever.png"])


def _age(app: Flask, key: str, when: datetime) -> None:
    path = Path(app.config["UPLOAD_DIR"]) / key
    os.utime(path, (when.timestamp(), when.timestamp()))


def _store(app: Flask, data: bytes, when: datetime, suffix: str = ".png") -> str:
    key = app.extensions["cocreate.storage"].put(data, suffix=suffix)
    _age(app, key, when)
    return key


@pytest.fixture
def rows_and_files(app: Flask, db_session: Session) -> dict[str, Any]:
    """An avatar, a design with one mockup, 2 old orphans and 1 fresh orphan (real clock)."""
    now = datetime.now(UTC)
    long_ago = now - timedelta(days=30)
    avatar = _store(app, b"avatar", long_ago, ".webp")
    UserFactory(avatar_key=avatar)
    design_keys = {
        name: _store(app, f"design {name}".encode(), long_ago, suffix)
        for name, suffix in [
            ("original_key", ".png"),
            ("thumb_webp_key", ".webp"),
            ("thumb_jpeg_key", ".jpg"),
            ("gallery_webp_key", ".webp"),
            ("gallery_jpeg_key", ".jpg"),
        ]
    }
    design = DesignFactory(**design_keys)
    mockup = _store(app, b"mockup", long_ago, ".webp")
    db_session.add(Mockup(design_id=design.id, product="tee", colour="black", key=mockup))
    db_session.flush()
    old = now - timedelta(hours=25)
    return {
        "kept": {avatar, mockup, *design_keys.values()},
        "orphans": sorted(_store(app, data, old) for data in OLD_ORPHAN_DATA),
        "fresh": _store(app, FRESH_ORPHAN_DATA, now - timedelta(hours=23)),
    }


def _files_on_disk(app: Flask) -> set[str]:
    root = Path(app.config["UPLOAD_DIR"])
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}


def test_cli_dry_run_then_delete(app: Flask, rows_and_files: dict[str, Any]) -> None:
    first, second = rows_and_files["orphans"]
    everything = {*rows_and_files["kept"], first, second, rows_and_files["fresh"]}
    runner = app.test_cli_runner()

    result = runner.invoke(args=["storage", "gc"])
    assert result.exit_code == 0, result.output
    sizes = {key_for(b"orphan one", ".png"): 10, key_for(b"orphan two!", ".png"): 11}
    assert result.output == (
        f"would delete {first} ({sizes[first]} bytes)\n"
        f"would delete {second} ({sizes[second]} bytes)\n"
        "Dry run: would delete 2 unreferenced file(s) older than 24 hour(s), 21 bytes, "
        "out of 10 stored file(s). Run with --delete to delete them.\n"
    )
    assert _files_on_disk(app) == everything

    result = runner.invoke(args=["storage", "gc", "--delete"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"deleted {first} ({sizes[first]} bytes)\n"
        f"deleted {second} ({sizes[second]} bytes)\n"
        "Deleted 2 unreferenced file(s) older than 24 hour(s), 21 bytes, "
        "out of 10 stored file(s).\n"
    )
    assert _files_on_disk(app) == {*rows_and_files["kept"], rows_and_files["fresh"]}

    result = runner.invoke(args=["storage", "gc", "--delete"])
    assert result.output == (
        "Deleted 0 unreferenced file(s) older than 24 hour(s), 0 bytes, out of 8 stored file(s).\n"
    )


def test_cli_delete_sweeps_temp_files_of_interrupted_writes(app: Flask) -> None:
    key = _store(app, b"kept", datetime.now(UTC))
    directory = Path(app.config["UPLOAD_DIR"]) / key[:5]
    stale, busy = directory / ".tmp-dead.part", directory / ".tmp-busy.part"
    stale.write_bytes(b"half")
    busy.write_bytes(b"half")
    _age(
        app,
        stale.relative_to(app.config["UPLOAD_DIR"]).as_posix(),
        datetime.now(UTC) - timedelta(hours=25),
    )
    runner = app.test_cli_runner()
    assert "temporary" not in runner.invoke(args=["storage", "gc"]).output
    assert stale.exists()
    result = runner.invoke(args=["storage", "gc", "--delete"])
    assert result.output == (
        "Deleted 0 unreferenced file(s) older than 24 hour(s), 0 bytes, out of 1 stored file(s).\n"
        "Removed 1 temporary file(s) left by interrupted writes.\n"
    )
    assert not stale.exists() and busy.exists() and (directory.parent.parent / key).exists()


def test_cli_grace_hours_option(app: Flask, rows_and_files: dict[str, Any]) -> None:
    result = app.test_cli_runner().invoke(args=["storage", "gc", "--grace-hours", "22"])
    assert result.exit_code == 0, result.output
    assert "would delete 3 unreferenced file(s) older than 22 hour(s), 33 bytes" in result.output


@pytest.mark.parametrize("app_overrides", [{"STORAGE_GC_GRACE_HOURS": 26}])
def test_cli_grace_hours_setting(
    app: Flask, rows_and_files: dict[str, Any], app_overrides: dict[str, int]
) -> None:
    result = app.test_cli_runner().invoke(args=["storage", "gc"])
    assert "would delete 0 unreferenced file(s) older than 26 hour(s), 0 bytes" in result.output


def test_cli_refuses_a_grace_under_one_hour(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["storage", "gc", "--grace-hours", "0"])
    assert result.exit_code == 2
    assert "0 is not in the range x>=1" in result.output


def test_an_avatar_keeps_its_file(app: Flask, db_session: Session) -> None:
    key = _store(app, b"my face", datetime.now(UTC) - timedelta(days=400), ".webp")
    user = UserFactory(avatar_key=key)
    result = app.test_cli_runner().invoke(args=["storage", "gc", "--delete"])
    assert "Deleted 0 unreferenced file(s)" in result.output
    assert _files_on_disk(app) == {key}

    user.avatar_key = None  # removed from the settings page
    db_session.flush()
    result = app.test_cli_runner().invoke(args=["storage", "gc", "--delete"])
    assert "Deleted 1 unreferenced file(s) older than 24 hour(s), " in result.output
    assert _files_on_disk(app) == set()


def _png(size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("app_overrides", [{"PRODUCT_MIN_LONG_SIDE": {"tee": 300}}])
def test_replaced_artwork_becomes_collectable(
    app: Flask, db_session: Session, request_ctx: None, app_overrides: dict[str, object]
) -> None:
    storage = app.extensions["cocreate.storage"]
    designer = UserFactory()
    fields = services.DesignFields(title="Tide", products={"tee"})
    design = services.create_design(
        db_session, storage, designer, fields, _png((400, 400), (20, 40, 200))
    )
    db.commit()  # the derivatives job runs after the commit (inline under ENV=testing)
    db_session.refresh(design)
    old_keys = _design_keys(design)
    services.update_design(
        db_session, storage, design, designer, fields, _png((500, 400), (200, 40, 20))
    )
    db.commit()
    db_session.refresh(design)
    new_keys = _design_keys(design)
    # The master, the web sizes (one WebP and one JPEG for the 400 px image: thumb and gallery are
    # the same files) and the 9 mockups.
    assert (len(old_keys), len(new_keys)) == (12, 14)
    assert old_keys.isdisjoint(new_keys)
    columns = key_columns(app)
    assert referenced_among(db_session, columns, sorted(old_keys)) == set()
    assert referenced_among(db_session, columns, sorted(new_keys)) == new_keys

    # Nothing is old yet; a day later exactly the replaced files go.
    def referenced(keys: Sequence[str]) -> set[str]:
        return referenced_among(db_session, columns, keys)

    now = datetime.now(UTC)
    assert collect_garbage(storage, referenced, now=now, grace=GRACE).orphans == []
    later = now + timedelta(hours=25)
    result = collect_garbage(storage, referenced, now=later, grace=GRACE, delete=True)
    assert {f.key for f in result.orphans} == old_keys
    assert _files_on_disk(app) == new_keys
    assert db_session.get(User, designer.id) is not None
    assert db_session.get(Design, design.id) is not None


def _design_keys(design: Design) -> set[str]:
    return {
        design.original_key,
        design.thumb_webp_key,
        design.thumb_jpeg_key,
        design.gallery_webp_key,
        design.gallery_jpeg_key,
        *(m.key for m in design.mockups),
    }
