"""Schema state and upgrades through Alembic, host branch plus every plugin branch.

Each installed package keeps its own Alembic branch in its own version
directory; all branches share one ``alembic_version`` table and are upgraded
together with ``upgrade heads``.
"""

from __future__ import annotations

import functools
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


def _version_locations(plugin_locations: Iterable[str]) -> tuple[str, ...]:
    return tuple(resolve_location(x) for x in (HOST_VERSIONS, *plugin_locations))


def _base_config(locations: tuple[str, ...]) -> Config:
    config = Config()
    config.set_main_option("script_location", resolve_location("wms:migrations"))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", os.pathsep.join(locations))
    return config


def alembic_config(db: Database, plugin_locations: Iterable[str] = ()) -> Config:
    config = _base_config(_version_locations(plugin_locations))
    config.attributes["engine"] = db.engine
    return config


@functools.lru_cache(maxsize=8)
def _script_directory(locations: tuple[str, ...]) -> ScriptDirectory:
    """Parsed once per process: reading every revision file costs tens of ms."""
    return ScriptDirectory.from_config(_base_config(locations))


@dataclass(frozen=True)
class SchemaState:
    """Where the database stands against the installed branches.

    ``applied`` holds every revision the database has, including those that
    Alembic leaves out of ``alembic_version`` because a later revision of
    another branch depends on them.
    """

    current: frozenset[str]
    applied: frozenset[str]
    heads: frozenset[str]
    unknown: frozenset[str]

    @property
    def is_current(self) -> bool:
        return not self.unknown and self.heads <= self.applied

    @property
    def is_ahead(self) -> bool:
        return bool(self.unknown)


def schema_state(db: Database, plugin_locations: Iterable[str] = ()) -> SchemaState:
    script = _script_directory(_version_locations(plugin_locations))
    with db.engine.connect() as conn:
        conn = conn.execution_options(wms_read_only=True)
        current = frozenset(MigrationContext.configure(conn).get_current_heads())
    known = {rev.revision for rev in script.walk_revisions()}
    unknown = frozenset(rev for rev in current if rev not in known)
    applied: frozenset[str] = frozenset()
    if current and not unknown:
        applied = frozenset(
            rev.revision for rev in script.iterate_revisions(tuple(current), "base")
        )
    return SchemaState(
        current=current,
        applied=applied,
        heads=frozenset(script.get_heads()),
        unknown=unknown,
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
