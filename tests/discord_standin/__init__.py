"""Local stand-in for the Discord API (REST v10 + gateway) to test discord.py bots offline.

See README.md in this folder.
"""

from .server import (
    AttachmentRecord,
    CallbackRecord,
    DiscordStandIn,
    InteractionHandle,
    MessageHandle,
    MessageRecord,
    RequestRecord,
    StandInChannel,
    StandInError,
    StandInGuild,
    StandInRole,
    StandInTimeout,
    StandInUser,
    UploadFile,
    patch_discord,
)

__all__ = [
    "AttachmentRecord",
    "CallbackRecord",
    "DiscordStandIn",
    "InteractionHandle",
    "MessageHandle",
    "MessageRecord",
    "RequestRecord",
    "StandInChannel",
    "StandInError",
    "StandInGuild",
    "StandInRole",
    "StandInTimeout",
    "StandInUser",
    "UploadFile",
    "patch_discord",
]
