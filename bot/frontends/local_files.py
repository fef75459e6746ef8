"""Local files as attachments, for the front ends that run on the user's machine (CLI, console).

The same rule as a Discord upload: the size limit is checked before the bytes are read, and a
file that grows while being read is still refused.
"""

from __future__ import annotations

from pathlib import Path

from bot.context import MAX_ATTACHMENT_BYTES, Attachment
from tools.errors import UserInputError


def size_text(n_bytes: float, exact: bool = False) -> str:
    """10485760 → "10 MB", 51200 → "50 KB"; ``exact=False`` rounds a measured size to 0.1."""
    if n_bytes >= 2**20:
        value, unit = n_bytes / 2**20, "MB"
    else:
        value, unit = n_bytes / 1024, "KB"
    return f"{value:g} {unit}" if exact else f"{value:.1f} {unit}"


def read_local_attachment(path: Path, limit_bytes: int = MAX_ATTACHMENT_BYTES, kind: str = "a file",
                          content_type: str | None = None) -> Attachment:
    """``kind`` names what is expected, with its article ("a CSV file", "an image file")."""
    path = Path(path).expanduser()
    limit = size_text(limit_bytes, exact=True)
    try:
        if not path.exists():
            raise UserInputError(f"file not found: {str(path)[:120]} (expected {kind})")
        if not path.is_file():
            raise UserInputError(f"{str(path)[:120]} is not a file (expected {kind})")
        size = path.stat().st_size
        if size > limit_bytes:
            raise UserInputError(f"{path.name} is {size_text(size)}; the limit is {limit}")
        with path.open("rb") as handle:
            data = handle.read(limit_bytes + 1)
    except OSError as exc:
        raise UserInputError(f"cannot read {str(path)[:120]}: {exc.strerror or exc.__class__.__name__}") from None
    if len(data) > limit_bytes:
        raise UserInputError(f"{path.name} is larger than {limit}; the limit is {limit}")
    return Attachment(filename=path.name, data=data, content_type=content_type)
