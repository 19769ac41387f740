"""``creneau tokens``: API tokens for system clients of the FHIR API (create, list, revoke)."""

from __future__ import annotations

import click

from planner.fhir.tokens import SCOPES


@click.group()
def tokens() -> None:
    """API tokens for programs that use the FHIR API (/fhir)."""


@tokens.command("create")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, required=True, type=click.Choice(list(SCOPES)),
              help="A scope the token may use; repeat for several.")
def tokens_create(name: str, scopes: tuple[str, ...]) -> None:
    """Create a token for NAME and print it once (only its SHA-256 is kept)."""
    from planner import audit
    from planner.cli import engine_from_settings
    from planner.database import session_scope
    from planner.fhir.tokens import create_token

    engine = engine_from_settings()
    try:
        with session_scope(engine) as session:
            row, token = create_token(session, name, scopes)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    audit.record(engine, actor="cli", role="admin", action="api_token.create",
                 object_type="ApiToken", object_id=row.id or "")
    click.echo(f"Token {row.id} “{row.name}” with scopes {row.scopes}:")
    click.echo(token)
    click.echo("Keep it now: it cannot be shown again.", err=True)


@tokens.command("list")
def tokens_list() -> None:
    """List the tokens (never the tokens themselves)."""
    from sqlmodel import Session

    from planner.cli import engine_from_settings
    from planner.fhir.tokens import list_tokens

    with Session(engine_from_settings()) as session:
        rows = list_tokens(session)
    if not rows:
        click.echo("No API tokens.")
    for row in rows:
        state = f"revoked {row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "active"
        used = f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never"
        click.echo(f"{row.id}\t{row.name}\t{row.scopes}\tcreated {row.created_at:%Y-%m-%d %H:%M}"
                   f"\tlast used {used}\t{state}")


@tokens.command("revoke")
@click.argument("token_id", type=int)
def tokens_revoke(token_id: int) -> None:
    """Revoke token TOKEN_ID (it stops working at once)."""
    from planner import audit
    from planner.cli import engine_from_settings
    from planner.database import session_scope
    from planner.fhir.tokens import revoke_token

    engine = engine_from_settings()
    with session_scope(engine) as session:
        row = revoke_token(session, token_id)
    if row is None:
        raise click.ClickException(f"There is no API token {token_id}.")
    audit.record(engine, actor="cli", role="admin", action="api_token.revoke",
                 object_type="ApiToken", object_id=token_id)
    click.echo(f"Token {token_id} “{row.name}” is revoked.")
