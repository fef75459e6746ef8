"""A local stand-in for the Discord API v10 (REST + gateway) for discord.py tests.

It runs in the test's own event loop on 127.0.0.1 (ephemeral port) and speaks the
wire protocol that discord.py 2.x uses, so an unmodified ``discord.Client`` /
``commands.Bot`` with an ``app_commands.CommandTree`` can log in, sync commands,
receive interactions over the gateway and answer them over HTTP.  Everything the
bot sends is recorded and can be awaited from the test.

Payload shapes were checked against discord.py 2.7.1's parsers (``state.py``,
``interactions.py``, ``app_commands/tree.py``, ``app_commands/namespace.py``,
``message.py``, ``webhook/async_.py``, ``gateway.py``).  See README.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import logging
import mimetypes
import re
import secrets
import struct
import time
import zlib
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, AsyncIterator, Callable, Deque, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from aiohttp import WSMsgType, web

__all__ = (
    "DiscordStandIn",
    "StandInError",
    "StandInTimeout",
    "StandInUser",
    "StandInChannel",
    "StandInRole",
    "StandInGuild",
    "UploadFile",
    "AttachmentRecord",
    "MessageRecord",
    "CallbackRecord",
    "InteractionHandle",
    "MessageHandle",
    "RequestRecord",
    "patch_discord",
)

log = logging.getLogger("discord_standin")

API_VERSION = 10
DISCORD_EPOCH_MS = 1420070400000

# --- gateway opcodes -------------------------------------------------------------------------
OP_DISPATCH = 0
OP_HEARTBEAT = 1
OP_IDENTIFY = 2
OP_PRESENCE = 3
OP_VOICE_STATE = 4
OP_RESUME = 6
OP_RECONNECT = 7
OP_REQUEST_MEMBERS = 8
OP_INVALID_SESSION = 9
OP_HELLO = 10
OP_HEARTBEAT_ACK = 11

# --- gateway intents -------------------------------------------------------------------------
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_PRESENCES = 1 << 8
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = INTENT_GUILD_MEMBERS | INTENT_GUILD_PRESENCES | INTENT_MESSAGE_CONTENT

# --- permissions -----------------------------------------------------------------------------
P_CREATE_INSTANT_INVITE = 1 << 0
P_ADMINISTRATOR = 1 << 3
P_ADD_REACTIONS = 1 << 6
P_VIEW_CHANNEL = 1 << 10
P_SEND_MESSAGES = 1 << 11
P_EMBED_LINKS = 1 << 14
P_ATTACH_FILES = 1 << 15
P_READ_MESSAGE_HISTORY = 1 << 16
P_MENTION_EVERYONE = 1 << 17
P_USE_EXTERNAL_EMOJIS = 1 << 18
P_CONNECT = 1 << 20
P_SPEAK = 1 << 21
P_CHANGE_NICKNAME = 1 << 26
P_USE_APPLICATION_COMMANDS = 1 << 31
P_CREATE_PUBLIC_THREADS = 1 << 35
P_SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 51) - 1

DEFAULT_EVERYONE_PERMISSIONS = (
    P_CREATE_INSTANT_INVITE
    | P_ADD_REACTIONS
    | P_VIEW_CHANNEL
    | P_SEND_MESSAGES
    | P_EMBED_LINKS
    | P_ATTACH_FILES
    | P_READ_MESSAGE_HISTORY
    | P_MENTION_EVERYONE
    | P_USE_EXTERNAL_EMOJIS
    | P_CONNECT
    | P_SPEAK
    | P_CHANGE_NICKNAME
    | P_USE_APPLICATION_COMMANDS
    | P_CREATE_PUBLIC_THREADS
    | P_SEND_MESSAGES_IN_THREADS
)
DM_APP_PERMISSIONS = (
    P_ADD_REACTIONS | P_VIEW_CHANNEL | P_SEND_MESSAGES | P_EMBED_LINKS | P_ATTACH_FILES | P_READ_MESSAGE_HISTORY
    | P_USE_EXTERNAL_EMOJIS | P_USE_APPLICATION_COMMANDS
)

# --- rate limits -----------------------------------------------------------------------------
# Per-route buckets as Discord documents them (limit, per seconds), keyed by "METHOD template"
# with the route's major parameter (channel, guild, or webhook id + token) as the bucket's scope.
DEFAULT_ROUTE_LIMITS: Dict[str, Tuple[int, float]] = {
    "POST /channels/{channel_id}/messages": (5, 5.0),
    "PATCH /channels/{channel_id}/messages/{message_id}": (5, 5.0),
    "DELETE /channels/{channel_id}/messages/{message_id}": (5, 1.0),
    "POST /channels/{channel_id}/typing": (5, 5.0),
    "POST /channels/{channel_id}/threads": (10, 10.0),
    "POST /channels/{channel_id}/messages/{message_id}/threads": (10, 10.0),
    "POST /webhooks/{app_id}/{token}": (5, 2.0),
    "PATCH /webhooks/{app_id}/{token}/messages/{message_id}": (5, 2.0),
    "DELETE /webhooks/{app_id}/{token}/messages/{message_id}": (5, 2.0),
}
FALLBACK_ROUTE_LIMIT = (50, 1.0)
MAJOR_PARAMETERS = ("channel_id", "guild_id", "webhook_id", "app_id", "interaction_id", "token")
# Interaction endpoints (callbacks and the interaction's webhook) are not bound by the global limit.
GLOBAL_EXEMPT = ("/interactions/", "/webhooks/")

# --- channel types ---------------------------------------------------------------------------
CHANNEL_TEXT, CHANNEL_PUBLIC_THREAD, CHANNEL_PRIVATE_THREAD, CHANNEL_FORUM = 0, 11, 12, 15
THREAD_TYPES = (10, CHANNEL_PUBLIC_THREAD, CHANNEL_PRIVATE_THREAD)
MESSAGE_FLAG_HAS_THREAD = 1 << 5

# --- message flags ---------------------------------------------------------------------------
FLAG_SUPPRESS_EMBEDS = 1 << 2
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_SUPPRESS_NOTIFICATIONS = 1 << 12
FLAG_COMPONENTS_V2 = 1 << 15

# application flags: GATEWAY_PRESENCE_LIMITED | GATEWAY_GUILD_MEMBERS_LIMITED |
# GATEWAY_MESSAGE_CONTENT_LIMITED | APPLICATION_COMMAND_BADGE  (a verified-intents small bot)
DEFAULT_APPLICATION_FLAGS = (1 << 13) | (1 << 15) | (1 << 19) | (1 << 23)

# interaction types / callback types
IT_PING, IT_APPLICATION_COMMAND, IT_COMPONENT, IT_AUTOCOMPLETE, IT_MODAL_SUBMIT = 1, 2, 3, 4, 5
CB_PONG = 1
CB_CHANNEL_MESSAGE = 4
CB_DEFERRED_CHANNEL_MESSAGE = 5
CB_DEFERRED_UPDATE_MESSAGE = 6
CB_UPDATE_MESSAGE = 7
CB_AUTOCOMPLETE_RESULT = 8
CB_MODAL = 9
CB_LAUNCH_ACTIVITY = 12

ALLOWED_CALLBACKS = {
    IT_PING: {CB_PONG},
    IT_APPLICATION_COMMAND: {CB_CHANNEL_MESSAGE, CB_DEFERRED_CHANNEL_MESSAGE, CB_MODAL, CB_LAUNCH_ACTIVITY},
    IT_COMPONENT: {
        CB_CHANNEL_MESSAGE,
        CB_DEFERRED_CHANNEL_MESSAGE,
        CB_DEFERRED_UPDATE_MESSAGE,
        CB_UPDATE_MESSAGE,
        CB_MODAL,
        CB_LAUNCH_ACTIVITY,
    },
    IT_AUTOCOMPLETE: {CB_AUTOCOMPLETE_RESULT},
    IT_MODAL_SUBMIT: {CB_CHANNEL_MESSAGE, CB_DEFERRED_CHANNEL_MESSAGE, CB_DEFERRED_UPDATE_MESSAGE, CB_UPDATE_MESSAGE},
}

# application command option types
OPT_SUB_COMMAND, OPT_SUB_COMMAND_GROUP = 1, 2
OPT_STRING, OPT_INTEGER, OPT_BOOLEAN, OPT_USER, OPT_CHANNEL, OPT_ROLE, OPT_MENTIONABLE, OPT_NUMBER, OPT_ATTACHMENT = (
    3, 4, 5, 6, 7, 8, 9, 10, 11,
)

_RECORD_KEY: Any = web.RequestKey("standin_record", object) if hasattr(web, "RequestKey") else "standin_record"
_RATE_KEY: Any = web.RequestKey("standin_rate", object) if hasattr(web, "RequestKey") else "standin_rate"
_NAME_RE = re.compile(r"^[-_'\w]{1,32}$")
_FILE_FIELD_RE = re.compile(r"^files\[(\d+)\]$")


def _iso(dt: Optional[datetime] = None) -> str:
    return (dt or datetime.now(timezone.utc)).isoformat()


def _now() -> float:
    return time.monotonic()


def _json_dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=True)


def json_response(data: Any, status: int = 200) -> web.Response:
    # discord.py's json_or_text() only decodes JSON when the header is *exactly*
    # ``application/json`` (no charset), like Discord sends it.
    return web.Response(body=_json_dumps(data).encode(), status=status, headers={"Content-Type": "application/json"})


class StandInError(AssertionError):
    """A test drove the stand-in into a state a real Discord client could not produce."""


class StandInTimeout(TimeoutError):
    """Waiting for something the bot should have done timed out."""


class APIError(Exception):
    """Raised inside handlers; rendered the way Discord renders API errors."""

    def __init__(self, status: int, code: int, message: str, errors: Optional[dict] = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status, self.code, self.message, self.errors = status, code, message, errors

    def to_response(self) -> web.Response:
        body: Dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return json_response(body, self.status)


def _form_error(errors: dict) -> APIError:
    return APIError(400, 50035, "Invalid Form Body", errors)


def _err(code: str, message: str) -> dict:
    return {"_errors": [{"code": code, "message": message}]}


class SnowflakeFactory:
    """Time-based, strictly increasing snowflakes (so ``discord.utils.snowflake_time`` is sane)."""

    def __init__(self) -> None:
        self._last = 0
        self._inc = itertools.count()

    def __call__(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        value = (ms << 22) | (1 << 17) | (next(self._inc) & 0xFFF)
        if value <= self._last:
            value = self._last + 1
        self._last = value
        return value


# =============================================================================================
# Directory model: users, guilds, channels, roles
# =============================================================================================


@dataclass(eq=False)
class StandInUser:
    id: int
    username: str
    global_name: Optional[str] = None
    bot: bool = False
    avatar: Optional[str] = None

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def payload(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": self.avatar,
            "public_flags": 0,
            "flags": 0,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
            "collectibles": None,
            "primary_guild": None,
        }
        if self.bot:
            data["bot"] = True
        return data


@dataclass(eq=False)
class StandInRole:
    id: int
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0
    managed: bool = False
    mentionable: bool = False
    bot_id: Optional[int] = None

    @property
    def mention(self) -> str:
        return f"<@&{self.id}>"

    def payload(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "description": None,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": self.color,
            "colors": {"primary_color": self.color, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "managed": self.managed,
            "mentionable": self.mentionable,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }
        if self.bot_id is not None:
            data["tags"] = {"bot_id": str(self.bot_id)}
        return data


@dataclass(eq=False)
class StandInChannel:
    id: int
    name: str
    guild_id: Optional[int]
    type: int = 0  # 0 text, 1 DM, 2 voice, 4 category, 5 news, 11/12 public/private thread, 15 forum
    position: int = 0
    topic: Optional[str] = None
    parent_id: Optional[int] = None
    nsfw: bool = False
    recipients: List[StandInUser] = field(default_factory=list)
    last_message_id: Optional[int] = None
    # threads only
    owner_id: Optional[int] = None
    message_count: int = 0
    archived: bool = False
    auto_archive_duration: int = 1440
    applied_tags: List[int] = field(default_factory=list)
    created_at: str = field(default_factory=_iso)

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES

    def payload(self, permissions: Optional[int] = None) -> Dict[str, Any]:
        if self.is_thread:  # what discord.py's Thread._from_data reads
            data = {
                "id": str(self.id),
                "type": self.type,
                "guild_id": str(self.guild_id),
                "parent_id": str(self.parent_id),
                "owner_id": str(self.owner_id),
                "name": self.name,
                "last_message_id": str(self.last_message_id) if self.last_message_id else None,
                "rate_limit_per_user": 0,
                "message_count": self.message_count,
                "member_count": 1,
                "total_message_sent": self.message_count,
                "flags": 0,
                "applied_tags": [str(t) for t in self.applied_tags],
                "thread_metadata": {
                    "archived": self.archived,
                    "auto_archive_duration": self.auto_archive_duration,
                    "archive_timestamp": self.created_at,
                    "locked": False,
                    "create_timestamp": self.created_at,
                    **({"invitable": True} if self.type == CHANNEL_PRIVATE_THREAD else {}),
                },
            }
            if permissions is not None:
                data["permissions"] = str(permissions)
            return data
        if self.type == 1:  # DM
            data: Dict[str, Any] = {
                "id": str(self.id),
                "type": 1,
                "last_message_id": str(self.last_message_id) if self.last_message_id else None,
                "recipients": [u.payload() for u in self.recipients],
                "flags": 0,
            }
        else:
            data = {
                "id": str(self.id),
                "type": self.type,
                "guild_id": str(self.guild_id),
                "name": self.name,
                "position": self.position,
                "permission_overwrites": [],
                "nsfw": self.nsfw,
                "parent_id": str(self.parent_id) if self.parent_id else None,
                "flags": 0,
            }
            if self.type in (0, 5, CHANNEL_FORUM):  # text, news and forum channels share these
                data.update(
                    topic=self.topic,
                    last_message_id=str(self.last_message_id) if self.last_message_id else None,
                    rate_limit_per_user=0,
                    default_auto_archive_duration=1440,
                    default_thread_rate_limit_per_user=0,
                )
            elif self.type == 2:
                data.update(bitrate=64000, user_limit=0, rtc_region=None, rate_limit_per_user=0)
            if self.type == CHANNEL_FORUM:
                data.update(
                    available_tags=[],
                    default_reaction_emoji=None,
                    default_sort_order=None,
                    default_forum_layout=0,
                )
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data


@dataclass(eq=False)
class StandInMember:
    user: StandInUser
    roles: List[int] = field(default_factory=list)
    nick: Optional[str] = None
    joined_at: str = field(default_factory=_iso)

    def payload(self, *, with_user: bool = True, permissions: Optional[int] = None) -> Dict[str, Any]:
        data: Dict[str, Any] = {
            "roles": [str(r) for r in self.roles],
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
            "avatar_decoration_data": None,
        }
        if with_user:
            data["user"] = self.user.payload()
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data


@dataclass(eq=False)
class StandInGuild:
    id: int
    name: str
    owner_id: int
    channels: Dict[int, StandInChannel] = field(default_factory=dict)
    roles: Dict[int, StandInRole] = field(default_factory=dict)
    members: Dict[int, StandInMember] = field(default_factory=dict)
    threads: Dict[int, StandInChannel] = field(default_factory=dict)
    joined_at: str = field(default_factory=_iso)

    @property
    def everyone(self) -> StandInRole:
        return self.roles[self.id]

    def base_permissions(self, user_id: int) -> int:
        if user_id == self.owner_id:
            return ALL_PERMISSIONS
        perms = self.everyone.permissions
        member = self.members.get(user_id)
        if member is not None:
            for rid in member.roles:
                role = self.roles.get(rid)
                if role is not None:
                    perms |= role.permissions
        if perms & P_ADMINISTRATOR:
            return ALL_PERMISSIONS
        return perms

    def rest_payload(self) -> Dict[str, Any]:
        system = next((c for c in self.channels.values() if c.type == 0), None)
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [r.payload() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "system_channel_id": str(system.id) if system else None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "application_id": None,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "widget_enabled": False,
            "widget_channel_id": None,
            "incidents_data": None,
        }

    def gateway_payload(self) -> Dict[str, Any]:
        data = self.rest_payload()
        data.update(
            joined_at=self.joined_at,
            large=False,
            unavailable=False,
            member_count=len(self.members),
            voice_states=[],
            members=[m.payload() for m in self.members.values()],
            channels=[c.payload() for c in self.channels.values()],
            threads=[t.payload() for t in self.threads.values() if not t.archived],
            presences=[],
            stage_instances=[],
            guild_scheduled_events=[],
            soundboard_sounds=[],
        )
        return data


# =============================================================================================
# Records of what the bot did
# =============================================================================================


@dataclass
class UploadFile:
    """A file a *user* uploads (slash-command attachment option, attachment on a message)."""

    filename: str
    data: bytes
    content_type: Optional[str] = None
    description: Optional[str] = None

    @classmethod
    def coerce(cls, value: Any, default_name: str = "file.bin") -> "UploadFile":
        if isinstance(value, UploadFile):
            return value
        if isinstance(value, (bytes, bytearray)):
            return cls(default_name, bytes(value))
        if isinstance(value, tuple) and 2 <= len(value) <= 3:
            return cls(value[0], bytes(value[1]), value[2] if len(value) == 3 else None)
        if isinstance(value, Mapping):
            return cls(value["filename"], bytes(value["data"]), value.get("content_type"), value.get("description"))
        raise TypeError(f"cannot use {value!r} as an upload; pass UploadFile, (filename, bytes) or bytes")


def _sniff_content_type(filename: str, data: bytes, declared: Optional[str]) -> str:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    guessed, _ = mimetypes.guess_type(filename)
    if guessed:
        return guessed + ("; charset=utf-8" if guessed.startswith("text/") else "")
    if declared and declared != "application/octet-stream":
        return declared
    return "application/octet-stream"


def _image_size(data: bytes) -> Optional[Tuple[int, int]]:
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        w, h = struct.unpack(">II", data[16:24])
        return w, h
    if data[:6] in (b"GIF87a", b"GIF89a"):
        w, h = struct.unpack("<HH", data[6:10])
        return w, h
    return None


@dataclass(eq=False)
class AttachmentRecord:
    id: int
    filename: str
    data: bytes
    content_type: str
    url: str
    description: Optional[str] = None
    ephemeral: bool = False

    @property
    def size(self) -> int:
        return len(self.data)

    def payload(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {
            "id": str(self.id),
            "filename": self.filename,
            "size": self.size,
            "url": self.url,
            "proxy_url": self.url,
            "content_type": self.content_type,
        }
        dims = _image_size(self.data)
        if dims:
            data["width"], data["height"] = dims
        if self.description:
            data["description"] = self.description
        if self.ephemeral:
            data["ephemeral"] = True
        if self.filename.startswith("SPOILER_"):
            data["flags"] = 1 << 3
        return data


def _walk_components(components: Sequence[Any]) -> Iterator[Dict[str, Any]]:
    for comp in components or ():
        if not isinstance(comp, dict):
            continue
        yield comp
        yield from _walk_components(comp.get("components") or ())
        for key in ("component", "accessory"):
            if isinstance(comp.get(key), dict):
                yield from _walk_components([comp[key]])


@dataclass(eq=False)
class MessageRecord:
    """A message as the stand-in stores it (live object; ``history`` keeps every version)."""

    id: int
    channel_id: int
    guild_id: Optional[int]
    author: StandInUser
    kind: str  # "original" | "followup" | "channel" | "user"
    created_at: float
    timestamp: str
    type: int = 0
    content: str = ""
    embeds: List[Dict[str, Any]] = field(default_factory=list)
    components: List[Dict[str, Any]] = field(default_factory=list)
    attachments: List[AttachmentRecord] = field(default_factory=list)
    allowed_mentions: Optional[Dict[str, Any]] = None
    flags: int = 0
    tts: bool = False
    poll: Optional[Dict[str, Any]] = None
    webhook_id: Optional[int] = None
    application_id: Optional[int] = None
    interaction_id: Optional[int] = None
    interaction_metadata: Optional[Dict[str, Any]] = None
    interaction_legacy: Optional[Dict[str, Any]] = None
    message_reference: Optional[Dict[str, Any]] = None
    referenced_message: Optional["MessageRecord"] = None
    mentioned_user_ids: List[int] = field(default_factory=list)
    mentioned_role_ids: List[int] = field(default_factory=list)
    mention_everyone: bool = False
    member: Optional[Dict[str, Any]] = None
    edited_timestamp: Optional[str] = None
    deleted: bool = False
    deleted_at: Optional[float] = None
    reactions: List[str] = field(default_factory=list)
    thread: Optional[StandInChannel] = None  # the thread started from this message
    history: List[Tuple[float, Dict[str, Any]]] = field(default_factory=list)
    sent_payloads: List[Dict[str, Any]] = field(default_factory=list)
    _users: Dict[int, StandInUser] = field(default_factory=dict, repr=False)

    # convenience ---------------------------------------------------------------------------
    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & FLAG_EPHEMERAL)

    @property
    def loading(self) -> bool:
        return bool(self.flags & FLAG_LOADING)

    @property
    def embed(self) -> Optional[Dict[str, Any]]:
        return self.embeds[0] if self.embeds else None

    @property
    def files(self) -> Dict[str, bytes]:
        return {a.filename: a.data for a in self.attachments}

    @property
    def edits(self) -> int:
        return max(0, len(self.history) - 1)

    def walk_components(self) -> List[Dict[str, Any]]:
        return list(_walk_components(self.components))

    @property
    def custom_ids(self) -> List[str]:
        return [c["custom_id"] for c in self.walk_components() if "custom_id" in c]

    def find_component(self, custom_id: str) -> Optional[Dict[str, Any]]:
        return next((c for c in self.walk_components() if c.get("custom_id") == custom_id), None)

    def payload(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "type": self.type,
            "content": self.content,
            "author": self.author.payload(),
            "timestamp": self.timestamp,
            "edited_timestamp": self.edited_timestamp,
            "tts": self.tts,
            "mention_everyone": self.mention_everyone,
            "mentions": [self._users[uid].payload() for uid in self.mentioned_user_ids if uid in self._users],
            "mention_roles": [str(r) for r in self.mentioned_role_ids],
            "attachments": [a.payload() for a in self.attachments],
            "embeds": [dict(e) for e in self.embeds],
            "components": self.components,
            "pinned": False,
            "flags": self.flags,
            "reactions": [],
        }
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        if self.member is not None:
            data["member"] = self.member
        if self.webhook_id is not None:
            data["webhook_id"] = str(self.webhook_id)
        if self.application_id is not None:
            data["application_id"] = str(self.application_id)
        if self.interaction_metadata is not None:
            data["interaction_metadata"] = self.interaction_metadata
        if self.interaction_legacy is not None:
            data["interaction"] = self.interaction_legacy
        if self.message_reference is not None:
            data["message_reference"] = self.message_reference
            if self.referenced_message is not None:
                data["referenced_message"] = self.referenced_message.payload()
        if self.poll is not None:
            data["poll"] = self.poll
        if self.thread is not None:
            data["thread"] = self.thread.payload()
        return data

    def _snapshot(self) -> None:
        self.history.append((_now(), self.payload()))

    def __repr__(self) -> str:
        return (
            f"<MessageRecord id={self.id} kind={self.kind} content={self.content!r} embeds={len(self.embeds)} "
            f"attachments={[a.filename for a in self.attachments]} flags={self.flags} deleted={self.deleted}>"
        )


@dataclass(eq=False)
class CallbackRecord:
    """One ``POST /interactions/{id}/{token}/callback`` made by the bot."""

    type: int
    data: Optional[Dict[str, Any]]
    attachments: List[AttachmentRecord]
    received_at: float
    latency: float  # seconds between INTERACTION_CREATE being sent and this callback arriving
    status: int = 200
    error: Optional[str] = None
    raw: Optional[Dict[str, Any]] = None

    @property
    def accepted(self) -> bool:
        return self.error is None

    @property
    def content(self) -> Optional[str]:
        return (self.data or {}).get("content")

    @property
    def embeds(self) -> List[Dict[str, Any]]:
        return list((self.data or {}).get("embeds") or [])

    @property
    def embed(self) -> Optional[Dict[str, Any]]:
        embeds = self.embeds
        return embeds[0] if embeds else None

    @property
    def components(self) -> List[Dict[str, Any]]:
        return list((self.data or {}).get("components") or [])

    @property
    def flags(self) -> int:
        return int((self.data or {}).get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & FLAG_EPHEMERAL)

    @property
    def allowed_mentions(self) -> Optional[Dict[str, Any]]:
        return (self.data or {}).get("allowed_mentions")

    @property
    def choices(self) -> List[Dict[str, Any]]:
        return list((self.data or {}).get("choices") or [])

    @property
    def files(self) -> Dict[str, bytes]:
        return {a.filename: a.data for a in self.attachments}


@dataclass
class RequestRecord:
    method: str
    path: str
    query: Dict[str, str]
    at: float
    status: Optional[int] = None
    json: Any = None
    error: Optional[str] = None
    unknown: bool = False


class _Waitable:
    _standin: "DiscordStandIn"

    async def _wait(self, predicate: Callable[[], Any], timeout: float, what: Callable[[], str]) -> Any:
        return await self._standin._wait_for(predicate, timeout, what)


class InteractionHandle(_Waitable):
    """Returned by the ``send_*`` interaction drivers; await the bot's reaction on it."""

    def __init__(self, standin: "DiscordStandIn", payload: Dict[str, Any], *, name: Optional[str] = None) -> None:
        self._standin = standin
        self.payload = payload
        self.id = int(payload["id"])
        self.token: str = payload["token"]
        self.type: int = payload["type"]
        self.name = name
        self.created_at: float = _now()  # monotonic, set again when actually queued
        self.callback: Optional[CallbackRecord] = None
        self.rejected: List[CallbackRecord] = []
        self.original: Optional[MessageRecord] = None
        self.followups: List[MessageRecord] = []
        self.component_message: Optional[MessageRecord] = None
        self.last_activity: float = self.created_at
        self.events: List[Tuple[float, str]] = []
        self._first_followup_edits_original = False

    # --- state -----------------------------------------------------------------------------
    def _touch(self, what: str) -> None:
        self.last_activity = _now()
        self.events.append((self.last_activity, what))

    @property
    def response_latency(self) -> Optional[float]:
        """Seconds from dispatch to the (accepted) initial callback, or None."""
        return self.callback.latency if self.callback else None

    @property
    def messages(self) -> List[MessageRecord]:
        out = [self.original] if self.original is not None else []
        return out + [m for m in self.followups if m is not self.original]

    @property
    def final_message(self) -> Optional[MessageRecord]:
        if self.original is not None:
            return self.original
        return self.followups[-1] if self.followups else None

    def __repr__(self) -> str:
        cb = self.callback.type if self.callback else None
        return f"<InteractionHandle id={self.id} type={self.type} name={self.name!r} callback={cb}>"

    # --- waiting ---------------------------------------------------------------------------
    async def wait_for_response(self, timeout: float = 3.0) -> CallbackRecord:
        """Wait for the initial interaction callback (type 4/5/6/7/8/9) and return it."""

        def what() -> str:
            extra = f"; rejected attempts: {[r.error for r in self.rejected]}" if self.rejected else ""
            return f"the bot's initial response to interaction {self.name or self.id}{extra}"

        return await self._wait(lambda: self.callback, timeout, what)

    async def wait_for_followup(self, count: int = 1, timeout: float = 5.0) -> MessageRecord:
        """Wait until at least ``count`` follow-up messages exist; return the ``count``-th."""
        await self._wait(lambda: len(self.followups) >= count, timeout, lambda: f"{count} follow-up(s) to {self.name or self.id}")
        return self.followups[count - 1]

    async def wait_for(self, predicate: Callable[["InteractionHandle"], Any], timeout: float = 5.0) -> Any:
        return await self._wait(lambda: predicate(self), timeout, lambda: f"predicate on interaction {self.name or self.id}")

    async def wait_for_final(
        self,
        timeout: float = 5.0,
        *,
        settle: float = 0.15,
        predicate: Optional[Callable[[MessageRecord], Any]] = None,
    ) -> Optional[MessageRecord]:
        """Wait for the final state of the response message.

        Returns the original response message (or the last follow-up if there is no
        original) once it is no longer a "thinking…" placeholder and no further HTTP
        activity happened on this interaction for ``settle`` seconds.  With
        ``predicate`` it returns as soon as ``predicate(message)`` is truthy instead.
        For autocomplete / modal responses (no message) it returns ``None``.
        """
        deadline = _now() + timeout
        cb = await self.wait_for_response(timeout)
        if cb.type in (CB_AUTOCOMPLETE_RESULT, CB_MODAL, CB_PONG, CB_LAUNCH_ACTIVITY):
            return None

        def done() -> Any:
            msg = self.final_message
            if msg is None:
                return False
            if predicate is not None:
                return bool(predicate(msg))
            if msg.loading:
                return False
            if cb.type == CB_DEFERRED_UPDATE_MESSAGE and self.last_activity <= cb.received_at and not self.followups:
                return False  # deferred update: wait for the actual edit / follow-up
            return True

        await self._wait(done, max(0.0, deadline - _now()), lambda: f"final message of {self.name or self.id} "
                         f"(current: {self.final_message!r})")
        if predicate is None:
            await self._standin._settle(lambda: self.last_activity, settle, deadline)
        return self.final_message


