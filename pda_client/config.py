"""Where the handheld keeps its server URL and token between runs.

``$CAIXIAO_PDA_HOME/config.json`` when that variable is set, else
``~/.config/caixiao-pda/config.json``. The file holds a bearer token, so only its owner may
read it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from pda_client.errors import PdaError

HOME_ENV = "CAIXIAO_PDA_HOME"
CONFIG_FILE = "config.json"
OWNER_ONLY = 0o600


@dataclass(frozen=True, slots=True)
class PdaConfig:
    url: str
    username: str
    token: str


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    home = env.get(HOME_ENV)
    folder = Path(home) if home else Path.home() / ".config" / "caixiao-pda"
    return folder / CONFIG_FILE


def load_config(path: Path) -> PdaConfig | None:
    """The saved login, or None before the first login; a damaged file is a ``PdaError``."""
    if not path.exists():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return PdaConfig(url=str(raw["url"]), username=str(raw["username"]),
                         token=str(raw["token"]))
    except (ValueError, KeyError, TypeError) as error:
        raise PdaError("BAD_CONFIG", f"{path} is damaged ({error}); log in again") from error


def save_config(path: Path, config: PdaConfig) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created owner-only before the token is written, so it is never readable by others.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, OWNER_ONLY)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(asdict(config), file, indent=2)
    path.chmod(OWNER_ONLY)
