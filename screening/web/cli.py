"""`screening serve` (the web app under uvicorn) and `screening users` (accounts and
API tokens). Registered on the main command group by `screening/cli.py`."""

from __future__ import annotations

import sys
from typing import Any

import click

db_option = click.option(
    "--db",
    "db_ref",
    metavar="PATH|URL",
    help="项目库（默认 $SCREENING_DB 或 ./screening.db；PostgreSQL：postgresql+psycopg://…）"
    " / the register.",
)


def actor_name(actor: str | None) -> str:
    from screening.register.db import actor_name as name

    return name(actor)


def _user_errors() -> Any:
    from screening.cli import user_errors

    return user_errors()


@click.command("serve")
@db_option
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="监听地址 / address."
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="工作进程数（每个进程一次筛查一个项目）/ worker processes.",
)
@click.option(
    "--data",
    "data_dir",
    default="screening-web",
    show_default=True,
    metavar="DIR",
    help="上传文件、报告、草稿与本地规则集所在文件夹 / uploads, reports, drafts, "
    "local rule sets.",
)
@click.option(
    "--targets",
    type=click.Path(exists=True, dir_okay=False),
    metavar="FILE",
    help="考核目标（YAML，同 register kpi --targets）/ KPI targets.",
)
@click.option(
    "--max-upload-mb", default=50, show_default=True, type=click.IntRange(1, 2048)
)
@click.option("--max-rows", default=100_000, show_default=True, type=click.IntRange(1))
@click.option(
    "--proxy",
    "forwarded",
    metavar="IPS",
    default=None,
    help="可信的反向代理地址（如 127.0.0.1）：采用其 X-Forwarded-For / -Proto / "
    "trusted proxies.",
)
@click.option(
    "--root-path",
    default="",
    metavar="PATH",
    callback=lambda _ctx, _param, value: _prefix(value),
    help="反向代理下的路径前缀（如 /screening；代理保留或去掉前缀均可）/ "
    "prefix behind a reverse proxy (kept or stripped by the proxy).",
)
@click.option(
    "--secure-cookies",
    is_flag=True,
    help="仅通过 HTTPS 发送登录 Cookie（由代理终止 TLS 时）/ "
    "Secure cookies behind TLS.",
)
def serve(
    db_ref: str | None,
    host: str,
    port: int,
    workers: int,
    data_dir: str,
    targets: str | None,
    max_upload_mb: int,
    max_rows: int,
    forwarded: str | None,
    root_path: str,
    secure_cookies: bool,
) -> None:
    """启动网页与 API（招商专员、委员、政策专员、管理员）/ Serve the web app and
    the JSON API."""
    import os

    import uvicorn

    from screening.web.settings import ENV, Settings

    settings = Settings(
        db=db_ref,
        data_dir=data_dir,
        targets=targets,
        max_upload_bytes=max_upload_mb << 20,
        max_rows=max_rows,
        secure_cookies=secure_cookies,
        root_path=root_path,
    )
    with _user_errors():
        from screening.register.store import Register
        from screening.web.accounts import AccountStore

        register = Register.open(db_ref, create=True)
        try:
            admins = AccountStore(register).count("admin")
            url = register.url
        finally:
            register.close()
    from screening.register.db import shown_url

    click.echo(f"项目库 / register: {shown_url(url)}", err=True)
    if admins == 0:
        where = f" --db {db_ref}" if db_ref else ""
        click.echo(
            "尚无管理员账户。先创建一个（密码会提示输入）/ "
            "no administrator yet; create one:\n"
            f"  screening users add 名字 --role 管理员{where}",
            err=True,
        )
    name = "localhost" if host in ("127.0.0.1", "::1") else host
    shown = f"http://{name}:{port}{root_path}/"
    click.echo(f"打开 / open {shown}", err=True)
    os.environ[ENV] = settings.to_env()
    options: dict[str, Any] = {
        "factory": True,
        "host": host,
        "port": port,
        "workers": workers,
        "proxy_headers": forwarded is not None,
        "forwarded_allow_ips": forwarded,
        "log_level": "info",
        "access_log": False,
    }
    from screening.web import workers as pool

    if workers > 1 and pool.available():  # each worker on a socket of its own
        try:
            pool.run("screening.web.app:create_app_from_env", **options)
        except OSError as exc:
            raise click.ClickException(
                f"无法监听 {host}:{port}：{exc.strerror} / cannot listen there"
            ) from None
        return
    uvicorn.run("screening.web.app:create_app_from_env", **options)


