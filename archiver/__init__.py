"""archiver: preserve what an article cites, and check those citations later, offline.

The public API is listed in ``__all__`` (checked by ``tests/test_exported_members.py``).
Types and errors are imported eagerly; the stage functions (which pull in requests,
trafilatura, lxml...) load on first access, so ``import archiver`` stays cheap.
The library never configures logging; it only adds a ``NullHandler``.

    >>> import archiver
    >>> h = archiver.harvest_source("seeds/000_a601677b5c772689.txt")
    >>> [link.url for link in archiver.group_links(h.citations)]  # doctest: +SKIP
"""

from __future__ import annotations

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

from archiver.errors import (  # noqa: E402
    ArchiverError,
    InvalidURLError,
    NotADatabaseError,
    NotFoundError,
    QueryError,
    SourceError,
    StoreError,
)
from archiver.types import (  # noqa: E402
    ArchiveStatus,
    Body,
    CheckResult,
    Citation,
    ErrorKind,
    Extracted,
    FetchResult,
    Harvest,
    Hop,
    Link,
    LinkStatus,
    Skipped,
    Snapshot,
    Source,
    SourceFormat,
    SourceKind,
)

# name -> "module" or "module:attribute", loaded on first attribute access (PEP 562).
# check/search/verify are also submodule names, so their functions are exported under
# names that a submodule import cannot shadow.
_LAZY = {
    "FetchConfig": "archiver.config",
    "canonicalize": "archiver.urls",
    "host_key": "archiver.urls",
    "harvest_source": "archiver.harvest:harvest",
    "harvest_sources": "archiver.harvest",
    "harvest_text": "archiver.harvest",
    "harvest_markdown": "archiver.harvest",
    "harvest_html": "archiver.harvest",
    "group_links": "archiver.harvest",
    "read_source": "archiver.harvest",
    "fetch_one": "archiver.fetch",
    "fetch_many": "archiver.fetch",
    "UrlFeed": "archiver.fetch",
    "extract_html": "archiver.extract",
    "extract_result": "archiver.extract",
    "Store": "archiver.store",
    "archive": "archiver.pipeline",
    "ArchiveReport": "archiver.pipeline",
    "LinkOutcome": "archiver.pipeline",
    "check_links": "archiver.check:check",
    "check_offline": "archiver.check",
    "classify": "archiver.check",
    "similarity": "archiver.drift",
    "search_archive": "archiver.search:search",
    "SearchHit": "archiver.search",
    "history": "archiver.show",
    "diff_snapshots": "archiver.show",
    "offline_html": "archiver.show",
    "find_quotations": "archiver.quotes",
    "Quotation": "archiver.quotes",
    "verify_source": "archiver.verify:verify",
    "Verification": "archiver.verify",
    "QuoteCheck": "archiver.verify",
    "build_report": "archiver.report",
    "Report": "archiver.report",
}


def __getattr__(name: str) -> object:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'archiver' has no attribute {name!r}")
    import importlib

    module, _, attribute = target.partition(":")
    value = getattr(importlib.import_module(module), attribute or name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

__all__ = [
    "__version__",
    *_LAZY,
    "ArchiverError",
    "ArchiveStatus",
    "Body",
    "CheckResult",
    "Citation",
    "ErrorKind",
    "Extracted",
    "FetchResult",
    "Harvest",
    "Hop",
    "InvalidURLError",
    "Link",
    "LinkStatus",
    "NotADatabaseError",
    "NotFoundError",
    "QueryError",
    "Skipped",
    "Snapshot",
    "Source",
    "SourceError",
    "SourceFormat",
    "SourceKind",
    "StoreError",
]
