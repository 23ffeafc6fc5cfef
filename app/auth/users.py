"""Users, roles and logging in.

Passwords are hashed with argon2id using argon2-cffi's defaults (memory-hard, so a stolen database
is slow to crack); hashes made with older parameters are upgraded at the next successful login.
Repeated wrong passwords lock the account for a while: a control-room console is often left logged
out in a shared room, and the lock turns guessing into something the audit log shows.

Hashing and verifying take tens of milliseconds, so they run outside the write transaction: the
single SQLite writer is never held up by a login.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit import chain as audit
from app.auth.permissions import ADMINISTRATOR, Action, PermissionRefused, require
from app.storage.database import Database
from models.base import utcnow
from models.site import SITE_KEY, Site
from models.users import ROLES, User

MAX_NAME_LENGTH = 64
MIN_PASSWORD_LENGTH = 8
WRONG = "wrong user name or password"
ANONYMOUS = "anonymous"
"""The audit actor of a failed login: whoever typed it is, by definition, not yet known."""
MAX_AUDIT_TARGET = 200


DEFAULT_LOCKOUT_ATTEMPTS = 5
DEFAULT_LOCKOUT_MINUTES = 15.0


class AuthError(Exception):
    """A login was refused; the message is fit to show the person at the console."""


@dataclass(frozen=True)
class LoginPolicy:
    """A site's ``[security]`` rules for logging in, and its time zone (for "locked until 14:05")."""

    lockout_attempts: int = DEFAULT_LOCKOUT_ATTEMPTS
    lockout_minutes: float = DEFAULT_LOCKOUT_MINUTES
    timezone: str = "UTC"


def stored_policy(db: Database) -> LoginPolicy:
    """The policy of the site last synced into ``db`` (defaults before the first sync)."""
    with db.session() as session:
        site = session.scalar(select(Site).where(Site.key == SITE_KEY))
        if site is None:
            return LoginPolicy()
        return LoginPolicy(site.lockout_attempts, site.lockout_minutes, site.timezone)


def site_zone(timezone: str) -> ZoneInfo:
    """The site's time zone, or UTC when this machine does not know it (times are still shown)."""
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def site_clock(at: datetime, timezone: str) -> str:
    """``at`` as HH:MM on the site's wall clock."""
    return at.astimezone(site_zone(timezone)).strftime("%H:%M")


@dataclass(frozen=True)
class UserInfo:
    """What the rest of the program may know about a user (never the password hash)."""

    id: int
    name: str
    role: str
    locked_until: datetime | None
    created_at: datetime
    disabled: bool = False

    @classmethod
    def of(cls, user: User) -> UserInfo:
        return cls(user.id, user.name, user.role, user.locked_until, user.created_at, bool(user.disabled))


def check_name(name: str) -> None:
    """Refuse names that would be confusing in logs and on screen."""
    if not name:
        raise ValueError("the user name is empty")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"the user name is longer than {MAX_NAME_LENGTH} characters")
    if any(ch.isspace() for ch in name):
        raise ValueError(f"the user name {name!r} contains a space; use letters, digits, '.', '-' or '_'")
    if not all(ch.isprintable() for ch in name):
        raise ValueError(f"the user name {name!r} contains control characters")


def check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; choose one of: {', '.join(ROLES)}")


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password is too short: use at least {MIN_PASSWORD_LENGTH} characters")


