"""What every route of the app shares: the configuration, the folders it may read, the pages."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from metta_lit.web.paths import Folder

STATIC = Path(__file__).parent / "static"
REPLAY_SUFFIX = ".json.z"


@dataclass(frozen=True)
class WebConfig:
    """What the app may read: runs under ``data_dir``, replays under ``replay_dir`` (where
    live play and the dashboard's replay button also write), one stats DB and the experiments
    under ``experiments_dir``."""

    data_dir: str = "train_dir"
    replay_dir: str = "replays"
    stats_db: str | None = None
    experiments_dir: str = "experiments"
    host: str = "127.0.0.1"  # where the server listens (see security.allowed_hosts)
    allowed_hosts: tuple[str, ...] = ()  # more host names to answer to, e.g. when listening on 0.0.0.0


@dataclass
class Site:
    """One app's state: its config and confined folders; ``episode_lock`` lets one dashboard
    replay run at a time (each plays a whole episode)."""

    config: WebConfig
    data: Folder = field(init=False)
    replays: Folder = field(init=False)
    experiments: Folder = field(init=False)
    episode_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        self.data = Folder.at(self.config.data_dir, "runs")
        self.replays = Folder.at(self.config.replay_dir, "replays")
        self.replays.root.mkdir(parents=True, exist_ok=True)
        self.experiments = Folder.at(self.config.experiments_dir, "experiments")


def viewer_url(name: str) -> str:
    return f"/replay?replay={quote(name)}"
