"""Accounts, sessions, API tokens, the audit log and settings, in the register's
database (tables from migration 0003). Storage only: who may do what is `auth.py`.

Passwords are hashed with argon2id (argon2-cffi); sessions and tokens are stored as the
sha256 of their secret, so a copy of the database holds no usable credential.
"""

from __future__ import annotations

import builtins
import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from screening.register.db import NotFound, RegisterError
from screening.register.schema import (
    ROLES,
    accounts,
    api_tokens,
    audit_log,
    web_sessions,
    web_settings,
)
from screening.register.store import Register, utc_now

ROLE_LABELS = {
    "officer": ("招商专员", "investment officer"),
    "committee": ("委员", "committee member"),
    "policy": ("政策专员", "policy officer"),
    "admin": ("管理员", "administrator"),
}
MIN_PASSWORD = 10
_HASHER = PasswordHasher()
# verified against when the name is unknown, so a wrong name costs as long as a wrong
# password (no telling which names exist by the time a refusal takes)
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


class AccountError(RegisterError):
    """A refused account operation (unknown name, weak password, duplicate)."""


class UnknownAccount(AccountError, NotFound):
    """No such account or live token (HTTP 404)."""


@dataclass(frozen=True)
class Account:
    """A signed-in person (or the account a machine token belongs to)."""

    id: int
    name: str
    role: str
    display_name: str | None = None

    @property
    def shown(self) -> str:
        return self.display_name or self.name


def role_code(text: str) -> str:
    """A role from its code (officer) or its Chinese or English label (招商专员)."""
    value = text.strip()
    if value in ROLES:
        return value
    for code, (zh, en) in ROLE_LABELS.items():
        if value in (zh, en):
            return code
    names = "、".join(f"{zh}（{code}）" for code, (zh, _) in ROLE_LABELS.items())
    raise AccountError(f"未知角色 {text!r}，可用：{names} / unknown role")


def role_label(code: str, lang: str = "zh") -> str:
    """The role's title in `lang`."""
    zh, en = ROLE_LABELS.get(code, (code, code))
    return en if lang == "en" else zh


