"""Fetch a GGUF from the Hugging Face hub into the data dir's ``models/``, verified.

Built on ``huggingface_hub``'s own metadata call and HTTP download (so ``HF_ENDPOINT``,
``HF_HUB_OFFLINE``, ``HF_TOKEN`` and proxies behave as everywhere else) rather than on
``hf_hub_download``: since huggingface_hub 1.x that downloads into a per-process temporary file
and deletes it on failure, so a cut 4 GB download would start again from zero, and it checks
the size only. Here the partial file is kept under a name tied to the file's sha256, the next
pull resumes it with a Range request, and the finished file must match the hub's size and
sha256 before it gets its real name.
"""

from __future__ import annotations

import errno
import hashlib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .catalogue import find_model
from .settings import data_dir

SHA256 = re.compile(r"^[0-9a-f]{64}$")
GB = 1024**3


class DownloadError(RuntimeError):
    """A pull that cannot finish; the message says why and what to do, in one line."""


@dataclass(frozen=True)
class HubFile:
    """One file in one hub repository."""

    repo: str
    file: str

    @property
    def local_name(self) -> str:
        return Path(self.file).name


def resolve(spec: str) -> HubFile:
    """A catalogue name (``qwen3-4b``) or a hub path (``OWNER/REPO/FILE.gguf``)."""
    parts = spec.split("/")
    if len(parts) >= 3 and spec.lower().endswith(".gguf"):
        return HubFile(repo="/".join(parts[:2]), file="/".join(parts[2:]))
    model = find_model(spec)
    return HubFile(repo=model.repo, file=model.file)


def models_dir() -> Path:
    """Where pulled models live: ``models/`` in the data dir."""
    return data_dir() / "models"


def destination(hub_file: HubFile, into: Path | None = None) -> Path:
    return (into or models_dir()) / hub_file.local_name


def partial_path(target: Path, sha256: str) -> Path:
    """The partial download of ``target``: hidden, and named for the content it must become,
    so a resumed pull never appends one revision's bytes to another's."""
    return target.with_name(f".{target.name}.{sha256[:16]}.part")


def pull(hub_file: HubFile, into: Path | None = None) -> Path:
    """Download ``hub_file`` (resuming a partial one) and verify it; returns its path."""
    import httpx2  # huggingface_hub's HTTP client: its exceptions are what a cut network raises
    from huggingface_hub import get_hf_file_metadata, hf_hub_url
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        OfflineModeIsEnabled,
        RemoteEntryNotFoundError,
        RepositoryNotFoundError,
    )
    from huggingface_hub.file_download import http_get
    from huggingface_hub.utils import build_hf_headers

    target = destination(hub_file, into)
    where = f"{hub_file.repo}/{hub_file.file}"
    url = hf_hub_url(hub_file.repo, hub_file.file)
    try:
        meta = get_hf_file_metadata(url)
    except OfflineModeIsEnabled as exc:
        raise DownloadError(
            "HF_HUB_OFFLINE is set, so nothing can be downloaded: unset it, or `use` a GGUF "
            "you already have."
        ) from exc
    except GatedRepoError as exc:
        raise DownloadError(
            f"{hub_file.repo} is gated: accept its licence on the hub, then set HF_TOKEN."
        ) from exc
    except RepositoryNotFoundError as exc:
        raise DownloadError(
            f"No repository {hub_file.repo} on {_host(url)} (or it is private: set HF_TOKEN)."
        ) from exc
    except RemoteEntryNotFoundError as exc:
        raise DownloadError(f"{hub_file.repo} has no file {hub_file.file}.") from exc
    except HfHubHTTPError as exc:
        raise DownloadError(f"The hub refused {where}: {_first_line(exc)}") from exc
    except httpx2.HTTPError as exc:
        raise DownloadError(
            f"Cannot reach {_host(url)} ({_first_line(exc)}): check the network, or HF_ENDPOINT."
        ) from exc
    size, sha256 = meta.size, (meta.etag or "").lower()
    if size is None or not SHA256.match(sha256):
        raise DownloadError(
            f"{_host(url)} gave no size and sha256 for {where}, so it cannot be verified; "
            "is HF_ENDPOINT a Hugging Face hub?"
        )

    target.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_path(target, sha256)
    done = partial.stat().st_size if partial.exists() else 0
    if done > size:
        partial.unlink()
        done = 0
    _check_space(target.parent, size - done)
    headers = build_hf_headers()
    if urlsplit(meta.location).netloc != urlsplit(url).netloc:
        headers.pop("authorization", None)  # a CDN's signed URL must not see the hub token
    try:
        with partial.open("ab") as sink:
            http_get(
                meta.location,
                sink,
                resume_size=done,
                headers=headers,
                expected_size=size,
                displayed_filename=hub_file.local_name,
            )
    except HfHubHTTPError as exc:  # an OSError too: it must be caught first
        raise DownloadError(
            f"The hub refused {where} ({_first_line(exc)}); {_kept(partial, size)}"
        ) from exc
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise DownloadError(
                f"The disk holding {target.parent} is full: free {_gb(size)} and pull again "
                "(it resumes)."
            ) from exc
        if "Consistency check failed" in str(exc):
            partial.unlink(missing_ok=True)
            raise DownloadError(
                f"The download of {where} was not {size} bytes long; the partial file was "
                "removed. Pull again."
            ) from exc
        raise DownloadError(f"Writing {partial} failed: {exc}") from exc
    except httpx2.HTTPError as exc:
        raise DownloadError(
            f"The download was cut ({_first_line(exc)}); {_kept(partial, size)}"
        ) from exc

    actual = _sha256(partial)
    if actual != sha256:
        partial.unlink()
        raise DownloadError(
            f"The download of {where} did not match the hub's sha256 checksum (expected "
            f"{sha256[:12]}…, got {actual[:12]}…); the partial file was removed. Pull again."
        )
    partial.replace(target)
    return target


def _kept(partial: Path, size: int) -> str:
    done = partial.stat().st_size if partial.exists() else 0
    return f"{done} of {size} bytes are kept: pull again to resume."


def _check_space(directory: Path, needed: int) -> None:
    free = shutil.disk_usage(directory).free
    if free < needed:
        raise DownloadError(
            f"Not enough disk space in {directory}: the download needs {_gb(needed)}, "
            f"{_gb(free)} is free."
        )


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _gb(n: int) -> str:
    return f"{n / GB:.1f} GB"
