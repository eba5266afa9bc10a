"""Content-addressed file storage: local disk, memory (tests) and S3.

A key is derived from the bytes it names (`ab/cd/<sha256>.<suffix>`), so a key never changes
meaning: files are immutable, can be cached forever and are written at most once. Whoever holds a
key can also check it against the bytes, which is why the media view uses the hash as its ETag.

Files are never deleted by the code that stops using them (another row may share the same bytes):
`flask storage gc` (core/storage_gc.py) lists them with their last-write time and deletes those no
row references once they are old enough. A write of bytes that are already stored refreshes that
time (`touch`), so a file about to be referenced again looks as new as a freshly written one.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

log = logging.getLogger(__name__)

#: Sent with every stored file: the name changes whenever the bytes do, so caches may keep it.
CACHE_CONTROL = "public, max-age=31536000, immutable"

CONTENT_TYPES: Mapping[str, str] = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".webp": "image/webp",
}

# Strict on purpose: the key becomes a filesystem path and an S3 object name, so anything that is
# not exactly what `key_for` produces is refused rather than cleaned up.
_KEY_RE = re.compile(r"([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})(\.png|\.jpg|\.webp)")

_TEMP_PREFIX = ".tmp-"


def normalise_suffix(suffix: str) -> str:
    """`"webp"` or `".webp"` -> `".webp"`; ValueError for anything not servable."""
    normalised = suffix if suffix.startswith(".") else "." + suffix
    if normalised not in CONTENT_TYPES:
        raise ValueError(f"unsupported suffix {suffix!r}; expected one of {sorted(CONTENT_TYPES)}")
    return normalised


def key_for(data: bytes, suffix: str) -> str:
    """The key `put(data, suffix=suffix)` stores under, without storing anything."""
    digest = hashlib.sha256(data).hexdigest()
    return f"{digest[:2]}/{digest[2:4]}/{digest}{normalise_suffix(suffix)}"


def validate_key(key: str) -> str:
    """Return `key` unchanged if it is a well-formed storage key, else raise ValueError."""
    match = _KEY_RE.fullmatch(key) if isinstance(key, str) else None
    if match is None:
        raise ValueError(f"not a storage key: {key!r}")
    first, second, digest, _suffix = match.groups()
    if digest[:2] != first or digest[2:4] != second:
        raise ValueError(f"storage key directories do not match its hash: {key!r}")
    return key


def digest_of(key: str) -> str:
    """The sha256 hex digest a valid key names (ValueError for a bad key)."""
    return _KEY_RE.fullmatch(validate_key(key)).group(3)  # type: ignore[union-attr]


def content_type_for(key: str) -> str:
    """MIME type from the key's suffix (ValueError for an unknown suffix)."""
    suffix = os.path.splitext(key)[1]
    try:
        return CONTENT_TYPES[suffix]
    except KeyError:
        raise ValueError(f"no content type for {key!r}") from None


@dataclass(frozen=True)
class StoredFile:
    key: str
    size: int
    #: When the file was last written or touched (aware UTC).
    modified: datetime


@runtime_checkable
class Storage(Protocol):
    """What the app needs from a file store. Missing keys raise FileNotFoundError."""

    def put(self, data: bytes, *, suffix: str) -> str:
        """Store `data`, return its key; storing the same bytes again is a no-op."""
        ...

    def open(self, key: str) -> bytes:
        """The stored bytes."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove the file; a missing file is not an error."""
        ...

    def size(self, key: str) -> int:
        """Size in bytes."""
        ...

    def touch(self, key: str) -> bool:
        """Mark an existing file as just written; False (and nothing done) if it is missing."""
        ...

    def list_files(self) -> Iterator[StoredFile]:
        """Every stored file, in key order. Anything not named like a key is skipped, never
        listed: temporary files, strays, whatever else shares the directory or bucket."""
        ...

    def delete_if_older(self, key: str, cutoff: datetime) -> bool:
        """Delete the file only if it was last written before `cutoff`; True if it was deleted.

        The time is read again at deletion, so a file written or touched since it was listed
        survives.
        """
        ...


#: Writes of one `put_many` in flight at once: they wait on the disk (each local put fsyncs the
#: file and its new directories) or the network (each S3 put is a round trip), not on the CPU, so
#: an upload's dozen files written side by side wait about as long as one.
PUT_THREADS = 8


