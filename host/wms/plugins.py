"""The plugin manager: discovery through entry points, and isolated plugin calls."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pluggy
from sqlalchemy.exc import DBAPIError

from wms import hookspecs
from wms.db import is_retryable
from wms.settings import SettingsRegistry

if TYPE_CHECKING:
    from pluggy import HookCaller
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

    def setting_change_warnings(
        self, session: Session, key: str, value: Any, warehouse_id: int | None
    ) -> list[str]:
        """What the operator should know about a setting value just stored.

        Each plugin is called through pluggy in a savepoint that is always
        rolled back: the hook is read-only, and a plugin whose check fails
        (on PostgreSQL a failed query aborts the transaction) cannot cost the
        change.  A failed check becomes a warning of its own, so that silence
        never stands for a check that did not run.
        """
        warnings: list[str] = []
        for plugin_name, call in self._one_plugin_at_a_time(
            "wms_setting_change_warnings"
        ):
            savepoint = session.begin_nested()
            try:
                results = call(
                    session=session, key=key, value=value, warehouse_id=warehouse_id
                )
            # Advice must never cost the operator the change: whatever the
            # plugin raised, say that its check did not run and keep the value.
            except Exception as exc:
                log.debug("%s could not check %s", plugin_name, key, exc_info=True)
                warnings.append(
                    f"plugin {plugin_name} could not check {key} "
                    f"({_first_line(exc)}); the setting is stored"
                )
            else:
                warnings.extend(warning for found in results for warning in found)
            finally:
                savepoint.rollback()
        return warnings

    def _one_plugin_at_a_time(self, hook_name: str) -> Iterator[tuple[str, HookCaller]]:
        """A hook caller per plugin implementing ``hook_name``, in pluggy's order.

        Each is pluggy's own caller restricted to one plugin, so results are
        collected the way pluggy collects them, yet one plugin's failure
        leaves the others' results standing.
        """
        impls = reversed(getattr(self.pm.hook, hook_name).get_hookimpls())
        names = {impl.plugin: impl.plugin_name for impl in impls}
        for plugin, name in names.items():
            others = [other for other in names if other is not plugin]
            yield name, self.pm.subset_hook_caller(hook_name, remove_plugins=others)


def _rollback(
    savepoint: SessionTransaction, plugin: str, hook_name: str, exc: Exception
) -> None:
    savepoint.rollback()
    log.warning(
        "plugin %s failed in %s (%s); the event is kept", plugin, hook_name, exc
    )
    log.debug("plugin failure", exc_info=True)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
