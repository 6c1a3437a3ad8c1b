"""The recommended GGUFs: what ``charlie-inference models`` lists and ``pull NAME`` fetches.

Data only. Sizes are the approximate figures on each repository's page, for choosing; a pull
verifies the real size and sha256 against the hub's own metadata. RAM needed is the file plus
about a gigabyte for a 2048-token context and the runtime. The speed class is relative, on a
laptop CPU: *fast* answers an entry in seconds, *slow* can take half a minute.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CatalogueModel:
    name: str
    repo: str
    file: str
    size_gb: float
    ram_gb: float
    speed: str
    note: str


CATALOGUE: tuple[CatalogueModel, ...] = (
    CatalogueModel(
        name="qwen2.5-1.5b",
        repo="Qwen/Qwen2.5-1.5B-Instruct-GGUF",
        file="qwen2.5-1.5b-instruct-q4_k_m.gguf",
        size_gb=1.1,
        ram_gb=2.0,
        speed="fast",
        note="small machines: 8 GB laptops, older CPUs",
    ),
    CatalogueModel(
        name="qwen3-4b",
        repo="unsloth/Qwen3-4B-Instruct-2507-GGUF",
        file="Qwen3-4B-Instruct-2507-Q4_K_M.gguf",
        size_gb=2.5,
        ram_gb=3.5,
        speed="medium",
        note="the recommended default",
    ),
    CatalogueModel(
        name="qwen3-4b-q8",
        repo="unsloth/Qwen3-4B-Instruct-2507-GGUF",
        file="Qwen3-4B-Instruct-2507-Q8_0.gguf",
        size_gb=4.3,
        ram_gb=5.5,
        speed="medium",
        note="the same model, near-lossless quantisation",
    ),
    CatalogueModel(
        name="llama3.1-8b",
        repo="bartowski/Meta-Llama-3.1-8B-Instruct-GGUF",
        file="Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf",
        size_gb=4.9,
        ram_gb=6.5,
        speed="slow",
        note="the largest; 16 GB machines (Llama 3.1 Community License)",
    ),
)


class UnknownModelError(LookupError):
    """A name that is not in the catalogue; the message lists the names that are."""

    def __init__(self, name: str) -> None:
        names = ", ".join(model.name for model in CATALOGUE)
        super().__init__(
            f"Unknown model {name!r}. Known: {names} (see `charlie-inference models`), "
            "or give a hub file as OWNER/REPO/FILE.gguf."
        )


def find_model(name: str) -> CatalogueModel:
    """The catalogue entry called ``name`` (case-insensitive)."""
    for model in CATALOGUE:
        if model.name == name.lower():
            return model
    raise UnknownModelError(name)