def check_password(name: str, password: str) -> None:
    """Refuse a password too short or equal to the name."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(
            f"密码至少 {MIN_PASSWORD} 个字符 / a password needs at least "
            f"{MIN_PASSWORD} characters",
            field="password",
        )
    if password.strip().casefold() == name.strip().casefold():
        raise AccountError(
            "密码不能与用户名相同 / the password must differ from the name",
            field="password",
        )


def _check_name(name: str) -> str:
    value = name.strip()
    if not value or len(value) > 100 or any(c.isspace() for c in value):
        raise AccountError(
            "用户名应为 1–100 个字符且不含空格 / a name is 1–100 characters, no spaces",
            field="name",
        )
    return value


def digest(secret: str) -> str:
    """The stored form of a session id or token: its sha256."""
    return hashlib.sha256(secret.encode()).hexdigest()


class AccountStore:
    """Accounts and what hangs off them, over the register's engine."""

    def __init__(self, register: Register) -> None:
        self.register = register

    # --- accounts -------------------------------------------------------------------

    def count(self, role: str | None = None, active_only: bool = True) -> int:
        """How many accounts (of `role`) exist."""
        query = select(func.count()).select_from(accounts)
        if role is not None:
            query = query.where(accounts.c.role == role)
        if active_only:
            query = query.where(accounts.c.active.is_(True))
        with self.register.read() as conn:
            return int(conn.execute(query).scalar_one())

    def create(
        self,
        name: str,
        role: str,
        password: str,
        actor: str,
        display_name: str | None = None,
    ) -> Account:
        """A new active account; the password is checked, then only its hash kept."""
        name, role = _check_name(name), role_code(role)
        check_password(name, password)
        self._refuse_taken(name)
        now = utc_now()
        try:
            with self.register.write() as conn:
                new_id = conn.execute(
                    accounts.insert()
                    .values(
                        name=name,
                        display_name=(display_name or "").strip()[:200] or None,
                        role=role,
                        password_hash=_HASHER.hash(password),
                        active=True,
                        created_at=now,
                        created_by=actor,
                        password_changed_at=now,
                    )
                    .returning(accounts.c.id)
                ).scalar_one()
        except IntegrityError:
            raise AccountError(
                f"用户名 {name} 已存在 / the name is taken", field="name"
            ) from None
        self.audit(actor, "account_created", name, {"role": role})
        return Account(int(new_id), name, role, display_name)

    def _refuse_taken(self, name: str) -> None:
        """Refuse a name equal to an existing one but for case (OFF2 beside off2):
        people read them as one account. Existing accounts keep their names, and
        signing in still matches a name exactly."""
        folded = name.casefold()
        with self.register.read() as conn:
            names = conn.execute(select(accounts.c.name)).scalars().all()
        taken = next((n for n in names if n.casefold() == folded), None)
        if taken is None:
            return
        if taken == name:
            raise AccountError(
                f"用户名 {name} 已存在 / the name is taken", field="name"
            )
        raise AccountError(
            f"用户名 {name} 与已有的用户名 {taken} 只差大小写，请另取一个 / "
            f"{name} differs from the existing name {taken} only in case",
            field="name",
        )

    def get(self, name: str) -> dict[str, Any]:
        """An account's row (never its hash) by name."""
        with self.register.read() as conn:
            row = conn.execute(
                select(accounts).where(accounts.c.name == name.strip())
            ).first()
        if row is None:
            raise UnknownAccount(f"没有用户 {name!r} / no such account")
        out = dict(row._mapping)
        out.pop("password_hash")
        return out

    def list(self) -> list[dict[str, Any]]:
        """Every account, by name (no hashes)."""
        with self.register.read() as conn:
            rows = conn.execute(select(accounts).order_by(accounts.c.name)).fetchall()
        out = []
        for row in rows:
            item = dict(row._mapping)
            item.pop("password_hash")
            out.append(item)
        return out

    def update(
        self,
        name: str,
        actor: str,
        *,
        role: str | None = None,
        active: bool | None = None,
        password: str | None = None,
    ) -> None:
        """Change an account's role, active flag or password (its sessions end)."""
        found = self.get(name)
        values: dict[str, Any] = {}
        detail: dict[str, Any] = {}
        if role is not None and role_code(role) != found["role"]:
            values["role"] = detail["role"] = role_code(role)
        if active is not None and active != found["active"]:
            values["active"] = detail["active"] = active
        if password is not None:
            check_password(found["name"], password)
            values["password_hash"] = _HASHER.hash(password)
            values["password_changed_at"] = utc_now()
            detail["password"] = "changed"
        if not values:
            return
        if (
            values.get("role", "admin") != "admin" or values.get("active") is False
        ) and (found["role"] == "admin" and self.count("admin") <= 1):
            raise AccountError(
                "不能停用或改变最后一个管理员 / the last administrator stays one"
            )
        with self.register.write() as conn:
            conn.execute(
                update(accounts).where(accounts.c.id == found["id"]).values(values)
            )
            # a new role, a new password or a disabled account: every session ends
            conn.execute(
                delete(web_sessions).where(web_sessions.c.account_id == found["id"])
            )
        self.audit(actor, "account_changed", found["name"], detail)

    def verify(self, name: str, password: str) -> Account | None:
        """The account if `name` and `password` match an active one, else None."""
        with self.register.read() as conn:
            row = conn.execute(
                select(accounts).where(accounts.c.name == name.strip())
            ).first()
        stored = row.password_hash if row is not None else _DUMMY_HASH
        try:
            _HASHER.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None or not row.active:
            return None
        if _HASHER.check_needs_rehash(stored):
            with self.register.write() as conn:
                conn.execute(
                    update(accounts)
                    .where(accounts.c.id == row.id)
                    .values(password_hash=_HASHER.hash(password))
                )
        return Account(row.id, row.name, row.role, row.display_name)

    # --- sessions -------------------------------------------------------------------

    def start_session(self, account: Account, hours: float) -> tuple[str, str]:
        """A new session: (its secret id for the cookie, its CSRF token)."""
        secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        now = utc_now()
        with self.register.write() as conn:
            conn.execute(
                delete(web_sessions).where(web_sessions.c.expires_at < now)
            )  # expired ones go as new ones come
            conn.execute(
                web_sessions.insert().values(
                    token_sha256=digest(secret),
                    account_id=account.id,
                    csrf=csrf,
                    created_at=now,
                    expires_at=now + dt.timedelta(hours=hours),
                )
            )
        return secret, csrf

    def session(self, secret: str) -> tuple[Account, str] | None:
        """The account and CSRF token of a live session, or None."""
        with self.register.read() as conn:
            row = conn.execute(
                select(
                    accounts.c.id,
                    accounts.c.name,
                    accounts.c.role,
                    accounts.c.display_name,
                    web_sessions.c.csrf,
                )
                .join(accounts, accounts.c.id == web_sessions.c.account_id)
                .where(
                    web_sessions.c.token_sha256 == digest(secret),
                    web_sessions.c.expires_at > utc_now(),
                    accounts.c.active.is_(True),
                )
            ).first()
        if row is None:
            return None
        return Account(row.id, row.name, row.role, row.display_name), row.csrf

    def end_session(self, secret: str) -> None:
        """Forget a session (logout)."""
        with self.register.write() as conn:
            conn.execute(
                delete(web_sessions).where(
                    web_sessions.c.token_sha256 == digest(secret)
                )
            )

    # --- API tokens -----------------------------------------------------------------

    def create_token(self, name: str, label: str, actor: str) -> str:
        """A new API token for account `name`; its secret returned once, never kept."""
        found = self.get(name)
        secret = "scr_" + secrets.token_urlsafe(32)
        with self.register.write() as conn:
            conn.execute(
                api_tokens.insert().values(
                    account_id=found["id"],
                    label=(label.strip() or "token")[:200],
                    token_sha256=digest(secret),
                    prefix=secret[:10],
                    created_at=utc_now(),
                    created_by=actor,
                )
            )
        self.audit(actor, "token_created", found["name"], {"label": label[:200]})
        return secret

    def token_account(self, secret: str) -> Account | None:
        """The active account a live token belongs to, or None."""
        with self.register.read() as conn:
            row = conn.execute(
                select(
                    accounts.c.id,
                    accounts.c.name,
                    accounts.c.role,
                    accounts.c.display_name,
                )
                .join(accounts, accounts.c.id == api_tokens.c.account_id)
                .where(
                    api_tokens.c.token_sha256 == digest(secret),
                    api_tokens.c.revoked_at.is_(None),
                    accounts.c.active.is_(True),
                )
            ).first()
        return (
            None
            if row is None
            else Account(row.id, row.name, row.role, row.display_name)
        )

    def tokens(self) -> builtins.list[dict[str, Any]]:
        """Every token (never its secret), newest first, with its account's name."""
        with self.register.read() as conn:
            rows = conn.execute(
                select(
                    api_tokens.c.id,
                    api_tokens.c.label,
                    api_tokens.c.prefix,
                    api_tokens.c.created_at,
                    api_tokens.c.created_by,
                    api_tokens.c.revoked_at,
                    accounts.c.name.label("account"),
                    accounts.c.role,
                )
                .join(accounts, accounts.c.id == api_tokens.c.account_id)
                .order_by(api_tokens.c.id.desc())
            ).fetchall()
        return [dict(r._mapping) for r in rows]

    def revoke_token(self, token_id: int, actor: str) -> None:
        """Revoke a token at once."""
        with self.register.write() as conn:
            done = conn.execute(
                update(api_tokens)
                .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
                .values(revoked_at=utc_now())
            ).rowcount
        if not done:
            raise UnknownAccount(f"没有可撤销的令牌 {token_id} / no such live token")
        self.audit(actor, "token_revoked", str(token_id), None)

    # --- the audit log --------------------------------------------------------------

    def audit(
        self,
        actor: str,
        action: str,
        target: str | None,
        detail: dict[str, Any] | None,
        ip: str | None = None,
    ) -> None:
        """Record who did what to which (one row, its own transaction)."""
        with self.register.write() as conn:
            conn.execute(
                audit_log.insert().values(
                    at=utc_now(),
                    actor=actor[:100],
                    action=action,
                    target=None if target is None else target[:200],
                    detail=None
                    if detail is None
                    else json.dumps(detail, ensure_ascii=False, default=str),
                    ip=ip,
                )
            )

    def audit_entries(
        self,
        action: str | None = None,
        actor: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[int, builtins.list[dict[str, Any]]]:
        """Audit entries, newest first: (how many match, one page)."""
        where = []
        if action:
            where.append(audit_log.c.action == action)
        if actor:
            where.append(audit_log.c.actor == actor)
        with self.register.read() as conn:
            total = conn.execute(
                select(func.count()).select_from(audit_log).where(*where)
            ).scalar_one()
            rows = conn.execute(
                select(audit_log)
                .where(*where)
                .order_by(audit_log.c.id.desc())
                .limit(limit)
                .offset(offset)
            ).fetchall()
        out = []
        for row in rows:
            item = dict(row._mapping)
            item["detail"] = json.loads(item["detail"]) if item["detail"] else None
            out.append(item)
        return int(total), out

    def recent_failures(
        self, name: str, ip: str | None, since: dt.datetime
    ) -> tuple[int, int]:
        """Failed logins since `since`: (for this name, from this address)."""
        base = select(func.count()).select_from(audit_log)
        with self.register.read() as conn:
            by_name = conn.execute(
                base.where(
                    audit_log.c.action == "login_failed",
                    audit_log.c.target == name.strip()[:200],
                    audit_log.c.at >= since,
                )
            ).scalar_one()
            by_ip = 0
            if ip:
                by_ip = conn.execute(
                    base.where(
                        audit_log.c.action == "login_failed",
                        audit_log.c.ip == ip,
                        audit_log.c.at >= since,
                    )
                ).scalar_one()
        return int(by_name), int(by_ip)

    # --- settings -------------------------------------------------------------------

    def setting(self, name: str, make: Any) -> str:
        """A stored setting, made by `make()` the first time (every worker agrees)."""
        with self.register.read() as conn:
            found = conn.execute(
                select(web_settings.c.value).where(web_settings.c.name == name)
            ).scalar()
        if found is not None:
            return str(found)
        try:
            with self.register.write() as conn:
                conn.execute(web_settings.insert().values(name=name, value=make()))
        except IntegrityError:
            pass  # another worker made it first: theirs holds
        with self.register.read() as conn:
            return str(
                conn.execute(
                    select(web_settings.c.value).where(web_settings.c.name == name)
                ).scalar_one()
            )
