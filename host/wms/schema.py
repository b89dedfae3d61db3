"""Schema state and upgrades through Alembic, host branch plus every plugin branch.

Each installed package keeps its own Alembic branch in its own version
directory; all branches share one ``alembic_version`` table and are upgraded
together with ``upgrade heads``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from wms.db import Database
from wms.errors import SchemaMismatch

HOST_VERSIONS = "wms:migrations/versions"


def resolve_location(location: str) -> str:
    """Turn ``package:relative/path`` into a filesystem path."""
    package, _, relative = location.partition(":")
    if not relative:
        return location
    return str(resources.files(package).joinpath(relative))


def alembic_config(db: Database, plugin_locations: Iterable[str] = ()) -> Config:
    locations = [HOST_VERSIONS, *plugin_locations]
    config = Config()
    config.set_main_option("script_location", resolve_location("wms:migrations"))
    config.set_main_option("path_separator", "os")
    config.set_main_option(
        "version_locations", os.pathsep.join(resolve_location(x) for x in locations)
    )
    config.attributes["engine"] = db.engine
    return config


@dataclass(frozen=True)
class SchemaState:
    current: frozenset[str]
    heads: frozenset[str]
    unknown: frozenset[str]

    @property
    def is_current(self) -> bool:
        return self.current == self.heads

    @property
    def is_ahead(self) -> bool:
        return bool(self.unknown)


def schema_state(db: Database, plugin_locations: Iterable[str] = ()) -> SchemaState:
    script = ScriptDirectory.from_config(alembic_config(db, plugin_locations))
    with db.engine.connect() as conn:
        current = frozenset(MigrationContext.configure(conn).get_current_heads())
    known = {rev.revision for rev in script.walk_revisions()}
    return SchemaState(
        current=current,
        heads=frozenset(script.get_heads()),
        unknown=frozenset(rev for rev in current if rev not in known),
    )


def upgrade(db: Database, plugin_locations: Iterable[str] = ()) -> None:
    """Bring the host's and every plugin's branch to its head."""
    command.upgrade(alembic_config(db, plugin_locations), "heads")


def downgrade(
    db: Database, revision: str, plugin_locations: Iterable[str] = ()
) -> None:
    command.downgrade(alembic_config(db, plugin_locations), revision)


def ensure_current(
    db: Database, plugin_locations: Iterable[str] = (), *, auto_upgrade: bool
) -> None:
    """Make sure the schema matches the code, upgrading it only if allowed."""
    locations = list(plugin_locations)
    state = schema_state(db, locations)
    if state.is_ahead:
        raise SchemaMismatch(
            "the database schema is newer than this wms installation "
            f"(unknown revisions: {', '.join(sorted(state.unknown))}); upgrade "
            "wms-host and its plugins, then run 'wms db upgrade'"
        )
    if state.is_current:
        return
    if not auto_upgrade:
        raise SchemaMismatch(
            "the database schema is behind this wms installation; "
            "run 'wms db upgrade' first"
        )
    upgrade(db, locations)
