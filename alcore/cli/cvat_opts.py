"""The ``--cvat-*`` options ``export`` and ``import`` share, and the client they make."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from alcore.annotation.cvat_api import Cvat

CVAT_URL = typer.Option(None, "--cvat-url", envvar="CVAT_URL", help="CVAT server to push to or pull from.")
CVAT_TOKEN = typer.Option(
    None, "--cvat-token", envvar="CVAT_ACCESS_TOKEN", help="CVAT personal access token (Profile > Security)."
)
CVAT_CREDENTIALS = typer.Option(
    None, "--cvat-credentials", envvar="CVAT_CREDENTIALS", help="USER:PASSWORD instead of a token."
)


def cvat_auth(url: str, token: str | None, credentials: str | None) -> tuple[str, tuple[str, str] | str]:
    """The checked URL and token or ``(user, password)``, before anything touches the network."""
    from alcore.annotation.cvat_api import check_url, parse_credentials

    return check_url(url), parse_credentials(token, credentials)


def cvat_connect(url: str, auth: tuple[str, str] | str) -> Cvat:
    """A logged-in CVAT client; a version mismatch with cvat-sdk is a warning on stderr."""
    from alcore.annotation.cvat_api import Cvat

    cvat = Cvat(url, auth)
    note = cvat.version_note()
    if note:
        typer.echo(f"warning: {note}", err=True)
    return cvat
