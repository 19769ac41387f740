"""``creneau users``: staff sign-in accounts (create, list, disable, reset the second factor)."""

from __future__ import annotations

import sys
from collections.abc import Callable

import click

from planner.models import Role, UserAccount

MIN_PASSWORD_LENGTH = 10


def _engine():  # noqa: ANN202 - sqlalchemy Engine
    from planner.cli import engine_from_settings

    return engine_from_settings()


def _account(session, email: str):  # noqa: ANN001, ANN202 - sqlmodel Session, UserAccount
    from sqlmodel import select

    from planner.auth.signin import normalise_email
    from planner.models import UserAccount

    user = session.exec(select(UserAccount).where(UserAccount.email == normalise_email(email))).first()
    if user is None:
        raise click.ClickException(f"There is no account {email}.")
    return user


@click.group()
def users() -> None:
    """Staff sign-in accounts (patients never need one)."""


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True,
              help="What the account may do.")
@click.option("--staff", "staff_code", default=None, metavar="CODE",
              help="Code of the staff member the account belongs to (not for the administrator).")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input instead of asking.")
def users_create(email: str, role: str, staff_code: str | None, password_stdin: bool) -> None:
    """Create the account EMAIL; the password is asked twice (or read with --password-stdin).

    Managers and the administrator enrol their authenticator app at their first sign-in.
    """
    from sqlmodel import select

    from planner import audit
    from planner.auth.signin import normalise_email
    from planner.database import session_scope
    from planner.models import StaffMember, UserAccount
    from planner.passwords import hash_password

    address = normalise_email(email)
    if "@" not in address or len(address) > 200:
        raise click.ClickException(f"{email!r} is not an e-mail address.")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(f"The password needs at least {MIN_PASSWORD_LENGTH} characters.")
    engine = _engine()
    with session_scope(engine) as session:
        if session.exec(select(UserAccount).where(UserAccount.email == address)).first():
            raise click.ClickException(f"An account {address} already exists.")
        staff_id = None
        if staff_code:
            member = session.exec(select(StaffMember).where(
                StaffMember.code == staff_code.strip().upper())).first()
            if member is None:
                raise click.ClickException(f"There is no staff member with the code {staff_code}.")
            staff_id = member.id
        elif role != Role.ADMIN.value:
            raise click.ClickException("Give --staff CODE: only the administrator has no staff record.")
        user = UserAccount(email=address, password_hash=hash_password(password), role=Role(role),
                           staff_id=staff_id)
        session.add(user)
        session.flush()
        user_id = user.id
    audit.record(engine, actor="cli", role="admin", action="account.create", object_type="account",
                 object_id=user_id or "")
    click.echo(f"Account {address} ({role}) created.")


@users.command("list")
def users_list() -> None:
    """List the accounts: e-mail, role, staff code, second factor, active."""
    from sqlmodel import Session, col, select

    from planner.models import StaffMember, UserAccount

    with Session(_engine()) as session:
        rows = session.exec(select(UserAccount, StaffMember)
                            .join(StaffMember, col(StaffMember.id) == UserAccount.staff_id, isouter=True)
                            .order_by(col(UserAccount.email))).all()
    if not rows:
        click.echo("No accounts.")
    for user, member in rows:
        totp = "totp enrolled" if user.totp_secret else "totp not enrolled"
        state = "active" if user.active else "disabled"
        click.echo(f"{user.email}\t{user.role.value}\t{member.code if member else '-'}\t{totp}\t{state}")


def _change_account(email: str, action: str, change: Callable[[UserAccount], None]) -> int:
    """Apply ``change`` to the account, end its open sessions, audit ``action``.

    Returns the number of sessions ended.
    """
    from planner import audit
    from planner.auth.sessions import end_all_sessions
    from planner.database import session_scope

    engine = _engine()
    with session_scope(engine) as session:
        user = _account(session, email)
        change(user)
        session.add(user)
        session.flush()
        user_id = user.id or 0
        ended = end_all_sessions(session, user_id)
    audit.record(engine, actor="cli", role="admin", action=action, object_type="account",
                 object_id=user_id)
    return ended


@users.command("disable")
@click.argument("email")
def users_disable(email: str) -> None:
    """Disable the account EMAIL: it can no longer sign in and its sessions end now."""
    ended = _change_account(email, "account.disable", lambda user: setattr(user, "active", False))
    click.echo(f"Account {email} is disabled ({ended} open sessions ended).")


@users.command("reset-totp")
@click.argument("email")
def users_reset_totp(email: str) -> None:
    """Forget the authenticator of EMAIL (lost phone): a new one is enrolled at the next sign-in."""
    _change_account(email, "account.reset_totp", lambda user: setattr(user, "totp_secret", None))
    click.echo(f"The authenticator of {email} is reset; they enrol a new one at their next sign-in.")
