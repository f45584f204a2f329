"""What a path and a value may be, the half-open range a prefix covers, and paged scans.

Every backend orders paths by Unicode code point, which is also the byte order of their UTF-8
encoding (SQLite's BINARY collation, PostgreSQL's "C" collation). A path is a non-empty `str`
without NUL (PostgreSQL text cannot hold it) and without lone surrogates (not UTF-8). A prefix
`p` covers exactly the paths `p <= path < prefix_upper_bound(p)`, so backends answer
a prefix scan with an index range query, never `LIKE`. `paged_scan` turns a backend's
"fetch one page of a range" into the `scan` iterator every backend shares.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

MAX_CODE_POINT = 0x10FFFF
_SURROGATES = range(0xD800, 0xE000)


def check_path(path: str, *, what: str = "path", allow_empty: bool = False) -> None:
    """Raise TypeError / ValueError unless `path` is a storable path string."""
    if type(path) is not str:
        raise TypeError(f"{what} must be str, not {type(path).__name__}")
    if not path and not allow_empty:
        raise ValueError(f"{what} must not be empty")
    if "\x00" in path:
        raise ValueError(f"{what} must not contain NUL")
    if not path.isascii():
        try:
            path.encode()
        except UnicodeEncodeError:
            raise ValueError(f"{what} must be valid Unicode (no lone surrogates)") from None


def check_value(value: bytes) -> bytes:
    """`value` as immutable bytes; TypeError unless it is bytes-like."""
    if type(value) is bytes:
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise TypeError(f"value must be bytes, not {type(value).__name__}")


def check_limit(limit: int | None) -> None:
    """Raise unless `limit` is None or a non-negative int."""
    if limit is None:
        return
    if type(limit) is not int:
        raise TypeError(f"limit must be int or None, not {type(limit).__name__}")
    if limit < 0:
        raise ValueError("limit must not be negative")


def prefix_upper_bound(prefix: str) -> str | None:
    """The least string above every string starting with `prefix`; None if there is none."""
    stripped = prefix.rstrip(chr(MAX_CODE_POINT))
    if not stripped:
        return None
    following = ord(stripped[-1]) + 1
    if following in _SURROGATES:
        following = _SURROGATES.stop
    return stripped[:-1] + chr(following)


def scan_bounds(prefix: str, start_after: str | None) -> tuple[str, bool, str | None]:
    """(lower, lower_inclusive, upper) for a scan of `prefix` after `start_after`.

    Validates both arguments. The result is empty when `lower` is not below `upper`.
    """
    check_path(prefix, what="prefix", allow_empty=True)
    upper = prefix_upper_bound(prefix)
    if start_after is None:
        return prefix, True, upper
    check_path(start_after, what="start_after", allow_empty=True)
    if start_after < prefix:
        return prefix, True, upper
    return start_after, False, upper


PageFetcher = Callable[[str, bool, str | None, int], list[tuple[str, bytes]]]
"""fetch(lower, lower_inclusive, upper, n): up to n (path, value) pairs in range, in order."""


def paged_scan(
    fetch: PageFetcher,
    prefix: str,
    start_after: str | None,
    limit: int | None,
    page_size: int,
) -> Iterator[tuple[str, bytes]]:
    """Validate now, then yield the scan page by page, resuming after each page's last path.

    No lock or cursor is held between pages, so a consumer that stops early or writes while
    iterating blocks nobody. Outside a transaction each page is its own snapshot: a path is
    never yielded twice or out of order, but a write made mid-scan may or may not be seen.
    """
    lower, inclusive, upper = scan_bounds(prefix, start_after)
    check_limit(limit)
    return _pages(fetch, lower, inclusive, upper, limit, page_size)


def _pages(
    fetch: PageFetcher,
    lower: str,
    inclusive: bool,
    upper: str | None,
    remaining: int | None,
    page_size: int,
) -> Iterator[tuple[str, bytes]]:
    while remaining is None or remaining > 0:
        wanted = page_size if remaining is None else min(page_size, remaining)
        rows = fetch(lower, inclusive, upper, wanted)
        yield from rows
        if len(rows) < wanted:
            return
        if remaining is not None:
            remaining -= len(rows)
        lower, inclusive = rows[-1][0], False
