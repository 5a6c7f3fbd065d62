"""``caixiao-pda``: log the handheld in to a Caixiao server and check who it is.

``caixiao-pda login --url http://server:8000 USERNAME`` asks for the password and saves the
token (see pda_client.config); ``caixiao-pda whoami`` asks the server who that token is.
"""

from __future__ import annotations

from typing import Annotated, NoReturn

import typer

from pda_client.client import PdaClient, PdaError
from pda_client.config import PdaConfig, config_path, load_config, save_config

app = typer.Typer(
    help="Caixiao handheld client.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


@app.command()
def login(
    username: Annotated[str, typer.Argument(help="Your Caixiao username.")],
    password: Annotated[str, typer.Option(
        prompt=True, hide_input=True, envvar="CAIXIAO_PDA_PASSWORD",
        help="Asked for (hidden) when not given.",
    )],
    url: Annotated[str | None, typer.Option(
        help="The server, e.g. http://10.0.0.5:8000; the last one used if omitted.",
    )] = None,
) -> None:
    """Log in and save the token for the next commands."""
    path = config_path()
    try:
        server = url or _saved_url()
        with PdaClient(server) as client:
            session = client.login(username, password)
            save_config(path, PdaConfig(url=client.url, username=username, token=session.token))
    except PdaError as error:
        _fail(str(error))
    expires = f", valid until {session.expires_at:%Y-%m-%d %H:%M %Z}" if session.expires_at else ""
    typer.echo(f"Logged in to {client.url} as {username}{expires}. Token saved in {path}.")


def _saved_url() -> str:
    saved = load_config(config_path())
    if saved is None:
        _fail("give the server with --url (no earlier login to take it from)")
    return saved.url


@app.command()
def whoami() -> None:
    """Show the user behind the saved token, as the server sees it."""
    try:
        saved = load_config(config_path())
        if saved is None:
            _fail("not logged in: run `caixiao-pda login --url URL USERNAME` first")
        with PdaClient(saved.url, token=saved.token) as client:
            identity = client.me()
    except PdaError as error:
        _fail(str(error))
    supplier = f", supplier {identity.supplier_id}" if identity.supplier_id else ""
    typer.echo(f"{identity.username} on {saved.url} (roles: {', '.join(identity.roles)}{supplier})")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
