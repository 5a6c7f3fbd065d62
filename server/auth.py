"""Users, roles, bearer tokens and the Principal every use case checks.

Passwords are hashed with argon2id. Tokens are random 256-bit strings handed out once; only their
SHA-256 is stored, so a leaked database does not leak usable tokens.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ForeignKey, String, UniqueConstraint, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from server.db import Base, Database, IdMixin, IdType, TimestampMixin, one_of, utcnow
from server.errors import Duplicate, Forbidden, InvalidInput, NotFound, Unauthenticated


class Role(StrEnum):
    ADMIN = "admin"
    PURCHASER = "purchaser"
    PURCHASE_MANAGER = "purchase_manager"
    FINANCE_DIRECTOR = "finance_director"
    WAREHOUSE = "warehouse"
    QC = "qc"
    SALES = "sales"
    SUPPLIER = "supplier"


class TokenKind(StrEnum):
    SESSION = "session"
    DEVICE = "device"


INTERNAL_ROLES = frozenset(Role) - {Role.SUPPLIER}
MIN_PASSWORD_LENGTH = 8
_hasher = PasswordHasher()


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "app_user"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    supplier_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("supplier.id", ondelete="RESTRICT"), index=True
    )
    active: Mapped[bool] = mapped_column(default=True)
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="raise", order_by="UserRole.role"
    )

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(row.role) for row in self.role_rows)


class UserRole(Base):
    __tablename__ = "user_role"
    __table_args__ = (
        one_of("role", Role),
    )

    user_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(32), primary_key=True)


class ApiToken(IdMixin, Base):
    __tablename__ = "api_token"
    __table_args__ = (UniqueConstraint("token_hash"),)

    user_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("app_user.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting: checked by every use case before it touches anything."""

    user_id: int
    username: str
    roles: frozenset[Role] = field(default_factory=frozenset)
    supplier_id: int | None = None

    @property
    def is_supplier(self) -> bool:
        return self.supplier_id is not None

    def has_any(self, *roles: Role) -> bool:
        return Role.ADMIN in self.roles or any(role in self.roles for role in roles)

    def require(self, *roles: Role) -> Principal:
        if not self.has_any(*roles):
            wanted = ", ".join(role.value for role in roles) or "admin"
            raise Forbidden(f"this action needs one of the roles: {wanted}")
        return self

    def require_internal(self) -> Principal:
        """Staff of ours, any role: suppliers never see internal master data."""
        return self.require(*INTERNAL_ROLES)


def require_principal(principal: Principal | None) -> Principal:
    if principal is None:
        raise Unauthenticated("log in first: send Authorization: Bearer <token>")
    return principal


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def principal_of(user: User) -> Principal:
    return Principal(user.id, user.username, user.roles, user.supplier_id)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_at: datetime | None
    principal: Principal


async def create_user(
    db: Database,
    username: str,
    password: str,
    roles: list[Role],
    *,
    display_name: str | None = None,
    supplier_id: int | None = None,
) -> Principal:
    """Create a user; a supplier user must name the supplier it belongs to, and only it."""
    username = username.strip()
    if not username:
        raise InvalidInput("username must not be empty", field="username")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"password must be at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )
    if not roles:
        raise InvalidInput("give the user at least one role", field="roles")
    if (Role.SUPPLIER in roles) != (supplier_id is not None):
        raise InvalidInput(
            "a supplier user needs a supplier, and only supplier users may have one",
            field="supplier",
        )
    if Role.SUPPLIER in roles and len(set(roles)) > 1:
        raise InvalidInput("a supplier user cannot hold internal roles", field="roles")
    async with db.transaction() as session:
        if await session.scalar(select(User.id).where(User.username == username)):
            raise Duplicate(f"user {username!r} already exists", field="username")
        user = User(
            username=username,
            display_name=display_name or username,
            password_hash=hash_password(password),
            supplier_id=supplier_id,
            role_rows=[UserRole(role=role.value) for role in sorted(set(roles))],
        )
        session.add(user)
        await session.flush()
        return principal_of(user)


async def _load_user(session: AsyncSession, username: str) -> User | None:
    return await session.scalar(
        select(User).where(User.username == username).options(selectinload(User.role_rows))
    )


async def _issue(
    session: AsyncSession, user: User, kind: TokenKind, ttl: timedelta | None, name: str
) -> IssuedToken:
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + ttl if ttl is not None else None
    session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), kind=kind.value,
                         name=name, expires_at=expires_at))
    return IssuedToken(token, expires_at, principal_of(user))


async def login(db: Database, username: str, password: str, ttl: timedelta) -> IssuedToken:
    """Exchange a password for an expiring session token. Wrong name or password look alike."""
    async with db.transaction() as session:
        user = await _load_user(session, username.strip())
        if user is None or not user.active or not _password_matches(user.password_hash, password):
            raise Unauthenticated("unknown user or wrong password")
        return await _issue(session, user, TokenKind.SESSION, ttl, "login")


async def create_device_token(
    db: Database, username: str, device_name: str, ttl: timedelta | None = None
) -> IssuedToken:
    """A long-lived token for a PDA, bound to the user who operates it."""
    async with db.transaction() as session:
        user = await _load_user(session, username.strip())
        if user is None or not user.active:
            raise NotFound(f"no active user {username!r}", field="username")
        return await _issue(session, user, TokenKind.DEVICE, ttl, device_name)


# Built once: every request is authenticated.
_PRINCIPAL = (
    select(User.id, User.username, User.supplier_id, ApiToken.expires_at, UserRole.role)
    .join(ApiToken, ApiToken.user_id == User.id)
    .outerjoin(UserRole, UserRole.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None),
           User.active.is_(True))
)


async def authenticate(session: AsyncSession | AsyncConnection, token: str) -> Principal | None:
    """The principal behind a bearer token, or None when it is unknown, expired or revoked.
    One statement on every request: a row per role (one with no role for a user without)."""
    rows = (await session.execute(_PRINCIPAL, {"token_hash": hash_token(token)})).all()
    if not rows:
        return None
    user_id, username, supplier_id, expires_at, _role = rows[0]
    if expires_at is not None and expires_at <= utcnow():
        return None
    roles = frozenset(Role(row.role) for row in rows if row.role is not None)
    return Principal(user_id, username, roles, supplier_id)


async def revoke_token(db: Database, token: str) -> None:
    async with db.transaction() as session:
        stored = await session.scalar(
            select(ApiToken).where(ApiToken.token_hash == hash_token(token))
        )
        if stored is not None and stored.revoked_at is None:
            stored.revoked_at = utcnow()


async def users_by_ids(session: AsyncSession, ids: Sequence[int]) -> list[User | None]:
    rows = {user.id: user for user in await session.scalars(select(User).where(User.id.in_(ids)))}
    return [rows.get(i) for i in ids]
