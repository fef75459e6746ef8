"""Who runs a command and what they handed in: the two values every front end builds for the
command layer, kept in a module of their own so that commands, the LLM layer and the learning
loop can name them without importing the registry or each other."""

from __future__ import annotations

from dataclasses import dataclass

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
DISCORD = "discord"
CONSOLE = "console"  # also the CLI: both are the local user


@dataclass(frozen=True)
class Attachment:
    """A file a user supplied (Discord attachment, console path, CLI path), already read.

    Front ends enforce the option's ``max_bytes`` (at most :data:`MAX_ATTACHMENT_BYTES`)
    *before* reading; tools validate the content.
    """

    filename: str
    data: bytes
    content_type: str | None = None


@dataclass(frozen=True)
class ChannelRef:
    """A channel a user picked (Discord's channel option): its id, its name, and what kind it is
    (``"forum"``, ``"text"``, ``"thread"``); front ends without channels pass an id."""

    id: int
    name: str = ""
    kind: str = "text"


@dataclass(frozen=True)
class Caller:
    """Who is running a command: per-user features (quizzes, progress) key on ``user_id``.

    Front ends fill it in (Discord: the interaction's user and the notes scope of its server or
    DM; console/CLI: the local user, id 0). Handlers that need it declare ``wants_caller=True``
    and take ``caller=``. ``frontend`` is where the command runs, so a reply names commands the
    way the user types them there (``/admin gaps`` on Discord, ``/gaps`` in the console).
    """

    user_id: int
    guild_id: int | None = None
    display_name: str = ""
    is_trusted: bool = False  # may change the server's notes (Discord: Manage Server or the trusted role)
    frontend: str = CONSOLE
    channel_id: int | None = None  # Discord: the channel the command ran in (e.g. where to post daily)

    @classmethod
    def local(cls) -> "Caller":
        return cls(user_id=0, guild_id=None, display_name="you", is_trusted=True)


def private_scope(user_id: int) -> int:
    """The notes scope of a user's direct messages with the bot: theirs alone (a negative number,
    so it never meets a server id or the local scope ``None``)."""
    return -int(user_id)