def duration_in_words(seconds: float) -> str:
    """``"4 minutes 59 seconds"``, rounded up to whole seconds (never "0 seconds" while locked)."""
    total = max(1, math.ceil(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    for amount, unit in ((hours, "hour"), (minutes, "minute"), (secs, "second")):
        if amount:
            parts.append(f"{amount} {unit}{'s' if amount != 1 else ''}")
    return " ".join(parts)


class UserService:
    """Adding users and checking their passwords, with every decision audited."""

    def __init__(
        self,
        db: Database,
        max_attempts: int | None = None,
        lockout_s: float | None = None,
        hasher: PasswordHasher | None = None,
        *,
        policy: LoginPolicy | None = None,
    ) -> None:
        """Lockout rules: the arguments, else ``policy`` (a site file's), else the synced site's."""
        policy = policy or (stored_policy(db) if max_attempts is None or lockout_s is None else LoginPolicy())
        max_attempts = policy.lockout_attempts if max_attempts is None else max_attempts
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.db = db
        self.max_attempts = max_attempts
        self.lockout_s = policy.lockout_minutes * 60 if lockout_s is None else lockout_s
        self.timezone = policy.timezone
        self.hasher = hasher or PasswordHasher()

    @cached_property
    def _dummy_hash(self) -> str:
        """Verified against for unknown names, so a refusal takes as long as for a known one."""
        return self.hasher.hash(secrets.token_urlsafe(16))

    # ------------------------------------------------------------------ queries
    def list(self) -> list[UserInfo]:
        with self.db.session() as session:
            return [UserInfo.of(u) for u in session.scalars(select(User).order_by(User.name))]

    def get(self, name: str) -> UserInfo | None:
        with self.db.session() as session:
            user = _by_name(session, name)
            return UserInfo.of(user) if user is not None else None

    def has_administrator(self) -> bool:
        with self.db.session() as session:
            count = session.scalar(
                select(func.count())
                .select_from(User)
                .where(User.role == ADMINISTRATOR, User.disabled.is_(False))
            )
            return bool(count)

    # ------------------------------------------------------------------ changes
    def add(self, name: str, role: str, password: str, actor: str = "cli") -> UserInfo:
        """Create a user; ``ValueError`` in plain words if the name, role or password is refused."""
        check_name(name)
        check_role(role)
        check_password(password)
        password_hash = self.hasher.hash(password)

        def do(session: Session) -> UserInfo:
            if _by_name(session, name) is not None:
                raise ValueError(f"a user named {name!r} already exists")
            user = User(name=name, role=role, password_hash=password_hash, created_at=utcnow())
            session.add(user)
            session.flush()
            audit.append(session, actor, "user.add", target=name, details={"role": role})
            return UserInfo.of(user)

        try:
            return self.db.write(do)
        except IntegrityError as exc:  # another workstation added the same name just now
            if self.get(name) is not None:
                raise ValueError(f"a user named {name!r} already exists") from exc
            raise

    def ensure_user(self, name: str, role: str) -> UserInfo:
        """The user ``name``, created with an unguessable random password if missing (demo login)."""
        existing = self.get(name)
        if existing is not None:
            return existing
        return self.add(name, role, secrets.token_urlsafe(24), actor="system")

    def record_login(self, user: UserInfo, how: str) -> None:
        """Audit a login that did not go through a password (e.g. the demo's automatic login)."""

        def do(session: Session) -> None:
            row = session.get(User, user.id)
            if row is not None:
                row.last_login_at = utcnow()
            audit.append(session, user.name, "user.login", target=user.name, details={"how": how})

        self.db.write(do)

    # ------------------------------------------------------------------ login
    def authenticate(self, name: str, password: str) -> UserInfo:
        """The user if ``password`` is right; otherwise ``AuthError`` (and the failure counted)."""
        with self.db.session() as session:
            user = _by_name(session, name)
            snapshot = (
                None if user is None else (user.id, user.password_hash, user.locked_until, user.disabled)
            )
        if snapshot is None or snapshot[3]:
            self._verify(self._dummy_hash, password)
            self._audit_failure(name, "unknown or disabled user")
            raise AuthError(WRONG)
        user_id, password_hash, locked_until, _ = snapshot
        now = utcnow()
        if locked_until is not None and locked_until > now:
            self._audit_failure(name, "account locked")
            raise AuthError(
                f"{name} is locked until {site_clock(locked_until, self.timezone)} (site time) after "
                "too many wrong passwords; "
                f"try again in {duration_in_words((locked_until - now).total_seconds())}"
            )
        if not self._verify(password_hash, password):
            locked = self.db.write(lambda s: self._count_failure(s, user_id))
            if locked:
                raise AuthError(
                    f"{WRONG}; too many wrong passwords, the account is locked for "
                    f"{duration_in_words(self.lockout_s)}"
                )
            raise AuthError(WRONG)
        new_hash = self.hasher.hash(password) if self.hasher.check_needs_rehash(password_hash) else None
        return self.db.write(lambda s: self._login_ok(s, user_id, new_hash))

    def authorize(
        self, name: str, password: str, action: Action, refused_action: str, target: str
    ) -> UserInfo:
        """Log ``name`` in and require ``action`` of their role; a refused role is audited.

        ``AuthError`` for a refused login (audited by :meth:`authenticate`); ``PermissionRefused``
        (audited as ``refused_action`` on ``target``) when the role may not.
        """
        user = self.authenticate(name, password)
        try:
            require(user, action)
        except PermissionRefused as exc:
            self.audit(user.name, refused_action, target, {"reason": str(exc)})
            raise
        return user

    def audit(self, actor: str, action: str, target: str, details: dict[str, object] | None = None) -> None:
        """One audit row in its own transaction."""
        short = target[:MAX_AUDIT_TARGET]
        self.db.write(lambda s: audit.append(s, actor, action, target=short, details=details))

    # ------------------------------------------------------------------ account changes
    def set_password(self, name: str, new_password: str, actor: str) -> UserInfo:
        """Give ``name`` a new password (the caller proved the old one, or is an administrator)."""
        check_password(new_password)
        new_hash = self.hasher.hash(new_password)

        def do(session: Session) -> UserInfo:
            user = self._existing(session, name)
            user.password_hash = new_hash
            user.failed_attempts = 0
            audit.append(session, actor, "user.passwd", target=name)
            return UserInfo.of(user)

        return self.db.write(do)

    def set_disabled(self, name: str, disabled: bool, actor: str) -> UserInfo:
        """Disable (nobody can log in as them; their history stays) or enable ``name``."""

        def do(session: Session) -> UserInfo:
            user = self._existing(session, name)
            if disabled and user.role == ADMINISTRATOR and not user.disabled:
                others = session.scalar(
                    select(func.count())
                    .select_from(User)
                    .where(User.role == ADMINISTRATOR, User.disabled.is_(False), User.id != user.id)
                )
                if not others:
                    raise ValueError(f"{name} is the last administrator; add another one first")
            user.disabled = disabled
            audit.append(session, actor, "user.disable" if disabled else "user.enable", target=name)
            return UserInfo.of(user)

        return self.db.write(do)

    def unlock(self, name: str, actor: str) -> UserInfo:
        """End a lockout now and forget the wrong passwords counted so far."""

        def do(session: Session) -> UserInfo:
            user = self._existing(session, name)
            user.locked_until = None
            user.failed_attempts = 0
            audit.append(session, actor, "user.unlock", target=name)
            return UserInfo.of(user)

        return self.db.write(do)

    @staticmethod
    def _existing(session: Session, name: str) -> User:
        user = session.execute(select(User).where(User.name == name).with_for_update()).scalar_one_or_none()
        if user is None:
            raise ValueError(f"there is no user {name!r}")
        return user

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def _count_failure(self, session: Session, user_id: int) -> bool:
        """Count a wrong password; lock the account at the limit. True if it was just locked."""
        user = session.execute(select(User).where(User.id == user_id).with_for_update()).scalar_one()
        user.failed_attempts += 1
        details: dict[str, object] = {"reason": "wrong password", "attempts": user.failed_attempts}
        audit.append(session, ANONYMOUS, "user.login-failed", target=user.name, details=details)
        if user.failed_attempts < self.max_attempts:
            return False
        user.locked_until = utcnow() + timedelta(seconds=self.lockout_s)
        audit.append(
            session,
            "system",
            "user.locked",
            target=user.name,
            details={"attempts": user.failed_attempts, "until": user.locked_until.isoformat()},
        )
        user.failed_attempts = 0  # a fresh allowance once the lock expires
        return True

    def _login_ok(self, session: Session, user_id: int, new_hash: str | None) -> UserInfo:
        user = session.execute(select(User).where(User.id == user_id).with_for_update()).scalar_one()
        user.failed_attempts = 0
        user.locked_until = None
        user.last_login_at = utcnow()
        if new_hash is not None:
            user.password_hash = new_hash
        audit.append(session, user.name, "user.login", target=user.name, details={"how": "password"})
        return UserInfo.of(user)

    def _audit_failure(self, name: str, reason: str) -> None:
        self.db.write(
            lambda s: audit.append(
                s, ANONYMOUS, "user.login-failed", target=name[:MAX_AUDIT_TARGET], details={"reason": reason}
            )
        )


def _by_name(session: Session, name: str) -> User | None:
    return session.scalar(select(User).where(User.name == name))
