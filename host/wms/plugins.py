"""The plugin manager: discovery through entry points, and isolated lifecycle calls."""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any

import pluggy
from sqlalchemy.exc import DBAPIError

from wms import hookspecs
from wms.db import is_retryable
from wms.settings import SettingsRegistry

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "wms.plugins"


def make_plugin_manager(*, load_entry_points: bool = True) -> pluggy.PluginManager:
    """A manager with the host's hook specifications and every installed plugin."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    if load_entry_points:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    return pm


class Plugins:
    """What the host needs from its plugins, asked through one plugin manager."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm

    def settings(self) -> SettingsRegistry:
        return SettingsRegistry(
            spec for specs in self.pm.hook.wms_declare_settings() for spec in specs
        )

    def migration_locations(self) -> list[str]:
        return [
            location
            for locations in self.pm.hook.wms_migration_locations()
            for location in locations
        ]

    def demo_steps(self) -> list[tuple[str, list[str]]]:
        return [step for steps in self.pm.hook.wms_demo_steps() for step in steps]

    def fire(self, session: Session, hook_name: str, **kwargs: Any) -> list[str]:
        """Call a lifecycle hook, each implementation in its own savepoint.

        A plugin that raises has its writes rolled back and the failure
        logged; the host's event (already flushed) stands.  Returns the names
        of the plugins that failed.  The caller expires what a plugin may
        have changed behind the session's back.
        """
        session.flush()
        kwargs["session"] = session
        failed: list[str] = []
        caller = getattr(self.pm.hook, hook_name)
        for impl in reversed(caller.get_hookimpls()):
            args = [kwargs[name] for name in impl.argnames]
            savepoint = session.begin_nested()
            try:
                impl.function(*args)
                session.flush()
            except DBAPIError as exc:
                # A deadlock or lock timeout is the database's, not the
                # plugin's: the whole step is retried.  MariaDB has already
                # rolled the whole transaction back, savepoint included.
                if exc.connection_invalidated or is_retryable(exc):
                    with contextlib.suppress(DBAPIError):
                        savepoint.rollback()
                    raise
                _rollback(savepoint, impl.plugin_name, hook_name, exc)
                failed.append(impl.plugin_name)
            # A plugin must never cost the warehouse its event: whatever else
            # the plugin raised, undo its writes, log it, and carry on.
            except Exception as exc:
                _rollback(savepoint, impl.plugin_name, hook_name, exc)
                failed.append(impl.plugin_name)
            else:
                savepoint.commit()
        return failed


def _rollback(
    savepoint: SessionTransaction, plugin: str, hook_name: str, exc: Exception
) -> None:
    savepoint.rollback()
    log.warning(
        "plugin %s failed in %s (%s); the event is kept", plugin, hook_name, exc
    )
    log.debug("plugin failure", exc_info=True)