class MessageHandle(_Waitable):
    """Returned by ``send_message_create``: the user's message and the bot's replies to it."""

    def __init__(self, standin: "DiscordStandIn", message: MessageRecord, delivered: bool) -> None:
        self._standin = standin
        self.message = message
        self.delivered = delivered
        self.created_at = message.created_at

    @property
    def replies(self) -> List[MessageRecord]:
        """Messages the bot created in the same channel after this one was dispatched."""
        return [
            m
            for m in self._standin.channel_messages.get(self.message.channel_id, [])
            if m.author.id == self._standin.bot_user.id and m.created_at >= self.created_at
        ]

    @property
    def typing(self) -> List[float]:
        return [t for t in self._standin.typing.get(self.message.channel_id, []) if t >= self.created_at]

    @property
    def response_latency(self) -> Optional[float]:
        replies = self.replies
        return replies[0].created_at - self.created_at if replies else None

    async def wait_for_response(self, timeout: float = 5.0) -> MessageRecord:
        """Wait for the bot's first message in the channel after this one."""
        await self._wait(lambda: self.replies, timeout, lambda: f"a bot reply to message {self.message.id}")
        return self.replies[0]

    async def wait_for_reaction(self, timeout: float = 5.0) -> str:
        await self._wait(lambda: self.message.reactions, timeout, lambda: f"a reaction on message {self.message.id}")
        return self.message.reactions[0]

    async def wait_for_final(
        self,
        timeout: float = 5.0,
        *,
        settle: float = 0.15,
        predicate: Optional[Callable[[MessageRecord], Any]] = None,
    ) -> MessageRecord:
        """Last bot reply, once the channel has been quiet for ``settle`` s (or ``predicate`` holds)."""
        deadline = _now() + timeout

        def done() -> Any:
            replies = self.replies
            if not replies:
                return False
            return predicate(replies[-1]) if predicate is not None else True

        await self._wait(done, timeout, lambda: f"a bot reply to message {self.message.id}")
        if predicate is None:
            def last() -> float:
                times = [m.history[-1][0] for m in self.replies if m.history]
                return max(times) if times else self.created_at
            await self._standin._settle(last, settle, deadline)
        return self.replies[-1]


# =============================================================================================
# Gateway sessions
# =============================================================================================


class _Connection:
    def __init__(self, ws: web.WebSocketResponse, compress: Optional[str]) -> None:
        self.ws = ws
        self.compress = compress
        self.queue: "asyncio.Queue[Optional[Dict[str, Any]]]" = asyncio.Queue()
        self.session: Optional[_Session] = None
        self.writer: Optional[asyncio.Task] = None
        self.heartbeats = 0
        self.server_closed = False
        self._zlib = zlib.compressobj() if compress == "zlib-stream" else None
        self._zstd: Any = None
        if compress == "zstd-stream":
            self._zstd = _make_zstd_compressor()

    def encode(self, payload: Dict[str, Any]) -> Union[str, bytes]:
        text = _json_dumps(payload)
        if self._zlib is not None:
            return self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
        if self._zstd is not None:
            return self._zstd(text.encode())
        return text

    def send(self, payload: Optional[Dict[str, Any]]) -> None:
        self.queue.put_nowait(payload)


def _make_zstd_compressor() -> Optional[Callable[[bytes], bytes]]:
    """A streaming zstd compressor flushed per message (matches discord.py's zstd-stream reader)."""
    try:
        import zstandard  # type: ignore

        cobj = zstandard.ZstdCompressor().compressobj()
        return lambda data: cobj.compress(data) + cobj.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)
    except ImportError:
        pass
    try:
        from compression.zstd import ZstdCompressor  # type: ignore

        comp = ZstdCompressor()
        return lambda data: comp.compress(data, mode=ZstdCompressor.FLUSH_BLOCK)
    except ImportError:
        return None


class _Session:
    def __init__(self, session_id: str, intents: int, shard: Optional[List[int]], token: str) -> None:
        self.id = session_id
        self.intents = intents
        self.shard = shard
        self.token = token
        self.seq = 0
        self.buffer: Deque[Tuple[int, Dict[str, Any]]] = deque(maxlen=2000)
        self.conn: Optional[_Connection] = None
        self.invalidated = False
        self.ready_sent = False
        self.presence: Optional[Dict[str, Any]] = None

    def has(self, intent: int) -> bool:
        return bool(self.intents & intent)


# =============================================================================================
# The stand-in server
# =============================================================================================