def put_many(storage: Storage, files: Mapping[str, tuple[bytes, str]]) -> dict[str, str]:
    """Store several files as one unit, side by side: `{name: (data, suffix)}` -> `{name: key}`.

    If any put fails, the files this call created are deleted before the first error
    propagates, so a failed upload leaves nothing behind. Files that already existed (same bytes
    uploaded earlier, for another design) are left alone: they belong to someone else. The
    exists-then-put check is not atomic, so a concurrent upload of identical bytes could in
    theory lose its file during a rollback; content-addressed names make that a re-upload,
    never a wrong file.
    """

    def put(data: bytes, suffix: str) -> tuple[str, bool]:
        # Touching an existing file (rather than only checking it exists) makes it look new to
        # `storage gc`, which spares young files: an unreferenced file about to be referenced
        # again by this upload is not deleted before the upload commits.
        existed = storage.touch(key_for(data, suffix))
        return storage.put(data, suffix=suffix), not existed

    if not files:
        return {}
    with ThreadPoolExecutor(max_workers=min(PUT_THREADS, len(files))) as pool:
        futures = {name: pool.submit(put, data, suffix) for name, (data, suffix) in files.items()}
    errors = [error for future in futures.values() if (error := future.exception()) is not None]
    if errors:
        for future in futures.values():
            if future.exception() is None and future.result()[1]:
                try:
                    storage.delete(future.result()[0])
                except Exception:  # the original error matters more; log and keep cleaning up
                    log.exception(
                        "could not remove %s while rolling back a failed store",
                        future.result()[0],
                    )
        raise errors[0]
    return {name: future.result()[0] for name, future in futures.items()}


