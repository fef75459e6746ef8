"""Local files as attachments, for the front ends that run on the user's machine (CLI, console).

The same rule as a Discord upload: the size limit is checked before the bytes are read, and a
file that grows while being read is still refused.
"""

from __future__ import annotations

from pathlib import Path

from bot.commands.registry import MAX_ATTACHMENT_BYTES, Attachment
from tools.errors import UserInputError


def read_local_attachment(path: Path, limit_bytes: int = MAX_ATTACHMENT_BYTES, kind: str = "a file",
                          content_type: str | None = None) -> Attachment:
    """``kind`` names what is expected, with its article ("a CSV file", "an image file")."""
    path = Path(path).expanduser()
    limit_mb = limit_bytes / 2**20
    try:
        if not path.exists():
            raise UserInputError(f"file not found: {str(path)[:120]} (expected {kind})")
        if not path.is_file():
            raise UserInputError(f"{str(path)[:120]} is not a file (expected {kind})")
        size = path.stat().st_size
        if size > limit_bytes:
            raise UserInputError(f"{path.name} is {size / 2**20:.1f} MB; the limit is {limit_mb:g} MB")
        with path.open("rb") as handle:
            data = handle.read(limit_bytes + 1)
    except OSError as exc:
        raise UserInputError(f"cannot read {str(path)[:120]}: {exc.strerror or exc.__class__.__name__}") from None
    if len(data) > limit_bytes:
        raise UserInputError(f"{path.name} is larger than {limit_mb:g} MB; the limit is {limit_mb:g} MB")
    return Attachment(filename=path.name, data=data, content_type=content_type)
