"""archiver: preserve what an article cites, and check those citations later, offline.

The public API is listed in ``__all__`` (checked by ``tests/test_exported_members.py``).
The library never configures logging; it only adds a ``NullHandler``.
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
    Citation,
    ErrorKind,
    Extracted,
    FetchResult,
    Harvest,
    Hop,
    Link,
    LinkStatus,
    Skipped,
    Source,
    SourceFormat,
    SourceKind,
)

__all__ = [
    "__version__",
    "ArchiverError",
    "ArchiveStatus",
    "Body",
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
    "Source",
    "SourceError",
    "SourceFormat",
    "SourceKind",
    "StoreError",
]