class LocalStorage:
    """Files under `root`, written to a temporary name, fsynced, then atomically renamed."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / validate_key(key)

    def put(self, data: bytes, *, suffix: str) -> str:
        key = key_for(data, suffix)
        path = self._path(key)
        if path.is_file():
            return key
        new_dirs = [parent for parent in (path.parent.parent, path.parent) if not parent.is_dir()]
        path.parent.mkdir(parents=True, exist_ok=True)
        # Same directory as the target, so os.replace is a rename within one filesystem.
        fd, temp_name = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=".part", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            # mkstemp creates 0600; stored files are public content a web server may serve.
            os.chmod(temp_name, 0o644)
            os.replace(temp_name, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp_name)
            raise
        # The rename (and any new directory) is only durable once its directory entry is.
        for directory in (path.parent, *(d.parent for d in new_dirs)):
            _fsync_directory(directory)
        return key

    def open(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size

    def touch(self, key: str) -> bool:
        try:
            os.utime(self._path(key))
        except FileNotFoundError:
            return False
        return True

    def list_files(self) -> Iterator[StoredFile]:
        # Real directories and regular files only: a symlink could lead outside the root.
        for first in _subdirectories(self.root):
            for second in _subdirectories(first):
                for entry in sorted(os.scandir(second), key=lambda e: e.name):
                    key = f"{first.name}/{second.name}/{entry.name}"
                    if not _is_key(key) or not entry.is_file(follow_symlinks=False):
                        continue
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except FileNotFoundError:  # deleted since the directory was read
                        continue
                    yield StoredFile(key, info.st_size, _utc(info.st_mtime))

    def delete_if_older(self, key: str, cutoff: datetime) -> bool:
        path = self._path(key)
        # Never through a symlinked directory or onto a symlink: only files inside the root.
        if not path.parent.resolve().is_relative_to(self.root.resolve()):
            return False
        try:
            info = path.lstat()
            if not stat.S_ISREG(info.st_mode) or _utc(info.st_mtime) >= cutoff:
                return False
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def remove_stale_temp_files(self, older_than_seconds: float = 3600.0) -> int:
        """Delete temp files a killed process left behind; returns how many were removed.

        A crash between write and rename leaves a `.tmp-*.part` file, never a half file under a
        real key. Only old ones are removed so an upload in progress is not disturbed.
        """
        cutoff = time.time() - older_than_seconds
        removed = 0
        for temp in self._temp_files():
            with contextlib.suppress(FileNotFoundError):
                if temp.stat().st_mtime < cutoff:
                    temp.unlink()
                    removed += 1
        return removed

    def _temp_files(self) -> Iterator[Path]:
        if self.root.is_dir():
            yield from self.root.glob(f"*/*/{_TEMP_PREFIX}*.part")

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"


def _subdirectories(directory: Path) -> list[Path]:
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return []
    return sorted(Path(entry.path) for entry in entries if entry.is_dir(follow_symlinks=False))


def _is_key(name: str) -> bool:
    try:
        validate_key(name)
    except ValueError:
        return False
    return True


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # platforms where directories cannot be opened (Windows)
        return
    try:
        # Some filesystems refuse fsync on directories; the rename has still happened.
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


class MemoryStorage:
    """A dict behind the Storage interface, for tests and throwaway demos.

    `clock` stamps each write, so tests choose how old a file is without waiting.
    """

    def __init__(self, clock: Callable[[], datetime] = _utc_now) -> None:
        self._files: dict[str, bytes] = {}
        self._modified: dict[str, datetime] = {}
        self._clock = clock
        self._lock = threading.Lock()

    def put(self, data: bytes, *, suffix: str) -> str:
        key = key_for(data, suffix)
        with self._lock:
            if key not in self._files:
                self._files[key] = bytes(data)
                self._modified[key] = self._clock()
        return key

    def open(self, key: str) -> bytes:
        validate_key(key)
        with self._lock:
            try:
                return self._files[key]
            except KeyError:
                raise FileNotFoundError(key) from None

    def exists(self, key: str) -> bool:
        validate_key(key)
        with self._lock:
            return key in self._files

    def delete(self, key: str) -> None:
        validate_key(key)
        with self._lock:
            self._files.pop(key, None)
            self._modified.pop(key, None)

    def size(self, key: str) -> int:
        return len(self.open(key))

    def touch(self, key: str) -> bool:
        validate_key(key)
        with self._lock:
            if key not in self._files:
                return False
            self._modified[key] = self._clock()
            return True

    def list_files(self) -> Iterator[StoredFile]:
        with self._lock:
            files = [
                StoredFile(k, len(self._files[k]), self._modified[k]) for k in sorted(self._files)
            ]
        yield from files

    def delete_if_older(self, key: str, cutoff: datetime) -> bool:
        validate_key(key)
        with self._lock:
            if key not in self._files or self._modified[key] >= cutoff:
                return False
            del self._files[key], self._modified[key]
            return True

    def keys(self) -> list[str]:
        with self._lock:
            return sorted(self._files)

    def __len__(self) -> int:
        with self._lock:
            return len(self._files)


_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


class S3Storage:
    """An S3 (or S3-compatible: MinIO, R2, ...) bucket; objects are cacheable and immutable."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        client: Any | None = None,
    ) -> None:
        if not bucket:
            raise ValueError("S3Storage needs a bucket name")
        self.bucket = bucket
        if client is None:
            # Imported here so deployments on local disk never pay for loading boto3.
            import boto3

            client = boto3.client(
                "s3", endpoint_url=endpoint_url or None, region_name=region or None
            )
        self._client = client

    def put(self, data: bytes, *, suffix: str) -> str:
        key = key_for(data, suffix)
        if self.exists(key):
            return key
        self._client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=data,
            ContentType=content_type_for(key),
            CacheControl=CACHE_CONTROL,
        )
        return key

    def open(self, key: str) -> bytes:
        validate_key(key)
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            if _is_missing(exc):
                raise FileNotFoundError(key) from exc
            raise
        body = response["Body"]
        try:
            return body.read()
        finally:
            body.close()

    def exists(self, key: str) -> bool:
        try:
            self._head(key)
        except FileNotFoundError:
            return False
        return True

    def delete(self, key: str) -> None:
        validate_key(key)
        # S3 answers 204 for a missing object too, which is the idempotence we want.
        self._client.delete_object(Bucket=self.bucket, Key=key)

    def size(self, key: str) -> int:
        return int(self._head(key)["ContentLength"])

    def touch(self, key: str) -> bool:
        validate_key(key)
        try:
            # S3 has no touch: copying an object onto itself, with its metadata restated, is
            # the documented way to give it a new LastModified (no bytes travel).
            self._client.copy_object(
                Bucket=self.bucket,
                Key=key,
                CopySource={"Bucket": self.bucket, "Key": key},
                MetadataDirective="REPLACE",
                ContentType=content_type_for(key),
                CacheControl=CACHE_CONTROL,
            )
        except Exception as exc:
            if _is_missing(exc):
                return False
            raise
        return True

    def list_files(self) -> Iterator[StoredFile]:
        # list_objects_v2 returns keys in UTF-8 binary order, which is key order for our keys.
        paginator = self._client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket):
            for item in page.get("Contents", []):
                if _is_key(item["Key"]):
                    yield StoredFile(item["Key"], int(item["Size"]), item["LastModified"])

    def delete_if_older(self, key: str, cutoff: datetime) -> bool:
        try:
            modified = self._head(key)["LastModified"]
        except FileNotFoundError:
            return False
        if modified >= cutoff:
            return False
        # Plain S3 has no delete-if-unmodified: a touch landing between the HEAD above and this
        # DELETE is lost. The window is one round trip; see core/storage_gc.py.
        self._client.delete_object(Bucket=self.bucket, Key=key)
        return True

    def _head(self, key: str) -> Mapping[str, Any]:
        validate_key(key)
        try:
            return self._client.head_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            if _is_missing(exc):
                raise FileNotFoundError(key) from exc
            raise

    def __repr__(self) -> str:
        return f"S3Storage({self.bucket!r})"


def _is_missing(exc: BaseException) -> bool:
    response = getattr(exc, "response", None)
    if not isinstance(response, Mapping):
        return False
    return str(response.get("Error", {}).get("Code")) in _MISSING_CODES


def make_storage(settings: Mapping[str, Any]) -> Storage:
    """S3 when `S3_BUCKET` is set, else the local `UPLOAD_DIR`."""
    bucket = settings.get("S3_BUCKET")
    if bucket:
        return S3Storage(
            str(bucket),
            endpoint_url=settings.get("S3_ENDPOINT_URL") or None,
            region=settings.get("S3_REGION") or None,
        )
    return LocalStorage(Path(settings["UPLOAD_DIR"]))