def _prefix(value: str) -> str:
    from screening.web.prefix import normal_prefix

    try:
        return normal_prefix(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.group("users")
def users() -> None:
    """网页账户与 API 令牌 / Web accounts and API tokens."""


def _store(db_ref: str | None) -> Any:
    from screening.register.store import Register
    from screening.web.accounts import AccountStore

    return AccountStore(Register.open(db_ref, create=True))


def _password(from_stdin: bool, name: str) -> str:
    if from_stdin:
        text = sys.stdin.readline().rstrip("\n")
        if not text:
            raise click.UsageError("标准输入中没有密码 / no password on stdin")
        return text
    return str(
        click.prompt(
            f"{name} 的密码 / password", hide_input=True, confirmation_prompt=True
        )
    )


@users.command("add")
@click.argument("name")
@click.option(
    "--role",
    required=True,
    metavar="ROLE",
    help="招商专员 | 委员 | 政策专员 | 管理员（或 officer committee policy admin）.",
)
@click.option("--display-name", help="姓名 / shown name.")
@click.option(
    "--password-stdin", is_flag=True, help="从标准输入读取密码 / read it from stdin."
)
@db_option
def users_add(
    name: str,
    role: str,
    display_name: str | None,
    password_stdin: bool,
    db_ref: str | None,
) -> None:
    """新建账户（没有默认密码）/ Add an account (there is no default password)."""
    from screening.web.accounts import role_code, role_label

    with _user_errors():
        code = role_code(role)
        store = _store(db_ref)
        try:
            account = store.create(
                name,
                code,
                _password(password_stdin, name),
                actor_name(None),
                display_name,
            )
        finally:
            store.register.close()
    click.echo(f"已创建 {account.name}（{role_label(account.role)}）/ account created")


@users.command("list")
@db_option
def users_list(db_ref: str | None) -> None:
    """列出账户 / List the accounts."""
    from screening.web.accounts import role_label

    with _user_errors():
        store = _store(db_ref)
        try:
            rows = store.list()
        finally:
            store.register.close()
    for row in rows:
        state = "启用" if row["active"] else "停用"
        click.echo(f"{row['name']}\t{role_label(row['role'])}\t{state}")


@users.command("passwd")
@click.argument("name")
@click.option(
    "--password-stdin", is_flag=True, help="从标准输入读取密码 / read it from stdin."
)
@db_option
def users_passwd(name: str, password_stdin: bool, db_ref: str | None) -> None:
    """设置新密码（其会话全部结束）/ Set a new password (its sessions end)."""
    with _user_errors():
        store = _store(db_ref)
        try:
            store.update(
                name, actor_name(None), password=_password(password_stdin, name)
            )
        finally:
            store.register.close()
    click.echo("密码已修改 / password changed")


@users.command("disable")
@click.argument("name")
@db_option
def users_disable(name: str, db_ref: str | None) -> None:
    """停用账户 / Disable an account."""
    with _user_errors():
        store = _store(db_ref)
        try:
            store.update(name, actor_name(None), active=False)
        finally:
            store.register.close()
    click.echo("已停用 / disabled")


@users.command("token")
@click.argument("name")
@click.option("--label", required=True, help="用途，如 项目平台 / what it is for.")
@db_option
def users_token(name: str, label: str, db_ref: str | None) -> None:
    """为账户签发 API 令牌（只显示一次）/ Issue an API token (shown once)."""
    with _user_errors():
        store = _store(db_ref)
        try:
            secret = store.create_token(name, label, actor_name(None))
        finally:
            store.register.close()
    click.echo(secret)