class DiscordStandIn:
    """A fake Discord (REST API v10 + gateway) on 127.0.0.1 for driving a real discord.py bot.

    Use as ``async with DiscordStandIn() as standin:`` – that starts the server and
    patches discord.py (see :func:`patch_discord`) until the block exits.
    """

    def __init__(
        self,
        *,
        token: str = "standin.bot.token",
        bot_name: str = "StandInBot",
        callback_deadline: Optional[float] = 3.0,
        heartbeat_interval_ms: int = 41250,
        gateway_compression: bool = True,
        allowed_intents: Optional[int] = None,
        attachment_size_limit: int = 10 * 1024 * 1024,
        echo_bot_messages: bool = True,
        strict: bool = True,
        patch: bool = True,
        guild_ready_timeout: Optional[float] = 0.05,
        require_synced_commands: bool = False,
        rate_limits: bool = True,
        route_limits: Optional[Mapping[str, Tuple[int, float]]] = None,
        global_limit: Optional[Tuple[int, float]] = (50, 1.0),
        shards: int = 1,
    ) -> None:
        self.token = token
        self.rate_limits = rate_limits
        self.route_limits: Dict[str, Tuple[int, float]] = {**DEFAULT_ROUTE_LIMITS, **dict(route_limits or {})}
        self.global_limit = global_limit
        self.shards = shards
        self.callback_deadline = callback_deadline
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.gateway_compression = gateway_compression
        self.allowed_intents = allowed_intents
        self.attachment_size_limit = attachment_size_limit
        self.echo_bot_messages = echo_bot_messages
        self.strict = strict
        self.patch = patch
        self.guild_ready_timeout = guild_ready_timeout
        self.require_synced_commands = require_synced_commands

        # recordings
        self.requests: List[RequestRecord] = []
        self.unknown_requests: List[RequestRecord] = []
        self.errors: List[str] = []
        self.global_commands: Dict[Tuple[str, int], Dict[str, Any]] = {}
        self.guild_commands: Dict[int, Dict[Tuple[str, int], Dict[str, Any]]] = {}
        self.sync_calls: List[Tuple[float, Optional[int], List[Dict[str, Any]]]] = []
        self.interactions: Dict[int, InteractionHandle] = {}
        self.messages: Dict[int, MessageRecord] = {}
        self.channel_messages: Dict[int, List[MessageRecord]] = {}
        self.typing: Dict[int, List[float]] = {}
        self.gateway_events_sent: List[Tuple[float, str]] = []
        self.gateway_received: List[Dict[str, Any]] = []
        self.identify_payloads: List[Dict[str, Any]] = []
        self.resumes: List[Dict[str, Any]] = []
        self.gateway_connects: List[Dict[str, Any]] = []  # query params + negotiated compression
        self.cdn: Dict[int, AttachmentRecord] = {}
        self._failures: List[Dict[str, Any]] = []
        self.rate_limited: List[RequestRecord] = []  # every 429 the stand-in sent (enforced or injected)
        self._buckets: Dict[Tuple[str, str], List[float]] = {}  # (bucket hash, major) -> [count, reset_at]
        self._global_window: List[float] = [0, 0.0]
        self._shard_sessions: Dict[int, _Session] = {}

        self._sessions: Dict[str, _Session] = {}
        self._session: Optional[_Session] = None
        self._connections: List[_Connection] = []
        self._activity = asyncio.Event()
        self._runner: Optional[web.AppRunner] = None
        self._patcher: Optional[contextlib.ExitStack] = None
        self.port: Optional[int] = None

        # directory: the application's bot user, a guild owner, a default invoking user,
        # one guild with #general and #random
        self.snowflake = SnowflakeFactory()
        self.application_id = self.snowflake()
        self.bot_user = StandInUser(self.application_id, bot_name, None, bot=True)
        self.owner = StandInUser(self.snowflake(), "owner", "Owner")
        self.user = StandInUser(self.snowflake(), "tester", "Tester")
        self.users: Dict[int, StandInUser] = {u.id: u for u in (self.bot_user, self.owner, self.user)}
        self.guilds: Dict[int, StandInGuild] = {}
        self.dm_channels: Dict[int, StandInChannel] = {}  # by recipient user id
        self.private_channels: Dict[int, StandInChannel] = {}  # group DMs, by the invoking user's id
        self._friend_id: Optional[int] = None
        self.guild = self.add_guild("Stand-in Guild", owner=self.owner, members=[self.user])
        self.channel = next(iter(self.guild.channels.values()))

    # ------------------------------------------------------------------------------------------
    # lifecycle
    # ------------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        assert self.port is not None, "stand-in not started"
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/api/v{API_VERSION}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> "DiscordStandIn":
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        self._add_routes(app)
        try:
            self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        except TypeError:  # older aiohttp: shutdown_timeout lives on the site
            self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        log.info("Discord stand-in listening on %s", self.base_url)
        if self.patch:
            self._patcher = contextlib.ExitStack()
            self._patcher.enter_context(patch_discord(self, guild_ready_timeout=self.guild_ready_timeout))
        return self

    async def stop(self) -> None:
        if self._patcher is not None:
            self._patcher.close()
            self._patcher = None
        for conn in list(self._connections):
            conn.server_closed = True
            conn.send(None)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.ws.close(code=1001, message=b"stand-in shutting down"), 1.0)
            if conn.writer is not None:
                conn.writer.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> "DiscordStandIn":
        return await self.start()

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        await self.stop()
        if exc_type is None and self.strict:
            self.assert_clean()

    def assert_clean(self) -> None:
        """Fail if the bot hit routes the stand-in does not implement, or a handler crashed."""
        problems = [f"unknown route {r.method} {r.path}" for r in self.unknown_requests] + self.errors
        if problems:
            raise StandInError("Discord stand-in problems:\n  " + "\n  ".join(problems))

    @contextlib.asynccontextmanager
    async def run_client(
        self,
        client: Any,
        *,
        token: Optional[str] = None,
        timeout: float = 10.0,
        wait_until_ready: bool = True,
    ) -> AsyncIterator[Any]:
        """Run ``client.start(token)`` in a task until the block exits, then close it.

        Waits until the gateway session is up (READY + GUILD_CREATE queued) and, unless
        ``wait_until_ready=False``, until discord.py dispatched ``on_ready``.
        """
        task = asyncio.create_task(client.start(token or self.token), name="standin-client")
        try:
            await self._race(task, self.wait_until_connected(timeout), timeout, "gateway session")
            if wait_until_ready:
                await self._race(task, client.wait_until_ready(), timeout, "client on_ready")
            yield client
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.close(), 5.0)
            if not task.done():
                task.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(task, 5.0)

    async def _race(self, task: asyncio.Task, coro: Any, timeout: float, what: str) -> None:
        waiter = asyncio.ensure_future(coro)
        try:
            done, _ = await asyncio.wait({task, waiter}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not waiter.done():
                waiter.cancel()
                with contextlib.suppress(BaseException):
                    await waiter
        if waiter in done:
            waiter.result()
            return
        if task in done:
            exc = task.exception()
            raise StandInError(f"client exited before {what}: {exc!r}") from exc
        raise StandInTimeout(f"timed out after {timeout}s waiting for {what}")

    # ------------------------------------------------------------------------------------------
    # waiting helpers
    # ------------------------------------------------------------------------------------------
    def _notify(self) -> None:
        ev, self._activity = self._activity, asyncio.Event()
        ev.set()

    async def _wait_for(self, predicate: Callable[[], Any], timeout: float, what: Callable[[], str]) -> Any:
        deadline = _now() + timeout
        while True:
            ev = self._activity
            result = predicate()
            if result:
                return result
            remaining = deadline - _now()
            if remaining <= 0:
                raise StandInTimeout(f"timed out after {timeout:.2f}s waiting for {what()}")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(ev.wait(), remaining)

    async def _settle(self, last_activity: Callable[[], float], settle: float, deadline: float) -> None:
        while True:
            now = _now()
            quiet_at = last_activity() + settle
            if now >= quiet_at or now >= deadline:
                return
            await asyncio.sleep(min(quiet_at, deadline) - now)

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> Any:
        """Wait (event-driven, no polling) until ``predicate()`` is truthy; return its value."""
        return await self._wait_for(predicate, timeout, lambda: what)

    async def wait_until_connected(self, timeout: float = 5.0) -> None:
        await self._wait_for(
            lambda: self._session is not None and self._session.ready_sent and self._session.conn is not None,
            timeout,
            lambda: "a bot to IDENTIFY/RESUME on the gateway",
        )

    async def wait_for_sync(self, count: int = 1, timeout: float = 5.0) -> None:
        await self._wait_for(lambda: len(self.sync_calls) >= count, timeout, lambda: f"{count} command sync call(s)")

    async def wait_for_request(self, method: str, path_regex: str, timeout: float = 5.0) -> RequestRecord:
        rx = re.compile(path_regex)

        def find() -> Optional[RequestRecord]:
            return next((r for r in self.requests if r.method == method and rx.search(r.path) and r.status), None)

        return await self._wait_for(find, timeout, lambda: f"{method} {path_regex}")

    @property
    def is_connected(self) -> bool:
        return self._session is not None and self._session.conn is not None

    @property
    def session(self) -> Optional[_Session]:
        return self._session

    # ------------------------------------------------------------------------------------------
    # directory management
    # ------------------------------------------------------------------------------------------
    def add_user(
        self,
        username: str,
        *,
        global_name: Optional[str] = None,
        bot: bool = False,
        guild: Union[StandInGuild, None, bool] = None,
        roles: Sequence[StandInRole] = (),
        nick: Optional[str] = None,
    ) -> StandInUser:
        """Create a user; by default also a member of the main guild (``guild=False``: no guild)."""
        user = StandInUser(self.snowflake(), username, global_name, bot=bot)
        self.users[user.id] = user
        if guild is not False:
            g = guild if isinstance(guild, StandInGuild) else self.guild
            member = StandInMember(user, [r.id for r in roles], nick)
            g.members[user.id] = member
            if self._session is not None and self._session.has(INTENT_GUILD_MEMBERS):
                data = member.payload()
                data["guild_id"] = str(g.id)
                self.dispatch("GUILD_MEMBER_ADD", data)
        return user

    def add_role(self, name: str, permissions: int = 0, *, guild: Optional[StandInGuild] = None, mentionable: bool = False) -> StandInRole:
        g = guild or self.guild
        role = StandInRole(self.snowflake(), name, permissions, position=len(g.roles), mentionable=mentionable)
        g.roles[role.id] = role
        if self._session is not None:
            self.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(g.id), "role": role.payload()})
        return role

    def add_channel(self, name: str, *, guild: Optional[StandInGuild] = None, type: int = 0, topic: Optional[str] = None,
                    parent: Optional[StandInChannel] = None) -> StandInChannel:
        g = guild or self.guild
        ch = StandInChannel(self.snowflake(), name, g.id, type=type, position=len(g.channels), topic=topic,
                            parent_id=parent.id if parent else None)
        g.channels[ch.id] = ch
        self.channel_messages.setdefault(ch.id, [])
        if self._session is not None and self._session.has(INTENT_GUILDS):
            self.dispatch("CHANNEL_CREATE", ch.payload())
        return ch

    def add_guild(self, name: str, *, owner: Optional[StandInUser] = None, members: Sequence[StandInUser] = (),
                  channels: Sequence[str] = ("general", "random")) -> StandInGuild:
        owner = owner or self.owner
        g = StandInGuild(self.snowflake(), name, owner.id)
        g.roles[g.id] = StandInRole(g.id, "@everyone", DEFAULT_EVERYONE_PERMISSIONS, 0)
        bot_role = StandInRole(self.snowflake(), self.bot_user.username, DEFAULT_EVERYONE_PERMISSIONS | P_MENTION_EVERYONE,
                               1, managed=True, bot_id=self.bot_user.id)
        g.roles[bot_role.id] = bot_role
        g.members[self.bot_user.id] = StandInMember(self.bot_user, [bot_role.id])
        g.members[owner.id] = StandInMember(owner)
        for u in members:
            g.members[u.id] = StandInMember(u)
        for i, cname in enumerate(channels):
            ch = StandInChannel(self.snowflake(), cname, g.id, position=i)
            g.channels[ch.id] = ch
            self.channel_messages.setdefault(ch.id, [])
        self.guilds[g.id] = g
        if self._session is not None and self._session.has(INTENT_GUILDS):
            self.dispatch("GUILD_CREATE", g.gateway_payload())
        return g

    def private_channel(self, user: StandInUser) -> StandInChannel:
        """A group DM of ``user`` and a friend, where only a user-installed app can be used."""
        ch = self.private_channels.get(user.id)
        if ch is None:
            friend = self.users.get(self._friend_id) if self._friend_id else None
            if friend is None:
                friend = self.add_user("friend", guild=False)
                self._friend_id = friend.id
            ch = StandInChannel(self.snowflake(), "study group", None, type=1, recipients=[user, friend])
            self.private_channels[user.id] = ch
            self.channel_messages.setdefault(ch.id, [])
        return ch

    def dm_channel(self, user: StandInUser) -> StandInChannel:
        ch = self.dm_channels.get(user.id)
        if ch is None:
            ch = StandInChannel(self.snowflake(), "", None, type=1, recipients=[user])
            self.dm_channels[user.id] = ch
            self.channel_messages.setdefault(ch.id, [])
        return ch

    def _find_channel(self, channel_id: int) -> Tuple[Optional[StandInChannel], Optional[StandInGuild]]:
        for g in self.guilds.values():
            if channel_id in g.channels:
                return g.channels[channel_id], g
            if channel_id in g.threads:
                return g.threads[channel_id], g
        for ch in self.dm_channels.values():
            if ch.id == channel_id:
                return ch, None
        return None, None

    def _resolve_user(self, user: Union[StandInUser, int, None]) -> StandInUser:
        if user is None:
            return self.user
        if isinstance(user, StandInUser):
            return user
        try:
            return self.users[int(user)]
        except KeyError:
            raise StandInError(f"unknown user {user!r}; create it with standin.add_user()") from None

    # ------------------------------------------------------------------------------------------
    # gateway
    # ------------------------------------------------------------------------------------------
    def dispatch(self, event: str, data: Dict[str, Any], *, session: Optional[_Session] = None) -> None:
        """Queue a DISPATCH (op 0) event for the bot (ordering is preserved).

        With several shards a guild's events go to the session of the shard that owns the guild
        (``(guild_id >> 22) % shards``, as Discord routes them); DMs go to shard 0."""
        s = session
        if s is None and self.shards > 1:
            gid = (data.get("guild_id") or (data.get("id") if event == "GUILD_CREATE" else None)
                   if isinstance(data, dict) else None)
            s = self._shard_sessions.get(self.shard_of(int(gid)) if gid else 0)
        s = s or self._session
        if s is None:
            raise StandInError(f"cannot dispatch {event}: no bot has identified on the gateway yet")
        s.seq += 1
        frame = {"op": OP_DISPATCH, "t": event, "s": s.seq, "d": data}
        s.buffer.append((s.seq, frame))
        self.gateway_events_sent.append((_now(), event))
        if s.conn is not None:
            s.conn.send(frame)
        else:
            log.info("bot is disconnected; %s (seq %s) buffered for RESUME", event, s.seq)

    def shard_of(self, guild_id: int) -> int:
        return (int(guild_id) >> 22) % self.shards

    def force_reconnect(self) -> None:
        """Send op 7 RECONNECT; discord.py reconnects to resume_gateway_url and RESUMEs."""
        if self._session is None or self._session.conn is None:
            raise StandInError("no connected gateway session")
        self._session.conn.send({"op": OP_RECONNECT, "d": None})

    async def drop_connection(self, code: int = 4000) -> None:
        """Close the gateway socket from the server side (resumable close codes make discord.py RESUME)."""
        if self._session is None or self._session.conn is None:
            raise StandInError("no connected gateway session")
        conn = self._session.conn
        conn.server_closed = True
        await conn.ws.close(code=code)

    async def _gateway_handler(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0, compress=False)
        await ws.prepare(request)
        q = request.query
        encoding = q.get("encoding", "json")
        compress = q.get("compress") if self.gateway_compression else None
        if compress == "zstd-stream" and _make_zstd_compressor() is None:
            log.warning("zstd-stream requested but no zstd module available; sending plain text frames")
            compress = None
        conn = _Connection(ws, compress)
        self._connections.append(conn)
        self.gateway_connects.append({**dict(q), "negotiated_compression": compress, "at": _now()})
        conn.writer = asyncio.create_task(self._writer(conn), name="standin-gateway-writer")
        log.debug("gateway connection: v=%s encoding=%s compress=%s", q.get("v"), encoding, compress)
        try:
            if encoding != "json":
                log.error("stand-in only supports encoding=json (got %r)", encoding)
                conn.server_closed = True
                await ws.close(code=4002, message=b"Decode error")
                return ws
            if q.get("v") not in (None, "10"):
                log.warning("bot connected to gateway with v=%s (expected 10)", q.get("v"))
            conn.send({"op": OP_HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms, "_trace": ["standin"]}, "s": None, "t": None})
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    payload = json.loads(msg.data)
                elif msg.type == WSMsgType.BINARY:
                    payload = json.loads(msg.data.decode())
                else:
                    break
                close = await self._handle_gateway_payload(conn, payload)
                if close is not None:
                    conn.send(None)
                    if conn.writer:
                        with contextlib.suppress(BaseException):
                            await asyncio.wait_for(conn.writer, 1.0)
                    conn.server_closed = True
                    await ws.close(code=close[0], message=close[1].encode())
                    break
        except Exception as exc:  # pragma: no cover - diagnostic
            self.errors.append(f"gateway handler crashed: {exc!r}")
            log.exception("gateway handler crashed")
        finally:
            conn.send(None)
            if conn.writer is not None and not conn.writer.done():
                with contextlib.suppress(BaseException):
                    await asyncio.wait_for(conn.writer, 1.0)
            s = conn.session
            if s is not None and s.conn is conn:
                s.conn = None
                if not conn.server_closed and ws.close_code in (1000, 1001):
                    # Like Discord: a client closing with 1000/1001 ends the session (no RESUME).
                    s.invalidated = True
            if conn in self._connections:
                self._connections.remove(conn)
            self._notify()
        return ws

    async def _writer(self, conn: _Connection) -> None:
        while True:
            payload = await conn.queue.get()
            if payload is None or conn.ws.closed:
                return
            data = conn.encode(payload)
            try:
                if isinstance(data, bytes):
                    await conn.ws.send_bytes(data)
                else:
                    await conn.ws.send_str(data)
            except Exception as exc:
                log.info("gateway send failed (%r); dropping connection writer", exc)
                return

    async def _handle_gateway_payload(self, conn: _Connection, payload: Dict[str, Any]) -> Optional[Tuple[int, str]]:
        op = payload.get("op")
        d = payload.get("d")
        self.gateway_received.append(payload)
        if op == OP_HEARTBEAT:
            conn.heartbeats += 1
            conn.send({"op": OP_HEARTBEAT_ACK, "d": None})
            return None
        if op == OP_IDENTIFY:
            if conn.session is not None:
                return 4005, "Already authenticated."
            self.identify_payloads.append(d)
            if d.get("token") != self.token:
                log.error("IDENTIFY with wrong token")
                return 4004, "Authentication failed."
            intents = int(d.get("intents", 0))
            if self.allowed_intents is not None and intents & PRIVILEGED_INTENTS & ~self.allowed_intents:
                return 4014, "Disallowed intent(s)."
            shard = d.get("shard")
            if shard is not None and (shard[1] != self.shards or not 0 <= shard[0] < self.shards):
                return 4010, "Invalid shard."
            if shard is None and self.shards != 1:
                return 4011, "Sharding required."
            s = _Session(secrets.token_hex(16), intents, shard, d["token"])
            s.presence = d.get("presence")
            self._sessions[s.id] = s
            self._session = s
            self._shard_sessions[shard[0] if shard else 0] = s
            shard_guilds = [g for gid, g in self.guilds.items() if self.shard_of(gid) == (shard[0] if shard else 0)]
            s.conn = conn
            conn.session = s
            ready = {
                "v": API_VERSION,
                "user": {**self.bot_user.payload(), "verified": True, "mfa_enabled": False, "email": None, "locale": "en-US"},
                "guilds": [{"id": str(g.id), "unavailable": True} for g in shard_guilds],
                "session_id": s.id,
                "session_type": "normal",
                "resume_gateway_url": self.gateway_url,
                "application": {"id": str(self.application_id), "flags": DEFAULT_APPLICATION_FLAGS},
                "private_channels": [],
                "relationships": [],
                "presences": [],
                "guild_join_requests": [],
                "user_settings": {},
                "geo_ordered_rtc_regions": ["standin"],
                "auth": {},
                "_trace": ["standin-gateway"],
            }
            if shard is not None:
                ready["shard"] = shard
            self.dispatch("READY", ready, session=s)
            if s.has(INTENT_GUILDS):
                for g in shard_guilds:
                    self.dispatch("GUILD_CREATE", g.gateway_payload(), session=s)
            else:
                log.warning("bot identified without the GUILDS intent: no GUILD_CREATE sent (guilds stay unavailable)")
            s.ready_sent = True
            self._notify()
            return None
        if op == OP_RESUME:
            s = self._sessions.get(d.get("session_id"))
            self.resumes.append(d)
            if s is None or s.invalidated or d.get("token") != s.token:
                log.info("RESUME for unknown/invalid session -> INVALID_SESSION")
                conn.send({"op": OP_INVALID_SESSION, "d": False})
                return None
            seq = d.get("seq") or 0
            if s.conn is not None and s.conn is not conn:
                old = s.conn
                s.conn = None
                old.send(None)
            s.conn = conn
            conn.session = s
            self._session = s
            for n, frame in list(s.buffer):
                if n > seq:
                    conn.send(frame)
            self.dispatch("RESUMED", {"_trace": ["standin"]}, session=s)
            self._notify()
            return None
        if conn.session is None:
            return 4003, "Not authenticated."
        if op == OP_PRESENCE:
            conn.session.presence = d
            return None
        if op == OP_REQUEST_MEMBERS:
            g = self.guilds.get(int(d["guild_id"]))
            if g is None:
                return None
            members = list(g.members.values())
            if d.get("user_ids"):
                wanted = {int(u) for u in d["user_ids"]}
                members = [m for m in members if m.user.id in wanted]
            elif d.get("query"):
                members = [m for m in members if m.user.username.lower().startswith(d["query"].lower())]
            if d.get("limit"):
                members = members[: int(d["limit"])]
            chunk: Dict[str, Any] = {
                "guild_id": str(g.id),
                "members": [m.payload() for m in members],
                "chunk_index": 0,
                "chunk_count": 1,
            }
            if d.get("nonce"):
                chunk["nonce"] = d["nonce"]
            if d.get("presences"):
                chunk["presences"] = []
            self.dispatch("GUILD_MEMBERS_CHUNK", chunk, session=conn.session)
            return None
        if op == OP_VOICE_STATE:
            log.warning("voice is not supported by the stand-in (VOICE_STATE_UPDATE ignored)")
            return None
        log.error("stand-in got unsupported gateway op %r: %r", op, payload)
        self.errors.append(f"unsupported gateway op {op}")
        return None

    # ------------------------------------------------------------------------------------------
    # HTTP plumbing
    # ------------------------------------------------------------------------------------------
    def fail_next(self, method: str, path_regex: str, status: int, body: Optional[Dict[str, Any]] = None, *,
                  times: int = 1, headers: Optional[Dict[str, str]] = None) -> None:
        """Make the next ``times`` matching requests fail (e.g. 429 with ``headers={'Via': '1.1 google'}``)."""
        self._failures.append({
            "method": method.upper(), "rx": re.compile(path_regex), "status": status,
            "body": body or {"message": "injected failure", "code": 0}, "times": times, "headers": headers or {},
        })

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
        if request.path == "/gateway":
            return await handler(request)
        rec = RequestRecord(request.method, request.path, dict(request.query), _now())
        request[_RECORD_KEY] = rec
        self.requests.append(rec)
        try:
            for f in self._failures:
                if f["times"] > 0 and f["method"] == request.method and f["rx"].search(request.path):
                    f["times"] -= 1
                    await request.read()
                    resp = json_response(f["body"], f["status"])
                    resp.headers.update(f["headers"])
                    rec.status, rec.error = f["status"], "injected"
                    if f["status"] == 429:
                        self.rate_limited.append(rec)
                    return resp
            limited = self._rate_limit(request, rec)
            if limited is not None:
                await request.read()
                return limited
            try:
                resp = await handler(request)
            except APIError as e:
                log.info("%s %s -> %s %s %s", request.method, request.path, e.status, e.code, e.message)
                rec.error = f"{e.code} {e.message}"
                resp = e.to_response()
            except web.HTTPException:
                raise
            except Exception as exc:
                log.exception("stand-in handler crashed on %s %s", request.method, request.path)
                self.errors.append(f"handler crashed on {request.method} {request.path}: {exc!r}")
                # 503 (not 500/502/504) so discord.py raises at once instead of retrying with back-off.
                resp = json_response({"message": f"stand-in bug: {exc!r}", "code": 0}, 503)
            rec.status = resp.status
            headers = request.get(_RATE_KEY)
            if headers:
                resp.headers.update(headers)
            return resp
        finally:
            self._notify()

    def rate_limit_next(self, method: str, path_regex: str, retry_after: float = 0.25, *, scope: str = "user",
                        times: int = 1) -> None:
        """Answer the next ``times`` matching requests with a 429 as Discord sends it: ``Via``,
        ``Retry-After``, ``X-RateLimit-*`` headers and a JSON body with ``retry_after``.

        ``scope="global"`` is the bot-wide limit (``X-RateLimit-Global: true``, ``"global": true``);
        ``"shared"`` a per-resource limit; ``"user"`` this route's bucket (a sub-limit)."""
        is_global = scope == "global"
        headers = {
            "Via": "1.1 google",
            "Retry-After": str(max(1, int(retry_after + 0.999))),
            "X-RateLimit-Scope": scope,
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        else:
            headers.update({"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0",
                            "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
                            "X-RateLimit-Reset-After": f"{retry_after:.3f}", "X-RateLimit-Bucket": "injected"})
        body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": is_global}
        if is_global:
            body["code"] = 0
        self.fail_next(method, path_regex, 429, body, times=times, headers=headers)

    def _rate_limit(self, request: web.Request, rec: RequestRecord) -> Optional[web.Response]:
        """Count the request in its route bucket (and the global one); a 429 when either is spent.

        The bucket's headers are attached to the eventual response (see the middleware)."""
        if not self.rate_limits:
            return None
        info = request.match_info
        route = getattr(info, "route", None)
        resource = getattr(route, "resource", None)
        template = getattr(resource, "canonical", None)
        if template is None or not template.startswith(f"/api/v{API_VERSION}/"):
            return None
        template = template[len(f"/api/v{API_VERSION}"):]
        family = f"{request.method} {template}"
        limit, per = self.route_limits.get(family, FALLBACK_ROUTE_LIMIT)
        major = ":".join(info.get(k, "") for k in MAJOR_PARAMETERS if k in info)
        bucket_hash = hashlib.sha1(family.encode()).hexdigest()[:16]
        now = time.monotonic()
        if self.global_limit is not None and not any(x in template for x in GLOBAL_EXEMPT):
            g_limit, g_per = self.global_limit
            window = self._global_window
            if now >= window[1]:
                window[0], window[1] = 0, now + g_per
            if window[0] >= g_limit:
                retry = max(0.001, window[1] - now)
                return self._too_many(rec, retry, None, scope="global")
            window[0] += 1
        bucket = self._buckets.setdefault((bucket_hash, major), [0, 0.0])
        if now >= bucket[1]:
            bucket[0], bucket[1] = 0, now + per
        reset_after = max(0.0, bucket[1] - now)
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket_hash,
        }
        if bucket[0] >= limit:
            return self._too_many(rec, max(0.001, reset_after), {**headers, "X-RateLimit-Remaining": "0"})
        bucket[0] += 1
        headers["X-RateLimit-Remaining"] = str(int(limit - bucket[0]))
        request[_RATE_KEY] = headers
        return None

    def _too_many(self, rec: RequestRecord, retry_after: float, headers: Optional[Dict[str, str]], *,
                  scope: str = "user") -> web.Response:
        is_global = scope == "global"
        body: Dict[str, Any] = {"message": "You are being rate limited.", "retry_after": round(retry_after, 3),
                                "global": is_global}
        resp = json_response(body, 429)
        resp.headers.update({"Via": "1.1 google", "Retry-After": str(max(1, int(retry_after + 0.999))),
                             "X-RateLimit-Scope": scope, **(headers or {})})
        if is_global:
            resp.headers["X-RateLimit-Global"] = "true"
        rec.status, rec.error = 429, f"rate limited ({scope})"
        self.rate_limited.append(rec)
        log.info("429 (%s) for %s %s, retry after %.3fs", scope, rec.method, rec.path, retry_after)
        return resp

    def _auth(self, request: web.Request) -> None:
        if request.headers.get("Authorization") != f"Bot {self.token}":
            raise APIError(401, 0, "401: Unauthorized")

    async def _body(self, request: web.Request) -> Tuple[Dict[str, Any], List[Tuple[str, Optional[str], str, bytes]]]:
        """Return (json payload, files) for JSON or multipart (payload_json + files[n]) bodies."""
        files: List[Tuple[str, Optional[str], str, bytes]] = []
        payload: Any = {}
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                name = part.name or ""
                if name == "payload_json":
                    payload = json.loads(await part.text())
                elif part.filename is not None or _FILE_FIELD_RE.match(name):
                    data = bytes(await part.read(decode=False))
                    files.append((name, part.filename, part.headers.get("Content-Type", "application/octet-stream"), data))
                else:
                    log.warning("ignoring multipart field %r", name)
        else:
            raw = await request.read()
            if raw:
                payload = json.loads(raw)
        rec = request.get(_RECORD_KEY)
        if rec is not None:
            rec.json = payload
        return payload, files

    def _add_routes(self, app: web.Application) -> None:
        v = f"/api/v{API_VERSION}"
        r = app.router
        r.add_get("/gateway", self._gateway_handler)
        r.add_get(v + "/gateway", self._get_gateway)
        r.add_get(v + "/gateway/bot", self._get_gateway_bot)
        r.add_get(v + "/users/@me", self._get_me)
        r.add_get(v + "/users/{user_id:\\d+}", self._get_user)
        r.add_post(v + "/users/@me/channels", self._create_dm)
        r.add_get(v + "/oauth2/applications/@me", self._get_app)
        r.add_get(v + "/applications/@me", self._get_app)
        r.add_get(v + "/applications/{app_id}/emojis", self._list_app_emojis)
        r.add_get(v + "/applications/{app_id}/entitlements", self._empty_list)
        for prefix in ("/applications/{app_id}/commands", "/applications/{app_id}/guilds/{guild_id}/commands"):
            r.add_get(v + prefix, self._get_commands)
            r.add_put(v + prefix, self._put_commands)
            r.add_post(v + prefix, self._post_command)
            r.add_get(v + prefix + "/{command_id:\\d+}", self._get_command)
            r.add_patch(v + prefix + "/{command_id:\\d+}", self._patch_command)
            r.add_delete(v + prefix + "/{command_id:\\d+}", self._delete_command)
        r.add_post(v + "/interactions/{interaction_id}/{token}/callback", self._interaction_callback)
        r.add_post(v + "/webhooks/{app_id}/{token}", self._webhook_execute)
        r.add_get(v + "/webhooks/{app_id}/{token}/messages/{message_id}", self._webhook_get)
        r.add_patch(v + "/webhooks/{app_id}/{token}/messages/{message_id}", self._webhook_edit)
        r.add_delete(v + "/webhooks/{app_id}/{token}/messages/{message_id}", self._webhook_delete)
        r.add_get(v + "/channels/{channel_id}", self._get_channel)
        r.add_get(v + "/channels/{channel_id}/messages", self._list_messages)
        r.add_post(v + "/channels/{channel_id}/messages", self._create_message)
        r.add_get(v + "/channels/{channel_id}/messages/{message_id}", self._get_message)
        r.add_patch(v + "/channels/{channel_id}/messages/{message_id}", self._edit_message)
        r.add_delete(v + "/channels/{channel_id}/messages/{message_id}", self._delete_message)
        r.add_post(v + "/channels/{channel_id}/typing", self._typing)
        r.add_post(v + "/channels/{channel_id}/messages/{message_id}/threads", self._start_thread_from_message)
        r.add_post(v + "/channels/{channel_id}/threads", self._start_thread)
        r.add_put(v + "/channels/{channel_id}/thread-members/@me", self._join_thread)
        r.add_put(v + "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", self._add_reaction)
        r.add_delete(v + "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", self._remove_reaction)
        r.add_get(v + "/guilds/{guild_id}", self._get_guild)
        r.add_get(v + "/guilds/{guild_id}/channels", self._get_guild_channels)
        r.add_get(v + "/guilds/{guild_id}/roles", self._get_guild_roles)
        r.add_get(v + "/guilds/{guild_id}/members", self._list_members)
        r.add_get(v + "/guilds/{guild_id}/members/{user_id}", self._get_member)
        r.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._cdn_attachment)
        r.add_get("/cdn/{tail:.*}", self._cdn_asset)
        r.add_route("*", "/{tail:.*}", self._unknown)

    async def _unknown(self, request: web.Request) -> web.Response:
        body = await request.read()
        rec: RequestRecord = request[_RECORD_KEY]
        rec.unknown = True
        self.unknown_requests.append(rec)
        log.error(
            "\n%s\nDISCORD STAND-IN: UNHANDLED ROUTE %s %s (query=%s, body=%r)\n%s",
            "!" * 78, request.method, request.path, dict(request.query), body[:300], "!" * 78,
        )
        return json_response({"message": "404: Not Found", "code": 0}, 404)

    # --- misc REST -----------------------------------------------------------------------------
    async def _get_gateway(self, request: web.Request) -> web.Response:
        return json_response({"url": self.gateway_url})

    async def _get_gateway_bot(self, request: web.Request) -> web.Response:
        self._auth(request)
        return json_response({
            "url": self.gateway_url,
            "shards": self.shards,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 86400000, "max_concurrency": 1},
        })

    async def _get_me(self, request: web.Request) -> web.Response:
        self._auth(request)
        return json_response({**self.bot_user.payload(), "verified": True, "mfa_enabled": False, "email": None,
                              "locale": "en-US", "bio": ""})

    async def _get_user(self, request: web.Request) -> web.Response:
        self._auth(request)
        user = self.users.get(int(request.match_info["user_id"]))
        if user is None:
            raise APIError(404, 10013, "Unknown User")
        return json_response(user.payload())

    async def _create_dm(self, request: web.Request) -> web.Response:
        self._auth(request)
        payload, _ = await self._body(request)
        user = self.users.get(int(payload.get("recipient_id", 0)))
        if user is None:
            raise APIError(400, 50033, "Invalid Recipient(s)")
        return json_response(self.dm_channel(user).payload())

    def app_info_payload(self) -> Dict[str, Any]:
        return {
            "id": str(self.application_id),
            "name": self.bot_user.username,
            "icon": None,
            "description": "discord.py test stand-in application",
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "owner": self.owner.payload(),
            "team": None,
            "flags": DEFAULT_APPLICATION_FLAGS,
            "tags": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "approximate_guild_count": len(self.guilds),
            "integration_types_config": {"0": {}, "1": {}},
            "install_params": {"scopes": ["bot", "applications.commands"], "permissions": "0"},
            "bot": self.bot_user.payload(),
        }

    async def _get_app(self, request: web.Request) -> web.Response:
        self._auth(request)
        return json_response(self.app_info_payload())

    async def _list_app_emojis(self, request: web.Request) -> web.Response:
        self._auth(request)
        return json_response({"items": []})

    async def _empty_list(self, request: web.Request) -> web.Response:
        self._auth(request)
        return json_response([])

    # --- guilds / channels (read) ------------------------------------------------------------
    def _guild_or_404(self, request: web.Request) -> StandInGuild:
        g = self.guilds.get(int(request.match_info["guild_id"]))
        if g is None:
            raise APIError(404, 10004, "Unknown Guild")
        return g

    async def _get_guild(self, request: web.Request) -> web.Response:
        self._auth(request)
        g = self._guild_or_404(request)
        data = g.rest_payload()
        if request.query.get("with_counts") in ("true", "1"):
            data.update(approximate_member_count=len(g.members), approximate_presence_count=0)
        return json_response(data)

    async def _get_guild_channels(self, request: web.Request) -> web.Response:
        self._auth(request)
        return json_response([c.payload() for c in self._guild_or_404(request).channels.values()])

    async def _get_guild_roles(self, request: web.Request) -> web.Response:
        self._auth(request)
        return json_response([r.payload() for r in self._guild_or_404(request).roles.values()])

    async def _list_members(self, request: web.Request) -> web.Response:
        self._auth(request)
        g = self._guild_or_404(request)
        limit = int(request.query.get("limit", 1))
        return json_response([m.payload() for m in list(g.members.values())[:limit]])

    async def _get_member(self, request: web.Request) -> web.Response:
        self._auth(request)
        g = self._guild_or_404(request)
        m = g.members.get(int(request.match_info["user_id"]))
        if m is None:
            raise APIError(404, 10007, "Unknown Member")
        return json_response(m.payload())

    def _channel_or_404(self, request: web.Request) -> Tuple[StandInChannel, Optional[StandInGuild]]:
        ch, g = self._find_channel(int(request.match_info["channel_id"]))
        if ch is None:
            raise APIError(404, 10003, "Unknown Channel")
        return ch, g

    async def _get_channel(self, request: web.Request) -> web.Response:
        self._auth(request)
        ch, _ = self._channel_or_404(request)
        return json_response(ch.payload())

    # --- CDN ---------------------------------------------------------------------------------
    async def _cdn_attachment(self, request: web.Request) -> web.Response:
        att = self.cdn.get(int(request.match_info["attachment_id"]))
        if att is None or att.filename != request.match_info["filename"]:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=att.data, headers={"Content-Type": att.content_type.split(";")[0]})

    async def _cdn_asset(self, request: web.Request) -> web.Response:
        # any avatar/icon: a 1x1 transparent PNG
        png = bytes.fromhex(
            "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
            "0000000d4944415478da63f8ffff3f0005fe02fea7d6a4c00000000049454e44ae426082"
        )
        return web.Response(body=png, headers={"Content-Type": "image/png"})

    # ------------------------------------------------------------------------------------------
    # application commands
    # ------------------------------------------------------------------------------------------
    def _command_scope(self, request: web.Request) -> Tuple[Optional[int], Dict[Tuple[str, int], Dict[str, Any]]]:
        self._auth(request)
        if int(request.match_info["app_id"]) != self.application_id:
            raise APIError(403, 50001, "Missing Access")
        gid = request.match_info.get("guild_id")
        if gid is None:
            return None, self.global_commands
        if int(gid) not in self.guilds:
            raise APIError(403, 50001, "Missing Access")
        return int(gid), self.guild_commands.setdefault(int(gid), {})

    def _store_command(self, scope: Dict[Tuple[str, int], Dict[str, Any]], guild_id: Optional[int],
                       data: Dict[str, Any], command_id: Optional[int] = None) -> Dict[str, Any]:
        ctype = int(data.get("type", 1))
        key = (data["name"], ctype)
        old = scope.get(key)
        stored = {
            "id": str(command_id or (old["id"] if old else self.snowflake())),
            "application_id": str(self.application_id),
            "version": str(self.snowflake()),
            "type": ctype,
            "name": data["name"],
            "name_localizations": data.get("name_localizations"),
            "description": data.get("description", ""),
            "description_localizations": data.get("description_localizations"),
            "options": data.get("options", []),
            "default_member_permissions": data.get("default_member_permissions"),
            "dm_permission": data.get("dm_permission", True),
            "contexts": data.get("contexts"),
            "integration_types": data.get("integration_types") or [0],
            "nsfw": bool(data.get("nsfw", False)),
        }
        if guild_id is not None:
            stored["guild_id"] = str(guild_id)
        scope[key] = stored
        return stored

    async def _get_commands(self, request: web.Request) -> web.Response:
        _, scope = self._command_scope(request)
        return json_response(list(scope.values()))

    async def _put_commands(self, request: web.Request) -> web.Response:
        guild_id, scope = self._command_scope(request)
        payload, _ = await self._body(request)
        if not isinstance(payload, list):
            raise _form_error({"_errors": [{"code": "LIST_TYPE_CONVERT", "message": "Must be an array."}]})
        errors = _validate_commands(payload)
        if errors:
            raise _form_error(errors)
        old = dict(scope)
        scope.clear()
        out = []
        for cmd in payload:
            key = (cmd["name"], int(cmd.get("type", 1)))
            prev = old.get(key)
            out.append(self._store_command(scope, guild_id, cmd, int(prev["id"]) if prev else None))
        self.sync_calls.append((_now(), guild_id, out))
        log.info("commands synced (%s): %s", f"guild {guild_id}" if guild_id else "global", [c["name"] for c in out])
        return json_response(out)

    async def _post_command(self, request: web.Request) -> web.Response:
        guild_id, scope = self._command_scope(request)
        payload, _ = await self._body(request)
        errors = _validate_commands([payload])
        if errors:
            raise _form_error(errors.get("0", errors))
        key = (payload["name"], int(payload.get("type", 1)))
        existed = key in scope
        stored = self._store_command(scope, guild_id, payload)
        self.sync_calls.append((_now(), guild_id, [stored]))
        return json_response(stored, 200 if existed else 201)

    def _command_by_id(self, scope: Dict[Tuple[str, int], Dict[str, Any]], request: web.Request) -> Tuple[Tuple[str, int], Dict[str, Any]]:
        cid = request.match_info["command_id"]
        for key, cmd in scope.items():
            if cmd["id"] == cid:
                return key, cmd
        raise APIError(404, 10063, "Unknown application command")

    async def _get_command(self, request: web.Request) -> web.Response:
        _, scope = self._command_scope(request)
        return json_response(self._command_by_id(scope, request)[1])

    async def _patch_command(self, request: web.Request) -> web.Response:
        guild_id, scope = self._command_scope(request)
        key, cmd = self._command_by_id(scope, request)
        payload, _ = await self._body(request)
        merged = {**cmd, **payload}
        del scope[key]
        return json_response(self._store_command(scope, guild_id, merged, int(cmd["id"])))

    async def _delete_command(self, request: web.Request) -> web.Response:
        _, scope = self._command_scope(request)
        key, _ = self._command_by_id(scope, request)
        del scope[key]
        return web.Response(status=204)

    def find_command(self, name: str, *, guild_id: Optional[int] = None, type: int = 1) -> Optional[Dict[str, Any]]:
        """The synced command payload (guild command first, then global), or None."""
        if guild_id is not None:
            cmd = self.guild_commands.get(guild_id, {}).get((name, type))
            if cmd is not None:
                return cmd
        return self.global_commands.get((name, type))

    @property
    def synced_commands(self) -> Dict[str, Dict[str, Any]]:
        """All synced commands by name (global and guild; guild wins on clashes)."""
        out = {name: cmd for (name, _), cmd in self.global_commands.items()}
        for scope in self.guild_commands.values():
            out.update({name: cmd for (name, _), cmd in scope.items()})
        return out

    # ------------------------------------------------------------------------------------------
    # messages: shared helpers
    # ------------------------------------------------------------------------------------------
    def _make_attachments(self, channel_id: int, payload: Dict[str, Any],
                          files: List[Tuple[str, Optional[str], str, bytes]],
                          existing: Sequence[AttachmentRecord], ephemeral: bool) -> Optional[List[AttachmentRecord]]:
        """Apply Discord's attachment semantics; None means "leave attachments unchanged"."""
        for _, filename, _, data in files:
            if len(data) > self.attachment_size_limit:
                raise APIError(413, 40005, "Request entity too large")
        by_index: Dict[int, Tuple[str, Optional[str], str, bytes]] = {}
        for pos, f in enumerate(files):
            m = _FILE_FIELD_RE.match(f[0])
            by_index[int(m.group(1)) if m else pos] = f

        def new(idx: int, meta: Dict[str, Any]) -> AttachmentRecord:
            _, form_name, declared, data = by_index.pop(idx)
            filename = meta.get("filename") or form_name or f"file{idx}"
            att_id = self.snowflake()
            rec = AttachmentRecord(
                att_id, filename, data, _sniff_content_type(filename, data, declared),
                f"{self.base_url}/attachments/{channel_id}/{att_id}/{filename}",
                meta.get("description"), ephemeral,
            )
            self.cdn[att_id] = rec
            return rec

        listed = payload.get("attachments")
        if listed is None:
            if not by_index:
                return None
            return list(existing) + [new(i, {}) for i in sorted(by_index)]
        result: List[AttachmentRecord] = []
        existing_by_id = {a.id: a for a in existing}
        for i, meta in enumerate(listed):
            try:
                aid = int(meta.get("id"))
            except (TypeError, ValueError):
                raise _form_error({"attachments": {str(i): {"id": _err("ATTACHMENT_ID_INVALID", "Invalid attachment id")}}})
            if aid in by_index:
                result.append(new(aid, meta))
            elif aid in existing_by_id:
                result.append(existing_by_id[aid])
            else:
                raise _form_error({"attachments": {str(i): _err("ATTACHMENT_NOT_FOUND", f"Unknown attachment {aid}")}})
        result.extend(new(i, {}) for i in sorted(by_index))  # uploaded but not listed
        return result

    def _normalize_embeds(self, embeds: List[Dict[str, Any]], attachments: Sequence[AttachmentRecord]) -> List[Dict[str, Any]]:
        by_name = {a.filename: a for a in attachments}
        out = []
        for e in embeds:
            e = json.loads(json.dumps(e))
            e.setdefault("type", "rich")
            for key in ("image", "thumbnail"):
                media = e.get(key)
                if isinstance(media, dict) and str(media.get("url", "")).startswith("attachment://"):
                    att = by_name.get(media["url"][len("attachment://"):])
                    if att is not None:
                        media["url"] = media["proxy_url"] = att.url
                        dims = _image_size(att.data)
                        if dims:
                            media["width"], media["height"] = dims
                        media["content_type"] = att.content_type
            out.append(e)
        return out

    def _apply_mentions(self, msg: MessageRecord, guild: Optional[StandInGuild], replied_user: Optional[int]) -> None:
        content = msg.content or ""
        user_ids = [int(x) for x in re.findall(r"<@!?(\d+)>", content)]
        role_ids = [int(x) for x in re.findall(r"<@&(\d+)>", content)]
        everyone = "@everyone" in content or "@here" in content
        am = msg.allowed_mentions
        if am is None:
            parse, allow_users, allow_roles, reply_ping = {"users", "roles", "everyone"}, set(), set(), True
        else:
            parse = set(am.get("parse") or [])
            allow_users = {int(u) for u in am.get("users") or []}
            allow_roles = {int(r) for r in am.get("roles") or []}
            reply_ping = bool(am.get("replied_user", False))
        pinged_users = [u for u in dict.fromkeys(user_ids) if "users" in parse or u in allow_users]
        if replied_user is not None and reply_ping and replied_user not in pinged_users:
            pinged_users.append(replied_user)
        known_roles = guild.roles if guild else {}
        msg.mentioned_user_ids = [u for u in pinged_users if u in self.users]
        msg.mentioned_role_ids = [r for r in dict.fromkeys(role_ids) if r in known_roles and ("roles" in parse or r in allow_roles)]
        can_everyone = msg.author.id != self.bot_user.id or (guild is not None and guild.base_permissions(msg.author.id) & P_MENTION_EVERYONE)
        msg.mention_everyone = bool(everyone and "everyone" in parse and can_everyone)
        msg._users = self.users

    def _apply_message_data(self, msg: MessageRecord, data: Dict[str, Any], attachments: Optional[List[AttachmentRecord]],
                            guild: Optional[StandInGuild], *, edit: bool) -> None:
        msg.sent_payloads.append(data)
        if "content" in data:
            msg.content = data["content"] or ""
        if attachments is not None:
            msg.attachments = attachments
        if "embeds" in data:
            msg.embeds = self._normalize_embeds(data["embeds"] or [], msg.attachments)
        elif attachments is not None and msg.embeds:
            msg.embeds = self._normalize_embeds(msg.embeds, msg.attachments)
        if "components" in data:
            comps = json.loads(json.dumps(data["components"] or []))
            counter = itertools.count(1)
            for c in _walk_components(comps):
                c.setdefault("id", next(counter))
            msg.components = comps
        if "allowed_mentions" in data:
            msg.allowed_mentions = data["allowed_mentions"]
        if "poll" in data and not edit:
            msg.poll = data["poll"]
        if "tts" in data and not edit:
            msg.tts = bool(data["tts"])
        if "flags" in data and data["flags"] is not None:
            keep = msg.flags & (FLAG_EPHEMERAL | FLAG_COMPONENTS_V2)
            settable = FLAG_SUPPRESS_EMBEDS | FLAG_SUPPRESS_NOTIFICATIONS | FLAG_COMPONENTS_V2
            if not edit:
                settable |= FLAG_EPHEMERAL
            msg.flags = keep | (int(data["flags"]) & settable) | (msg.flags & FLAG_LOADING)
        if edit:
            if msg.loading:
                msg.flags &= ~FLAG_LOADING  # first edit of a deferred response replaces "thinking…"
            else:
                msg.edited_timestamp = _iso()
        replied = msg.referenced_message.author.id if msg.referenced_message is not None else None
        self._apply_mentions(msg, guild, replied)
        msg._snapshot()

    def _new_message(self, *, channel_id: int, guild_id: Optional[int], author: StandInUser, kind: str, type: int = 0,
                     flags: int = 0) -> MessageRecord:
        mid = self.snowflake()
        msg = MessageRecord(mid, channel_id, guild_id, author, kind, _now(), _iso(), type=type, flags=flags)
        msg._users = self.users
        if author.id == self.bot_user.id and guild_id is not None:
            member = self.guilds[guild_id].members.get(author.id)
            if member is not None:
                msg.member = member.payload(with_user=False)
        return msg

    def _store_message(self, msg: MessageRecord) -> None:
        self.messages[msg.id] = msg
        self.channel_messages.setdefault(msg.channel_id, []).append(msg)
        ch, _ = self._find_channel(msg.channel_id)
        if ch is not None and not msg.ephemeral:
            ch.last_message_id = msg.id
            if ch.is_thread and msg.id != ch.id:  # a forum post's starter message is not counted
                ch.message_count += 1

    def _echo(self, event: str, msg: MessageRecord) -> None:
        """Send the bot's own message events back over the gateway, as Discord does."""
        if not self.echo_bot_messages or msg.ephemeral or self._session is None:
            return
        s = self._session
        needed = INTENT_GUILD_MESSAGES if msg.guild_id is not None else INTENT_DIRECT_MESSAGES
        if not s.has(needed):
            return
        if event == "MESSAGE_DELETE":
            data: Dict[str, Any] = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
            if msg.guild_id is not None:
                data["guild_id"] = str(msg.guild_id)
        else:
            data = msg.payload()
        self.dispatch(event, data)

    # ------------------------------------------------------------------------------------------
    # interaction callback & webhooks
    # ------------------------------------------------------------------------------------------
    def _interaction_for(self, request: web.Request, unknown: APIError) -> InteractionHandle:
        if "interaction_id" in request.match_info:
            try:
                h = self.interactions.get(int(request.match_info["interaction_id"]))
            except ValueError:
                h = None
        else:
            if request.match_info["app_id"] != str(self.application_id):
                raise unknown
            h = next((x for x in self.interactions.values() if x.token == request.match_info["token"]), None)
        if h is None or h.token != request.match_info["token"]:
            raise unknown
        return h

    def _message_for_interaction(self, h: InteractionHandle, message_id: str) -> MessageRecord:
        if message_id == "@original":
            msg = h.original
        else:
            msg = next((m for m in h.messages if str(m.id) == message_id), None)
        if msg is None or msg.deleted:
            raise APIError(404, 10008, "Unknown Message")
        return msg

    def _interaction_location(self, h: InteractionHandle) -> Tuple[int, Optional[int], Optional[StandInGuild]]:
        channel_id = int(h.payload["channel"]["id"])
        guild_id = int(h.payload["guild_id"]) if "guild_id" in h.payload else None
        return channel_id, guild_id, self.guilds.get(guild_id) if guild_id else None

    def _interaction_metadata(self, h: InteractionHandle) -> Dict[str, Any]:
        user = h.payload.get("member", {}).get("user") or h.payload.get("user")
        meta: Dict[str, Any] = {
            "id": str(h.id),
            "type": h.type,
            "user": user,
            "authorizing_integration_owners": h.payload.get("authorizing_integration_owners", {}),
        }
        if h.type == IT_APPLICATION_COMMAND:
            meta["name"] = h.name
            meta["command_type"] = h.payload["data"].get("type", 1)
        if h.component_message is not None:
            meta["interacted_message_id"] = str(h.component_message.id)
        return meta

    def _create_interaction_message(self, h: InteractionHandle, data: Dict[str, Any], files: List[Any], *,
                                    kind: str, loading: bool = False) -> MessageRecord:
        channel_id, guild_id, guild = self._interaction_location(h)
        requested = int(data.get("flags") or 0)
        flags = (requested & (FLAG_EPHEMERAL | FLAG_SUPPRESS_EMBEDS | FLAG_SUPPRESS_NOTIFICATIONS | FLAG_COMPONENTS_V2)) | (
            FLAG_LOADING if loading else 0)
        mtype = 20 if (kind == "original" and h.type == IT_APPLICATION_COMMAND and h.payload["data"].get("type", 1) == 1) else (
            23 if kind == "original" and h.type == IT_APPLICATION_COMMAND else 0)
        msg = self._new_message(channel_id=channel_id, guild_id=guild_id, author=self.bot_user, kind=kind, type=mtype, flags=flags)
        msg.webhook_id = self.application_id
        msg.application_id = self.application_id
        msg.interaction_id = h.id
        msg.interaction_metadata = self._interaction_metadata(h)
        if kind == "original":
            user = h.payload.get("member", {}).get("user") or h.payload.get("user")
            msg.interaction_legacy = {"id": str(h.id), "type": h.type, "name": h.name or "", "user": user}
        atts = self._make_attachments(channel_id, data, files, (), bool(flags & FLAG_EPHEMERAL)) or []
        self._apply_message_data(msg, {k: v for k, v in data.items() if k != "flags"}, atts, guild, edit=False)
        self._store_message(msg)
        return msg

    async def _interaction_callback(self, request: web.Request) -> web.Response:
        h = self._interaction_for(request, APIError(404, 10062, "Unknown interaction"))
        payload, files = await self._body(request)
        now = _now()
        ctype = payload.get("type")
        data = payload.get("data")
        rec = CallbackRecord(ctype, data, [], now, now - h.created_at, raw=payload)

        def reject(err: APIError) -> APIError:
            rec.status, rec.error = err.status, f"{err.code} {err.message}"
            h.rejected.append(rec)
            h._touch(f"rejected callback {ctype}: {err.message}")
            log.warning("interaction %s (%s): callback type %s rejected: %s", h.id, h.name, ctype, err.message)
            return err

        if h.callback is not None:
            raise reject(APIError(400, 40060, "Interaction has already been acknowledged."))
        if self.callback_deadline is not None and now - h.created_at > self.callback_deadline:
            raise reject(APIError(404, 10062, "Unknown interaction"))
        if ctype not in ALLOWED_CALLBACKS.get(h.type, set()):
            raise reject(_form_error({"type": _err("INTERACTION_CALLBACK_TYPE_INVALID",
                                                    f"Interaction callback type {ctype} is not valid for interaction type {h.type}")}))
        data = data or {}
        try:
            if ctype in (CB_CHANNEL_MESSAGE, CB_UPDATE_MESSAGE):
                _validate_message(data, files, require_content=(ctype == CB_CHANNEL_MESSAGE))
            elif ctype == CB_AUTOCOMPLETE_RESULT:
                _validate_choices(data)
            elif ctype == CB_MODAL:
                _validate_modal(data)
        except APIError as e:
            raise reject(e)

        resource: Dict[str, Any] = {"type": ctype}
        message: Optional[MessageRecord] = None
        if ctype == CB_CHANNEL_MESSAGE:
            message = h.original = self._create_interaction_message(h, data, files, kind="original")
            rec.attachments = list(message.attachments)
            self._echo("MESSAGE_CREATE", message)
        elif ctype == CB_DEFERRED_CHANNEL_MESSAGE:
            message = h.original = self._create_interaction_message(h, {"content": "", "flags": data.get("flags", 0)}, [],
                                                                    kind="original", loading=True)
            h._first_followup_edits_original = True
            self._echo("MESSAGE_CREATE", message)
        elif ctype == CB_DEFERRED_UPDATE_MESSAGE:
            message = h.original = h.component_message
        elif ctype == CB_UPDATE_MESSAGE:
            target = h.component_message
            if target is None:
                raise reject(APIError(400, 50035, "No message to update"))
            _, _, guild = self._interaction_location(h)
            atts = self._make_attachments(target.channel_id, data, files, target.attachments, target.ephemeral)
            self._apply_message_data(target, data, atts, guild, edit=True)
            rec.attachments = list(atts or [])
            message = h.original = target
            self._echo("MESSAGE_UPDATE", message)
        h.callback = rec
        h._touch(f"callback {ctype}")
        log.info("interaction %s (%s) answered with callback type %s after %.3fs", h.id, h.name, ctype, rec.latency)

        if ctype in (CB_PONG, CB_AUTOCOMPLETE_RESULT) or request.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        body: Dict[str, Any] = {"interaction": {"id": str(h.id), "type": h.type}}
        if message is not None:
            body["interaction"].update(
                response_message_id=str(message.id),
                response_message_loading=message.loading,
                response_message_ephemeral=message.ephemeral,
            )
            if ctype in (CB_CHANNEL_MESSAGE, CB_DEFERRED_CHANNEL_MESSAGE, CB_UPDATE_MESSAGE):
                resource["message"] = message.payload()
        body["resource"] = resource
        return json_response(body)

    async def _webhook_execute(self, request: web.Request) -> web.Response:
        h = self._interaction_for(request, APIError(404, 10015, "Unknown Webhook"))
        if h.callback is None:
            raise APIError(404, 10015, "Unknown Webhook")
        payload, files = await self._body(request)
        _validate_message(payload, files, require_content=True)
        _, _, guild = self._interaction_location(h)
        if (h._first_followup_edits_original and h.original is not None and h.original.loading
                and not h.original.deleted):
            # After a type-5 defer, Discord turns the first follow-up into the original response
            # (unless the deferred "thinking…" message was deleted: then it is a new message).
            msg = h.original
            atts = self._make_attachments(msg.channel_id, payload, files, msg.attachments, msg.ephemeral)
            self._apply_message_data(msg, {k: v for k, v in payload.items() if k != "flags"}, atts, guild, edit=True)
            h._first_followup_edits_original = False
            h.followups.append(msg)
            self._echo("MESSAGE_UPDATE", msg)
        else:
            msg = self._create_interaction_message(h, payload, files, kind="followup")
            h.followups.append(msg)
            self._echo("MESSAGE_CREATE", msg)
        h._touch("followup")
        if request.query.get("wait") in ("1", "true", "True"):
            return json_response(msg.payload())
        return web.Response(status=204)

    async def _webhook_get(self, request: web.Request) -> web.Response:
        h = self._interaction_for(request, APIError(404, 10015, "Unknown Webhook"))
        return json_response(self._message_for_interaction(h, request.match_info["message_id"]).payload())

    async def _webhook_edit(self, request: web.Request) -> web.Response:
        h = self._interaction_for(request, APIError(404, 10015, "Unknown Webhook"))
        msg = self._message_for_interaction(h, request.match_info["message_id"])
        payload, files = await self._body(request)
        _validate_message(payload, files, require_content=False)
        _, _, guild = self._interaction_location(h)
        atts = self._make_attachments(msg.channel_id, payload, files, msg.attachments, msg.ephemeral)
        self._apply_message_data(msg, payload, atts, guild, edit=True)
        if msg is h.original:
            h._first_followup_edits_original = False
        h._touch(f"edit {request.match_info['message_id']}")
        self._echo("MESSAGE_UPDATE", msg)
        return json_response(msg.payload())

    async def _webhook_delete(self, request: web.Request) -> web.Response:
        h = self._interaction_for(request, APIError(404, 10015, "Unknown Webhook"))
        msg = self._message_for_interaction(h, request.match_info["message_id"])
        msg.deleted, msg.deleted_at = True, _now()
        h._touch(f"delete {request.match_info['message_id']}")
        self._echo("MESSAGE_DELETE", msg)
        return web.Response(status=204)

    # ------------------------------------------------------------------------------------------
    # channel messages (bot REST)
    # ------------------------------------------------------------------------------------------
    def _channel_message_or_404(self, request: web.Request) -> Tuple[StandInChannel, Optional[StandInGuild], MessageRecord]:
        ch, g = self._channel_or_404(request)
        msg = self.messages.get(int(request.match_info["message_id"]))
        if msg is None or msg.channel_id != ch.id or msg.deleted or msg.ephemeral:
            raise APIError(404, 10008, "Unknown Message")
        return ch, g, msg

    async def _create_message(self, request: web.Request) -> web.Response:
        self._auth(request)
        ch, g = self._channel_or_404(request)
        payload, files = await self._body(request)
        if g is not None:
            perms = g.base_permissions(self.bot_user.id)
            if not perms & P_SEND_MESSAGES or not perms & P_VIEW_CHANNEL:
                raise APIError(403, 50013, "Missing Permissions")
            if files and not perms & P_ATTACH_FILES:
                raise APIError(403, 50013, "Missing Permissions")
        _validate_message(payload, files, require_content=True, allow_stickers=True)
        ref = payload.get("message_reference")
        referenced: Optional[MessageRecord] = None
        if ref and ref.get("message_id"):
            referenced = self.messages.get(int(ref["message_id"]))
            if referenced is None and ref.get("fail_if_not_exists", True):
                raise _form_error({"message_reference": _err("MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message")})
        msg = self._new_message(channel_id=ch.id, guild_id=g.id if g else None, author=self.bot_user, kind="channel",
                                type=19 if referenced else 0)
        if referenced is not None:
            msg.referenced_message = referenced
            msg.message_reference = {"type": 0, "message_id": str(referenced.id), "channel_id": str(referenced.channel_id)}
            if referenced.guild_id:
                msg.message_reference["guild_id"] = str(referenced.guild_id)
        atts = self._make_attachments(ch.id, payload, files, (), False) or []
        self._apply_message_data(msg, payload, atts, g, edit=False)
        self._store_message(msg)
        self._echo("MESSAGE_CREATE", msg)
        return json_response(msg.payload())

    async def _list_messages(self, request: web.Request) -> web.Response:
        self._auth(request)
        ch, _ = self._channel_or_404(request)
        limit = int(request.query.get("limit", 50))
        msgs = [m for m in self.channel_messages.get(ch.id, []) if not m.deleted and not m.ephemeral]
        return json_response([m.payload() for m in reversed(msgs)][:limit])

    async def _get_message(self, request: web.Request) -> web.Response:
        self._auth(request)
        _, _, msg = self._channel_message_or_404(request)
        return json_response(msg.payload())

    async def _edit_message(self, request: web.Request) -> web.Response:
        self._auth(request)
        ch, g, msg = self._channel_message_or_404(request)
        if msg.author.id != self.bot_user.id:
            raise APIError(403, 50005, "Cannot edit a message authored by another user")
        payload, files = await self._body(request)
        _validate_message(payload, files, require_content=False)
        atts = self._make_attachments(ch.id, payload, files, msg.attachments, False)
        self._apply_message_data(msg, payload, atts, g, edit=True)
        self._echo("MESSAGE_UPDATE", msg)
        return json_response(msg.payload())

    async def _delete_message(self, request: web.Request) -> web.Response:
        self._auth(request)
        _, _, msg = self._channel_message_or_404(request)
        msg.deleted, msg.deleted_at = True, _now()
        self._echo("MESSAGE_DELETE", msg)
        return web.Response(status=204)

    async def _typing(self, request: web.Request) -> web.Response:
        self._auth(request)
        ch, _ = self._channel_or_404(request)
        self.typing.setdefault(ch.id, []).append(_now())
        return web.Response(status=204)

    async def _add_reaction(self, request: web.Request) -> web.Response:
        self._auth(request)
        _, _, msg = self._channel_message_or_404(request)
        msg.reactions.append(request.match_info["emoji"])
        return web.Response(status=204)

    async def _remove_reaction(self, request: web.Request) -> web.Response:
        self._auth(request)
        _, _, msg = self._channel_message_or_404(request)
        emoji = request.match_info["emoji"]
        if emoji in msg.reactions:
            msg.reactions.remove(emoji)
        return web.Response(status=204)

    # ------------------------------------------------------------------------------------------
    # threads and forum posts
    # ------------------------------------------------------------------------------------------
    def _new_thread(self, guild: StandInGuild, parent: StandInChannel, name: Any, owner: StandInUser, *,
                    thread_id: Optional[int] = None, type: int = CHANNEL_PUBLIC_THREAD,
                    auto_archive_duration: Any = 1440, applied_tags: Sequence[Any] = ()) -> StandInChannel:
        if parent.guild_id != guild.id or parent.is_thread or parent.type not in (CHANNEL_TEXT, 5, CHANNEL_FORUM):
            raise APIError(400, 50024, "Cannot execute action on this channel type")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            raise _form_error({"name": _err("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")})
        if int(auto_archive_duration or 1440) not in (60, 1440, 4320, 10080):
            raise _form_error({"auto_archive_duration": _err("BASE_TYPE_CHOICES", "Value must be one of {60, 1440, 4320, 10080}.")})
        if parent.type == CHANNEL_FORUM:
            type = CHANNEL_PUBLIC_THREAD  # a forum post is always a public thread
        thread = StandInChannel(thread_id or self.snowflake(), name, guild.id, type=type, parent_id=parent.id,
                                owner_id=owner.id, auto_archive_duration=int(auto_archive_duration or 1440),
                                applied_tags=[int(t) for t in applied_tags])
        guild.threads[thread.id] = thread
        self.channel_messages.setdefault(thread.id, [])
        if parent.type == CHANNEL_FORUM:
            parent.last_message_id = thread.id
        return thread

    def _announce_thread(self, thread: StandInChannel, creator: StandInUser) -> Dict[str, Any]:
        """THREAD_CREATE with ``newly_created`` (discord.py dispatches ``on_thread_create``); the
        creator is the thread's first member, so a thread the bot made carries its ``member``."""
        data = thread.payload()
        data["newly_created"] = True
        if creator.id == self.bot_user.id:
            data["member"] = {"id": str(thread.id), "user_id": str(creator.id), "join_timestamp": _iso(), "flags": 1}
        if self._session is not None and self._session.has(INTENT_GUILDS):
            self.dispatch("THREAD_CREATE", data)
        return data

    def _starter_message(self, thread: StandInChannel, guild: StandInGuild, author: StandInUser,
                         data: Dict[str, Any], files: Sequence[Any] = ()) -> MessageRecord:
        """A forum post's first message: same id as the thread, posted in the thread."""
        msg = MessageRecord(thread.id, thread.id, guild.id, author, "user" if author.id != self.bot_user.id else "channel",
                            _now(), _iso())
        msg._users = self.users
        member = guild.members.get(author.id)
        if member is not None:
            msg.member = member.payload(with_user=False)
        atts = self._make_attachments(thread.id, data, list(files), (), False) or []
        self._apply_message_data(msg, data, atts, guild, edit=False)
        self._store_message(msg)
        return msg

    async def _start_thread_from_message(self, request: web.Request) -> web.Response:
        self._auth(request)
        ch, g, msg = self._channel_message_or_404(request)
        payload, _ = await self._body(request)
        if g is None:
            raise APIError(400, 50024, "Cannot execute action on a DM channel")
        if not g.base_permissions(self.bot_user.id) & P_CREATE_PUBLIC_THREADS:
            raise APIError(403, 50013, "Missing Permissions")
        if msg.thread is not None:
            raise APIError(400, 160004, "A thread has already been created for this message")
        thread = self._new_thread(g, ch, payload.get("name"), self.bot_user, thread_id=msg.id,
                                  auto_archive_duration=payload.get("auto_archive_duration", 1440))
        msg.thread = thread
        msg.flags |= MESSAGE_FLAG_HAS_THREAD
        msg._snapshot()
        data = self._announce_thread(thread, self.bot_user)
        self._echo("MESSAGE_UPDATE", msg)
        return json_response(data)

    async def _start_thread(self, request: web.Request) -> web.Response:
        self._auth(request)
        ch, g = self._channel_or_404(request)
        payload, files = await self._body(request)
        if g is None:
            raise APIError(400, 50024, "Cannot execute action on a DM channel")
        if ch.type == CHANNEL_FORUM and not isinstance(payload.get("message"), dict):
            raise _form_error({"message": _err("BASE_TYPE_REQUIRED", "This field is required")})
        thread = self._new_thread(g, ch, payload.get("name"), self.bot_user,
                                  type=int(payload.get("type") or CHANNEL_PRIVATE_THREAD),
                                  auto_archive_duration=payload.get("auto_archive_duration", 1440),
                                  applied_tags=payload.get("applied_tags") or ())
        data = self._announce_thread(thread, self.bot_user)
        if ch.type == CHANNEL_FORUM:
            _validate_message(payload["message"], files, require_content=True)
            starter = self._starter_message(thread, g, self.bot_user, payload["message"], files)
            self._echo("MESSAGE_CREATE", starter)
            data = {**data, "message": starter.payload()}
        return json_response(data)

    async def _join_thread(self, request: web.Request) -> web.Response:
        self._auth(request)
        ch, _ = self._channel_or_404(request)
        if not ch.is_thread:
            raise APIError(400, 50024, "Cannot execute action on this channel type")
        return web.Response(status=204)

    def add_forum(self, name: str, *, guild: Optional[StandInGuild] = None, topic: Optional[str] = None) -> StandInChannel:
        """A forum channel (type 15): members post threads in it, each with a starter message."""
        return self.add_channel(name, guild=guild, type=CHANNEL_FORUM, topic=topic)

    def threads_in(self, parent: StandInChannel) -> List[StandInChannel]:
        g = self.guilds[parent.guild_id] if parent.guild_id else None
        return [t for t in (g.threads.values() if g else ()) if t.parent_id == parent.id]

    async def create_thread(self, name: str, *, channel: Optional[StandInChannel] = None,
                            message: Optional[MessageRecord] = None, user: Union[StandInUser, int, None] = None,
                            private: bool = False) -> StandInChannel:
        """A user starts a thread: from ``message`` (the thread gets the message's id) or on its
        own in ``channel`` (public, or ``private``). The bot gets THREAD_CREATE."""
        u = self._resolve_user(user)
        if message is not None:
            parent, g = self._find_channel(message.channel_id)
            if message.thread is not None:
                raise StandInError(f"message {message.id} already has a thread")
        else:
            parent, g = self._find_channel((channel or self.channel).id)
        if parent is None or g is None:
            raise StandInError("threads live in guild text channels")
        thread = self._new_thread(g, parent, name, u, thread_id=message.id if message is not None else None,
                                  type=CHANNEL_PRIVATE_THREAD if private else CHANNEL_PUBLIC_THREAD)
        if message is not None:
            message.thread = thread
            message.flags |= MESSAGE_FLAG_HAS_THREAD
            message._snapshot()
        self._announce_thread(thread, u)
        return thread

    async def create_forum_post(self, forum: StandInChannel, title: str, content: str, *,
                                author: Union[StandInUser, int, None] = None,
                                tags: Sequence[int] = ()) -> MessageHandle:
        """A member posts in a forum, as Discord delivers it: THREAD_CREATE for a public thread
        whose parent is the forum (``newly_created``), then MESSAGE_CREATE of the starter message,
        whose id is the thread's. Without MESSAGE_CONTENT the starter arrives with empty content
        (the title, a channel name, always arrives). Returns the starter message's handle: its
        ``replies`` are the bot's messages in the new thread."""
        if forum.type != CHANNEL_FORUM:
            raise StandInError(f"channel {forum.id} is not a forum (type {forum.type})")
        if self._session is None:
            raise StandInError("no bot is connected to the stand-in gateway")
        u = self._resolve_user(author)
        g = self.guilds[forum.guild_id]  # type: ignore[index]
        if u.id not in g.members:
            g.members[u.id] = StandInMember(u)
        thread = self._new_thread(g, forum, title, u, applied_tags=tags)
        self._announce_thread(thread, u)
        starter = self._starter_message(thread, g, u, {"content": content})
        data = starter.payload()
        s = self._session
        delivered = s.has(INTENT_GUILD_MESSAGES)
        if delivered:
            if not s.has(INTENT_MESSAGE_CONTENT) and self.bot_user.id not in starter.mentioned_user_ids:
                data.update(content="", embeds=[], attachments=[], components=[])
            self.dispatch("MESSAGE_CREATE", data)
        handle = MessageHandle(self, starter, delivered)
        handle.created_at = _now()
        return handle

    # ------------------------------------------------------------------------------------------
    # drivers: what a Discord *user* does
    # ------------------------------------------------------------------------------------------
    def _interaction_base(
        self,
        itype: int,
        *,
        user: Union[StandInUser, int, None],
        guild_id: Optional[int],
        channel_id: Optional[int],
        dm: bool,
        locale: str,
        permissions: Optional[int],
        app_permissions: Optional[int],
        private_channel: bool = False,
        user_install: bool = False,
    ) -> Tuple[Dict[str, Any], StandInUser, Optional[StandInGuild], StandInChannel]:
        """The common fields of an interaction. ``private_channel``: a user-installed app used in
        a group DM or a DM between two users (``context=2``, authorized by the user's install);
        ``user_install``: in a guild, authorized by the user's install only (no guild install)."""
        u = self._resolve_user(user)
        payload: Dict[str, Any] = {
            "id": str(self.snowflake()),
            "application_id": str(self.application_id),
            "type": itype,
            "token": "standin_" + secrets.token_urlsafe(48),
            "version": 1,
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": self.attachment_size_limit,
        }
        if private_channel:
            ch = self.private_channel(u)
            payload.update(
                channel={**ch.payload(), "type": 3, "name": ch.name or None, "owner_id": str(u.id), "icon": None},
                channel_id=str(ch.id), user=u.payload(), context=2,
                app_permissions=str(app_permissions if app_permissions is not None else DM_APP_PERMISSIONS),
                authorizing_integration_owners={"1": str(u.id)},
            )
            return payload, u, None, ch
        if dm:
            ch = self.dm_channel(u)
            payload.update(
                channel=ch.payload(), channel_id=str(ch.id), user=u.payload(), context=1,
                app_permissions=str(app_permissions if app_permissions is not None else DM_APP_PERMISSIONS),
                authorizing_integration_owners={"0": "0"},
            )
            return payload, u, None, ch
        g = self.guilds.get(guild_id) if guild_id is not None else self.guild
        if g is None:
            raise StandInError(f"unknown guild {guild_id}")
        if channel_id is None:
            ch = self.channel if self.channel.guild_id == g.id else next(c for c in g.channels.values() if c.type == 0)
        else:
            ch = g.channels.get(channel_id) or g.threads.get(channel_id)  # type: ignore[assignment]
            if ch is None:
                raise StandInError(f"channel {channel_id} is not in guild {g.id}")
        member = g.members.get(u.id)
        if member is None:
            member = g.members[u.id] = StandInMember(u)
        perms = permissions if permissions is not None else g.base_permissions(u.id)
        app_perms = app_permissions if app_permissions is not None else g.base_permissions(self.bot_user.id)
        payload.update(
            guild_id=str(g.id),
            guild={"id": str(g.id), "locale": "en-US", "features": []},
            guild_locale="en-US",
            channel=ch.payload(permissions=app_perms),
            channel_id=str(ch.id),
            member=member.payload(permissions=perms),
            app_permissions=str(app_perms),
            context=0,
            authorizing_integration_owners={"1": str(u.id)} if user_install else {"0": str(g.id)},
        )
        return payload, u, g, ch

    def _send_interaction(self, payload: Dict[str, Any], name: Optional[str], *,
                          component_message: Optional[MessageRecord] = None) -> InteractionHandle:
        if self._session is None:
            raise StandInError("no bot is connected to the stand-in gateway (did the client start?)")
        h = InteractionHandle(self, payload, name=name)
        h.component_message = component_message
        self.interactions[h.id] = h
        h.created_at = h.last_activity = _now()
        self.dispatch("INTERACTION_CREATE", payload)
        return h

    def _resolve_option_value(self, opt_type: int, value: Any, name: str, resolved: Dict[str, Dict[str, Any]],
                              guild: Optional[StandInGuild], channel_id: int) -> Any:
        if opt_type in (OPT_USER, OPT_MENTIONABLE) and isinstance(value, (StandInUser, int)) and (
            isinstance(value, StandInUser) or int(value) in self.users
        ):
            u = self._resolve_user(value)
            resolved.setdefault("users", {})[str(u.id)] = u.payload()
            if guild is not None and u.id in guild.members:
                resolved.setdefault("members", {})[str(u.id)] = guild.members[u.id].payload(
                    with_user=False, permissions=guild.base_permissions(u.id))
            return str(u.id)
        if opt_type in (OPT_ROLE, OPT_MENTIONABLE):
            rid = value.id if isinstance(value, StandInRole) else int(value)
            role = guild.roles.get(rid) if guild else None
            if role is None:
                raise StandInError(f"option {name!r}: unknown role {value!r}")
            resolved.setdefault("roles", {})[str(rid)] = role.payload()
            return str(rid)
        if opt_type == OPT_USER:
            raise StandInError(f"option {name!r}: unknown user {value!r}")
        if opt_type == OPT_CHANNEL:
            cid = value.id if isinstance(value, StandInChannel) else int(value)
            ch, g = self._find_channel(cid)
            if ch is None:
                raise StandInError(f"option {name!r}: unknown channel {value!r}")
            perms = g.base_permissions(self.bot_user.id) if g else DM_APP_PERMISSIONS
            resolved.setdefault("channels", {})[str(cid)] = ch.payload(permissions=perms)
            return str(cid)
        if opt_type == OPT_ATTACHMENT:
            up = UploadFile.coerce(value, default_name=f"{name}.bin")
            att_id = self.snowflake()
            att = AttachmentRecord(att_id, up.filename, up.data, _sniff_content_type(up.filename, up.data, up.content_type),
                                   f"{self.base_url}/attachments/{channel_id}/{att_id}/{up.filename}", up.description,
                                   ephemeral=True)
            self.cdn[att_id] = att
            resolved.setdefault("attachments", {})[str(att_id)] = att.payload()
            return str(att_id)
        if opt_type == OPT_STRING:
            return str(value)
        if opt_type == OPT_INTEGER:
            if isinstance(value, bool) or not isinstance(value, int):
                raise StandInError(f"option {name!r}: integer expected, got {value!r}")
            return value
        if opt_type == OPT_NUMBER:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise StandInError(f"option {name!r}: number expected, got {value!r}")
            return value
        if opt_type == OPT_BOOLEAN:
            if not isinstance(value, bool):
                raise StandInError(f"option {name!r}: boolean expected, got {value!r}")
            return value
        raise StandInError(f"option {name!r}: unsupported option type {opt_type}")

    @staticmethod
    def _infer_option_type(value: Any) -> int:
        if isinstance(value, bool):
            return OPT_BOOLEAN
        if isinstance(value, int):
            return OPT_INTEGER
        if isinstance(value, float):
            return OPT_NUMBER
        if isinstance(value, StandInUser):
            return OPT_USER
        if isinstance(value, StandInRole):
            return OPT_ROLE
        if isinstance(value, StandInChannel):
            return OPT_CHANNEL
        if isinstance(value, (UploadFile, bytes, bytearray, tuple)):
            return OPT_ATTACHMENT
        return OPT_STRING

    def _build_command_data(
        self,
        name: str,
        subcommand: Optional[str],
        options: Optional[Mapping[str, Any]],
        attachments: Optional[Mapping[str, Any]],
        *,
        guild: Optional[StandInGuild],
        channel_id: int,
        focused: Optional[str],
        command_id: Optional[int],
    ) -> Dict[str, Any]:
        path = name.split() + (subcommand.split() if subcommand else [])
        root = path[0]
        values: Dict[str, Any] = dict(options or {})
        values.update(attachments or {})
        cmd = self.find_command(root, guild_id=guild.id if guild else None)
        if cmd is None and self.require_synced_commands:
            raise StandInError(f"command /{root} was never synced to the stand-in (synced: {sorted(self.synced_commands)})")
        if cmd is None:
            log.warning("command /%s has not been synced; building the interaction without its schema", root)
        schema_opts: Optional[List[Dict[str, Any]]] = cmd.get("options", []) if cmd else None
        for seg in path[1:]:
            if schema_opts is None:
                break
            sub = next((o for o in schema_opts if o["name"] == seg and o["type"] in (OPT_SUB_COMMAND, OPT_SUB_COMMAND_GROUP)), None)
            if sub is None:
                raise StandInError(f"/{' '.join(path)}: no subcommand {seg!r} in the synced schema")
            schema_opts = sub.get("options", [])
        if schema_opts is not None and any(o["type"] in (OPT_SUB_COMMAND, OPT_SUB_COMMAND_GROUP) for o in schema_opts):
            raise StandInError(f"/{' '.join(path)} is a group; pass subcommand=...")

        resolved: Dict[str, Dict[str, Any]] = {}
        leaf: List[Dict[str, Any]] = []
        for opt_name, value in values.items():
            explicit_type = None
            if isinstance(value, Mapping) and "value" in value and "type" in value:
                explicit_type, value = int(value["type"]), value["value"]
            spec = next((o for o in schema_opts if o["name"] == opt_name), None) if schema_opts is not None else None
            if schema_opts is not None and spec is None:
                raise StandInError(f"/{' '.join(path)} has no option {opt_name!r} (has {[o['name'] for o in schema_opts]})")
            opt_type = explicit_type or (spec["type"] if spec else self._infer_option_type(value))
            is_focused = focused == opt_name
            if is_focused:
                wire_value: Any = value if not isinstance(value, (StandInUser, StandInRole, StandInChannel)) else str(value.id)
            else:
                wire_value = self._resolve_option_value(opt_type, value, opt_name, resolved, guild, channel_id)
                if spec and spec.get("choices") and wire_value not in [c["value"] for c in spec["choices"]]:
                    raise StandInError(f"option {opt_name!r}: {value!r} is not one of the choices "
                                       f"{[c['value'] for c in spec['choices']]}")
            entry: Dict[str, Any] = {"name": opt_name, "type": opt_type, "value": wire_value}
            if is_focused:
                entry["focused"] = True
            leaf.append(entry)
        if schema_opts is not None and focused is None:
            missing = [o["name"] for o in schema_opts if o.get("required") and o["name"] not in values]
            if missing:
                raise StandInError(f"/{' '.join(path)}: missing required option(s) {missing}")
        if focused is not None and focused not in values:
            raise StandInError(f"focused option {focused!r} must be in options")

        opts: List[Dict[str, Any]] = leaf
        if len(path) == 3:
            opts = [{"name": path[1], "type": OPT_SUB_COMMAND_GROUP,
                     "options": [{"name": path[2], "type": OPT_SUB_COMMAND, "options": leaf}]}]
        elif len(path) == 2:
            opts = [{"name": path[1], "type": OPT_SUB_COMMAND, "options": leaf}]
        data: Dict[str, Any] = {
            "id": str(command_id or (cmd["id"] if cmd else self.snowflake())),
            "name": root,
            "type": 1,
            "options": opts,
        }
        if cmd is not None and cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        if resolved and focused is None:
            data["resolved"] = resolved
        return data

    async def send_slash_command(
        self,
        name: str,
        options: Optional[Mapping[str, Any]] = None,
        *,
        subcommand: Optional[str] = None,
        user: Union[StandInUser, int, None] = None,
        guild_id: Optional[int] = None,
        channel_id: Optional[int] = None,
        attachments: Optional[Mapping[str, Any]] = None,
        dm: bool = False,
        locale: str = "en-US",
        permissions: Optional[int] = None,
        app_permissions: Optional[int] = None,
        command_id: Optional[int] = None,
        private_channel: bool = False,
        user_install: bool = False,
    ) -> InteractionHandle:
        """Dispatch an APPLICATION_COMMAND (type 2) interaction as a user would trigger it.

        ``name`` may contain the whole path (``"tutor ask"``) or use ``subcommand="ask"`` /
        ``subcommand="group sub"``.  ``options`` maps option names to Python values; types come
        from the synced schema when available (else inferred).  User/role/channel options take
        ``StandInUser``/``StandInRole``/``StandInChannel`` (or ids) and are put in ``resolved``;
        attachment options take ``UploadFile`` / ``(filename, bytes[, content_type])`` and are
        served from the stand-in so ``Attachment.read()`` works.
        """
        payload, u, g, ch = self._interaction_base(
            IT_APPLICATION_COMMAND, user=user, guild_id=guild_id, channel_id=channel_id, dm=dm, locale=locale,
            permissions=permissions, app_permissions=app_permissions, private_channel=private_channel,
            user_install=user_install)
        payload["data"] = self._build_command_data(name, subcommand, options, attachments, guild=g, channel_id=ch.id,
                                                   focused=None, command_id=command_id)
        full = " ".join(name.split() + (subcommand.split() if subcommand else []))
        return self._send_interaction(payload, full)

    async def send_autocomplete(
        self,
        name: str,
        options: Mapping[str, Any],
        focused: str,
        *,
        subcommand: Optional[str] = None,
        user: Union[StandInUser, int, None] = None,
        guild_id: Optional[int] = None,
        channel_id: Optional[int] = None,
        dm: bool = False,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Dispatch an APPLICATION_COMMAND_AUTOCOMPLETE (type 4) interaction; ``focused`` names the option being typed."""
        payload, u, g, ch = self._interaction_base(
            IT_AUTOCOMPLETE, user=user, guild_id=guild_id, channel_id=channel_id, dm=dm, locale=locale,
            permissions=None, app_permissions=None)
        payload["data"] = self._build_command_data(name, subcommand, options, None, guild=g, channel_id=ch.id,
                                                   focused=focused, command_id=None)
        full = " ".join(name.split() + (subcommand.split() if subcommand else []))
        return self._send_interaction(payload, full)

    async def send_user_command(self, name: str, target: StandInUser, *, user: Union[StandInUser, int, None] = None,
                                guild_id: Optional[int] = None, channel_id: Optional[int] = None) -> InteractionHandle:
        """Dispatch a USER context-menu command (data.type 2) on ``target``."""
        payload, u, g, ch = self._interaction_base(IT_APPLICATION_COMMAND, user=user, guild_id=guild_id, channel_id=channel_id,
                                                   dm=False, locale="en-US", permissions=None, app_permissions=None)
        cmd = self.find_command(name, guild_id=g.id if g else None, type=2)
        resolved: Dict[str, Dict[str, Any]] = {"users": {str(target.id): target.payload()}}
        if g is not None and target.id in g.members:
            resolved["members"] = {str(target.id): g.members[target.id].payload(with_user=False, permissions=g.base_permissions(target.id))}
        payload["data"] = {"id": cmd["id"] if cmd else str(self.snowflake()), "name": name, "type": 2,
                           "target_id": str(target.id), "resolved": resolved}
        if cmd and cmd.get("guild_id"):
            payload["data"]["guild_id"] = cmd["guild_id"]
        return self._send_interaction(payload, name)

    async def send_message_command(self, name: str, target: MessageRecord, *, user: Union[StandInUser, int, None] = None
                                   ) -> InteractionHandle:
        """Dispatch a MESSAGE context-menu command (data.type 3) on a stored message."""
        payload, u, g, ch = self._interaction_base(IT_APPLICATION_COMMAND, user=user, guild_id=target.guild_id,
                                                   channel_id=target.channel_id, dm=target.guild_id is None, locale="en-US",
                                                   permissions=None, app_permissions=None)
        cmd = self.find_command(name, guild_id=g.id if g else None, type=3)
        payload["data"] = {"id": cmd["id"] if cmd else str(self.snowflake()), "name": name, "type": 3,
                           "target_id": str(target.id), "resolved": {"messages": {str(target.id): target.payload()}}}
        if cmd and cmd.get("guild_id"):
            payload["data"]["guild_id"] = cmd["guild_id"]
        return self._send_interaction(payload, name)

    def find_message_with_component(self, custom_id: str) -> Optional[MessageRecord]:
        for msg in reversed(list(self.messages.values())):
            if not msg.deleted and msg.find_component(custom_id) is not None:
                return msg
        return None

    async def send_component(
        self,
        custom_id: str,
        message_id: Optional[int] = None,
        *,
        values: Optional[Sequence[Any]] = None,
        component_type: Optional[int] = None,
        user: Union[StandInUser, int, None] = None,
        resolved: Optional[Dict[str, Any]] = None,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Click a button / submit a select (type 3 MESSAGE_COMPONENT) on a message the bot sent.

        Without ``message_id`` the newest message carrying ``custom_id`` is used.  Clicking a
        component that does not exist or is disabled raises StandInError (a user can't do that).
        """
        msg = self.messages.get(message_id) if message_id is not None else self.find_message_with_component(custom_id)
        if msg is None or msg.deleted:
            raise StandInError(f"no message {'with id %s' % message_id if message_id else ''} carrying component {custom_id!r}")
        comp = msg.find_component(custom_id)
        if comp is None:
            raise StandInError(f"message {msg.id} has no component {custom_id!r} (has {msg.custom_ids})")
        if comp.get("disabled"):
            raise StandInError(f"component {custom_id!r} is disabled; a user cannot use it")
        ctype = component_type or int(comp["type"])
        payload, u, g, ch = self._interaction_base(
            IT_COMPONENT, user=user, guild_id=msg.guild_id, channel_id=msg.channel_id if msg.guild_id else None,
            dm=msg.guild_id is None, locale=locale, permissions=None, app_permissions=None)
        data: Dict[str, Any] = {"custom_id": custom_id, "component_type": ctype}
        if ctype != 2:  # selects
            data["values"] = [str(v.id) if hasattr(v, "id") else str(v) for v in (values or [])]
            if resolved is not None:
                data["resolved"] = resolved
            elif ctype in (5, 6, 7, 8) and values:
                res: Dict[str, Dict[str, Any]] = {}
                for v in values:
                    kind = {5: OPT_USER, 6: OPT_ROLE, 7: OPT_MENTIONABLE, 8: OPT_CHANNEL}[ctype]
                    self._resolve_option_value(kind, v, custom_id, res, g, ch.id)
                data["resolved"] = res
        payload["data"] = data
        payload["message"] = msg.payload()
        return self._send_interaction(payload, custom_id, component_message=msg)

    async def send_modal_submit(
        self,
        custom_id: str,
        values: Mapping[str, str],
        *,
        user: Union[StandInUser, int, None] = None,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Submit a modal the bot opened with a type-9 callback; ``values`` maps text-input custom_ids to text."""
        source = next((h for h in reversed(list(self.interactions.values()))
                       if h.callback and h.callback.type == CB_MODAL and (h.callback.data or {}).get("custom_id") == custom_id), None)
        if source is None:
            raise StandInError(f"the bot never opened a modal with custom_id {custom_id!r}")
        modal = source.callback.data  # type: ignore[union-attr]
        comp_msg = source.component_message
        guild_id = int(source.payload["guild_id"]) if "guild_id" in source.payload else None
        payload, u, g, ch = self._interaction_base(
            IT_MODAL_SUBMIT, user=user if user is not None else int((source.payload.get("member", {}).get("user") or source.payload["user"])["id"]),
            guild_id=guild_id, channel_id=int(source.payload["channel"]["id"]) if guild_id else None,
            dm=guild_id is None, locale=locale, permissions=None, app_permissions=None)
        unused = dict(values)

        def convert(comp: Dict[str, Any]) -> Optional[Dict[str, Any]]:
            if comp.get("type") == 1:
                inner = [c for c in (convert(x) for x in comp.get("components", [])) if c]
                return {"type": 1, "id": comp.get("id"), "components": inner}
            if comp.get("type") == 18:
                inner = convert(comp["component"])
                return {"type": 18, "id": comp.get("id"), "component": inner} if inner else None
            if comp.get("type") == 4:
                cid = comp["custom_id"]
                if comp.get("required", True) and cid not in values:
                    raise StandInError(f"modal {custom_id!r}: required text input {cid!r} not given")
                return {"type": 4, "id": comp.get("id"), "custom_id": cid, "value": unused.pop(cid, "")}
            if comp.get("type") == 3:
                cid = comp["custom_id"]
                return {"type": 3, "id": comp.get("id"), "custom_id": cid, "values": list(unused.pop(cid, []))}
            return None

        components = [c for c in (convert(c) for c in modal.get("components", [])) if c]
        if unused:
            raise StandInError(f"modal {custom_id!r} has no inputs {sorted(unused)}")
        payload["data"] = {"custom_id": custom_id, "components": components}
        if comp_msg is not None:
            payload["message"] = comp_msg.payload()
        return self._send_interaction(payload, custom_id, component_message=comp_msg)

    async def send_message_create(
        self,
        content: str,
        *,
        mentions: Sequence[Union[StandInUser, int]] = (),
        author: Union[StandInUser, int, None] = None,
        channel_id: Optional[int] = None,
        dm: bool = False,
        attachments: Sequence[Any] = (),
        reply_to: Optional[MessageRecord] = None,
    ) -> MessageHandle:
        """A user posts a message (MESSAGE_CREATE).  Users in ``mentions`` get ``<@id>`` prepended if absent.

        Honours intents like Discord: no event without GUILD_MESSAGES / DIRECT_MESSAGES, and
        empty content/embeds/attachments without MESSAGE_CONTENT unless the bot is mentioned or in DMs.
        """
        if self._session is None:
            raise StandInError("no bot is connected to the stand-in gateway")
        u = self._resolve_user(author)
        mentioned = [self._resolve_user(m) for m in mentions]
        prefix = " ".join(m.mention for m in mentioned if m.mention not in content and f"<@!{m.id}>" not in content)
        content = f"{prefix} {content}".strip() if prefix else content
        if dm:
            ch = self.dm_channel(u)
            g = None
        else:
            cid = channel_id or self.channel.id
            ch, g = self._find_channel(cid)  # type: ignore[assignment]
            if ch is None:
                raise StandInError(f"unknown channel {cid}")
            if g is not None and u.id not in g.members:
                g.members[u.id] = StandInMember(u)
        msg = self._new_message(channel_id=ch.id, guild_id=g.id if g else None, author=u, kind="user",
                                type=19 if reply_to else 0)
        if g is not None:
            msg.member = g.members[u.id].payload(with_user=False)
        if reply_to is not None:
            msg.referenced_message = reply_to
            msg.message_reference = {"type": 0, "message_id": str(reply_to.id), "channel_id": str(reply_to.channel_id)}
            if reply_to.guild_id:
                msg.message_reference["guild_id"] = str(reply_to.guild_id)
        atts = []
        for i, a in enumerate(attachments):
            up = UploadFile.coerce(a, default_name=f"file{i}.bin")
            att_id = self.snowflake()
            rec = AttachmentRecord(att_id, up.filename, up.data, _sniff_content_type(up.filename, up.data, up.content_type),
                                   f"{self.base_url}/attachments/{ch.id}/{att_id}/{up.filename}", up.description)
            self.cdn[att_id] = rec
            atts.append(rec)
        self._apply_message_data(msg, {"content": content}, atts, g, edit=False)
        self._store_message(msg)

        s = self._session
        delivered = s.has(INTENT_GUILD_MESSAGES if g is not None else INTENT_DIRECT_MESSAGES)
        if delivered:
            data = msg.payload()
            if g is not None:
                for m in data["mentions"]:
                    member = g.members.get(int(m["id"]))
                    if member is not None:
                        m["member"] = member.payload(with_user=False)
            bot_mentioned = self.bot_user.id in msg.mentioned_user_ids
            if not s.has(INTENT_MESSAGE_CONTENT) and g is not None and not bot_mentioned and u.id != self.bot_user.id:
                data.update(content="", embeds=[], attachments=[], components=[])
            handle = MessageHandle(self, msg, True)
            handle.created_at = _now()
            self.dispatch("MESSAGE_CREATE", data)
            return handle
        log.warning("MESSAGE_CREATE not delivered: the bot lacks the %s intent",
                    "GUILD_MESSAGES" if g is not None else "DIRECT_MESSAGES")
        return MessageHandle(self, msg, False)


# =============================================================================================
# Validation (a useful subset of Discord's own checks)
# =============================================================================================


def _embed_errors(embeds: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    errors: Dict[str, Any] = {}
    total = 0

    def limit(where: Dict[str, Any], key: str, value: Any, maximum: int) -> int:
        if value is None:
            return 0
        n = len(str(value))
        if n > maximum:
            where[key] = _err("BASE_TYPE_MAX_LENGTH", f"Must be {maximum} or fewer in length.")
        return n

    if len(embeds) > 10:
        return {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 10 or fewer in length."}]}
    for i, e in enumerate(embeds):
        ee: Dict[str, Any] = {}
        total += limit(ee, "title", e.get("title"), 256)
        total += limit(ee, "description", e.get("description"), 4096)
        if isinstance(e.get("footer"), dict):
            fe: Dict[str, Any] = {}
            total += limit(fe, "text", e["footer"].get("text"), 2048)
            if fe:
                ee["footer"] = fe
        if isinstance(e.get("author"), dict):
            ae: Dict[str, Any] = {}
            total += limit(ae, "name", e["author"].get("name"), 256)
            if ae:
                ee["author"] = ae
        fields = e.get("fields") or []
        if len(fields) > 25:
            ee["fields"] = _err("BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        for j, f in enumerate(fields[:25]):
            fe = {}
            if not f.get("name"):
                fe["name"] = _err("BASE_TYPE_REQUIRED", "This field is required")
            if not f.get("value"):
                fe["value"] = _err("BASE_TYPE_REQUIRED", "This field is required")
            total += limit(fe, "name", f.get("name"), 256)
            total += limit(fe, "value", f.get("value"), 1024)
            if fe:
                ee.setdefault("fields", {})[str(j)] = fe
        for key in ("image", "thumbnail"):
            url = (e.get(key) or {}).get("url") if isinstance(e.get(key), dict) else None
            if url is not None and not re.match(r"^(https?|attachment)://", str(url)):
                ee[key] = {"url": _err("URL_TYPE_INVALID_SCHEME", "Scheme must be one of ('http', 'https', 'attachment').")}
        color = e.get("color")
        if color is not None and not (0 <= int(color) <= 0xFFFFFF):
            ee["color"] = _err("NUMBER_TYPE_MAX", "int value should be <= 16777215.")
        if ee:
            errors[str(i)] = ee
    if total > 6000:
        errors.setdefault("_errors", []).append({"code": "MAX_EMBED_SIZE_EXCEEDED", "message": "Embed size exceeds maximum size of 6000"})
    return errors


def _component_errors(components: Sequence[Dict[str, Any]], v2: bool) -> Dict[str, Any]:
    errors: Dict[str, Any] = {}
    seen: set = set()
    for comp in _walk_components(components):
        cid = comp.get("custom_id")
        if cid is not None:
            if cid in seen:
                errors.setdefault("_errors", []).append({"code": "COMPONENT_CUSTOM_ID_DUPLICATED", "message": f"Duplicate custom_id {cid!r}"})
            seen.add(cid)
            if not 1 <= len(cid) <= 100:
                errors.setdefault("_errors", []).append({"code": "BASE_TYPE_BAD_LENGTH", "message": "custom_id must be 1-100 chars"})
        if comp.get("type") == 2:
            style = comp.get("style")
            if style == 5 and (not comp.get("url") or cid):
                errors.setdefault("_errors", []).append({"code": "BUTTON_COMPONENT_INVALID", "message": "link buttons need url and no custom_id"})
            if style in (1, 2, 3, 4) and not cid:
                errors.setdefault("_errors", []).append({"code": "BUTTON_COMPONENT_CUSTOM_ID_REQUIRED", "message": "custom_id required"})
            if len(comp.get("label") or "") > 80:
                errors.setdefault("_errors", []).append({"code": "BASE_TYPE_MAX_LENGTH", "message": "label must be 80 or fewer"})
    if not v2:
        if len(components) > 5:
            errors.setdefault("_errors", []).append({"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 5 or fewer in length."})
        for i, row in enumerate(components):
            if row.get("type") != 1:
                errors[str(i)] = _err("COMPONENT_TYPE_INVALID", "Top-level components must be action rows without IS_COMPONENTS_V2")
                continue
            children = row.get("components") or []
            if not 1 <= len(children) <= 5:
                errors[str(i)] = {"components": _err("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")}
            elif any(c.get("type") != 2 for c in children) and len(children) != 1:
                errors[str(i)] = {"components": _err("COMPONENT_LAYOUT_WIDTH_EXCEEDED", "A select menu must be alone in its row")}
    elif sum(1 for _ in _walk_components(components)) > 40:
        errors.setdefault("_errors", []).append({"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 40 or fewer components"})
    return errors


def _validate_message(data: Dict[str, Any], files: Sequence[Any], *, require_content: bool, allow_stickers: bool = False) -> None:
    errors: Dict[str, Any] = {}
    content = data.get("content")
    flags = int(data.get("flags") or 0)
    v2 = bool(flags & FLAG_COMPONENTS_V2)
    if content is not None and len(str(content)) > 2000:
        errors["content"] = _err("BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
    if data.get("embeds"):
        ee = _embed_errors(data["embeds"])
        if ee:
            errors["embeds"] = ee
    if data.get("components"):
        ce = _component_errors(data["components"], v2)
        if ce:
            errors["components"] = ce
    if v2 and (content or data.get("embeds")):
        errors["content"] = _err("MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                                 "The 'content' and 'embeds' fields cannot be used with IS_COMPONENTS_V2")
    am = data.get("allowed_mentions")
    if isinstance(am, dict):
        parse = am.get("parse") or []
        if any(p not in ("users", "roles", "everyone") for p in parse):
            errors["allowed_mentions"] = {"parse": _err("BASE_TYPE_CHOICES", "Value must be one of {'users', 'roles', 'everyone'}.")}
        if ("users" in parse and am.get("users")) or ("roles" in parse and am.get("roles")):
            errors["allowed_mentions"] = _err("MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                                              "parse:[\"users\"] and users: [ids] are mutually exclusive.")
        if len(am.get("users") or []) > 100 or len(am.get("roles") or []) > 100:
            errors["allowed_mentions"] = _err("BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
    if errors:
        raise _form_error(errors)
    if require_content and not (content or data.get("embeds") or files or data.get("attachments") or data.get("components")
                                or data.get("poll") or (allow_stickers and data.get("sticker_ids"))):
        raise APIError(400, 50006, "Cannot send an empty message")


def _validate_choices(data: Dict[str, Any]) -> None:
    choices = data.get("choices")
    if not isinstance(choices, list):
        raise _form_error({"data": {"choices": _err("BASE_TYPE_REQUIRED", "This field is required")}})
    errors: Dict[str, Any] = {}
    if len(choices) > 25:
        errors["_errors"] = [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 25 or fewer in length."}]
    for i, c in enumerate(choices):
        ce: Dict[str, Any] = {}
        if not 1 <= len(str(c.get("name", ""))) <= 100:
            ce["name"] = _err("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        if "value" not in c:
            ce["value"] = _err("BASE_TYPE_REQUIRED", "This field is required")
        elif isinstance(c["value"], str) and len(c["value"]) > 100:
            ce["value"] = _err("BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
        if ce:
            errors[str(i)] = ce
    if errors:
        raise _form_error({"data": {"choices": errors}})


def _validate_modal(data: Dict[str, Any]) -> None:
    errors: Dict[str, Any] = {}
    if not 1 <= len(data.get("custom_id") or "") <= 100:
        errors["custom_id"] = _err("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    if not 1 <= len(data.get("title") or "") <= 45:
        errors["title"] = _err("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 45 in length.")
    if not 1 <= len(data.get("components") or []) <= 5:
        errors["components"] = _err("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
    if errors:
        raise _form_error({"data": errors})


def _option_errors(options: Sequence[Dict[str, Any]], depth: int) -> Dict[str, Any]:
    errors: Dict[str, Any] = {}
    if len(options) > 25:
        errors["_errors"] = [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 25 or fewer in length."}]
    seen_optional = False
    names: set = set()
    for i, o in enumerate(options):
        oe: Dict[str, Any] = {}
        name = o.get("name", "")
        otype = o.get("type")
        if not _NAME_RE.match(name) or name != name.lower():
            oe["name"] = _err("APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
        if name in names:
            oe["name"] = _err("APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", "Option names must be unique")
        names.add(name)
        if not 1 <= len(o.get("description") or "") <= 100:
            oe["description"] = _err("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        if otype not in range(1, 12):
            oe["type"] = _err("BASE_TYPE_CHOICES", f"Value must be one of {list(range(1, 12))}.")
        if otype in (OPT_SUB_COMMAND, OPT_SUB_COMMAND_GROUP):
            if depth >= (1 if otype == OPT_SUB_COMMAND_GROUP else 2):
                oe["type"] = _err("APPLICATION_COMMAND_OPTION_TYPE_INVALID", "Subcommands nested too deeply")
            sub = o.get("options") or []
            if otype == OPT_SUB_COMMAND_GROUP and any(s.get("type") != OPT_SUB_COMMAND for s in sub):
                oe["options"] = _err("APPLICATION_COMMAND_OPTION_TYPE_INVALID", "Groups may only contain subcommands")
            else:
                se = _option_errors(sub, depth + 1)
                if se:
                    oe["options"] = se
        else:
            if o.get("required"):
                if seen_optional:
                    oe["required"] = _err("APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID", "Required options must be placed before non-required options")
            else:
                seen_optional = True
            choices = o.get("choices") or []
            if len(choices) > 25:
                oe["choices"] = _err("BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
            if choices and o.get("autocomplete"):
                oe["autocomplete"] = _err("APPLICATION_COMMAND_AUTOCOMPLETE_CHOICES_EXCLUSIVE", "Autocomplete and choices are mutually exclusive")
        if oe:
            errors[str(i)] = oe
    return errors


def _validate_commands(commands: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    errors: Dict[str, Any] = {}
    counts = {1: 0, 2: 0, 3: 0}
    seen: set = set()
    for i, cmd in enumerate(commands):
        ce: Dict[str, Any] = {}
        ctype = int(cmd.get("type", 1))
        name = cmd.get("name") or ""
        counts[ctype] = counts.get(ctype, 0) + 1
        if ctype == 1:
            if not _NAME_RE.match(name) or name != name.lower():
                ce["name"] = _err("APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
            if not 1 <= len(cmd.get("description") or "") <= 100:
                ce["description"] = _err("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
            oe = _option_errors(cmd.get("options") or [], 0)
            if oe:
                ce["options"] = oe
        else:
            if not 1 <= len(name) <= 32:
                ce["name"] = _err("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length.")
            if cmd.get("description"):
                ce["description"] = _err("APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION", "Context menu commands cannot have a description")
        if (name, ctype) in seen:
            ce["name"] = _err("APPLICATION_COMMANDS_DUPLICATE_NAME", f"Application command names must be unique: {name}")
        seen.add((name, ctype))
        if ce:
            errors[str(i)] = ce
    if counts.get(1, 0) > 100 or counts.get(2, 0) > 15 or counts.get(3, 0) > 15:
        errors.setdefault("_errors", []).append({"code": "APPLICATION_COMMANDS_TOO_MANY", "message": "Too many application commands"})
    return errors


# =============================================================================================
# Pointing discord.py at the stand-in
# =============================================================================================


@contextlib.contextmanager
def patch_discord(standin: DiscordStandIn, *, guild_ready_timeout: Optional[float] = 0.05, patch_cdn: bool = True) -> Iterator[None]:
    """Point discord.py at ``standin`` and restore everything afterwards.

    * ``discord.http.Route.BASE`` -> ``http://127.0.0.1:PORT/api/v10`` (REST + interaction webhooks,
      since ``discord.webhook.async_`` builds its URLs from the same ``Route``).
    * ``DiscordWebSocket.DEFAULT_GATEWAY`` -> ``ws://127.0.0.1:PORT/gateway``: in 2.7.1 a plain
      ``Client.connect`` never calls ``/gateway/bot``; it uses this class attribute (and later the
      READY ``resume_gateway_url``).  ``AutoShardedClient`` does use ``/gateway/bot``, also served.
    * ``Asset.BASE`` -> the stand-in's ``/cdn`` so avatar/icon downloads stay local.
    * ``guild_ready_timeout``: discord.py waits this long after the last GUILD_CREATE before
      ``on_ready`` (default 2 s).  Clients *constructed inside this context* that do not pass
      ``guild_ready_timeout=`` get the given value (None leaves discord.py's default).
    """
    import yarl
    from discord import asset as d_asset
    from discord import gateway as d_gateway
    from discord import http as d_http
    from discord import state as d_state

    saved_base = d_http.Route.BASE
    saved_gateway = d_gateway.DiscordWebSocket.DEFAULT_GATEWAY
    saved_asset = d_asset.Asset.BASE
    orig_init = d_state.ConnectionState.__init__

    d_http.Route.BASE = standin.api_base
    d_gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(standin.gateway_url)
    if patch_cdn:
        d_asset.Asset.BASE = f"{standin.base_url}/cdn"
    if guild_ready_timeout is not None:
        def __init__(self: Any, *args: Any, **options: Any) -> None:
            orig_init(self, *args, **options)
            if "guild_ready_timeout" not in options:
                self.guild_ready_timeout = guild_ready_timeout

        d_state.ConnectionState.__init__ = __init__  # type: ignore[method-assign]
    try:
        yield
    finally:
        d_http.Route.BASE = saved_base
        d_gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved_gateway
        d_asset.Asset.BASE = saved_asset
        d_state.ConnectionState.__init__ = orig_init  # type: ignore[method-assign]
