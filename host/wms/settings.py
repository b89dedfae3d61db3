"""Settings: keys declared by plugins, stored globally with per-warehouse overrides."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wms.errors import SettingError
from wms.models import Setting

_TRUE = {"true", "on", "yes", "1"}
_FALSE = {"false", "off", "no", "0"}


@dataclass(frozen=True)
class SettingSpec:
    """A setting key a plugin owns: its type (bool, int or str), default and label."""

    key: str
    type: type
    default: Any
    label: str

    def parse(self, raw: str) -> Any:
        """Turn the operator's text into a typed value, or raise SettingError."""
        text = raw.strip()
        if self.type is bool:
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            raise SettingError(
                f"{self.key} takes true or false (also on/off, yes/no, 1/0), "
                f"not {raw!r}"
            )
        if self.type is int:
            try:
                return int(text)
            except ValueError:
                raise SettingError(
                    f"{self.key} takes a whole number, not {raw!r}"
                ) from None
        return text

    def render(self, value: Any) -> str:
        if self.type is bool:
            return "true" if value else "false"
        return str(value)


class SettingsRegistry:
    """Every declared key, so an unknown key or a mistyped value is caught."""

    def __init__(self, specs: Iterable[SettingSpec]) -> None:
        self._specs: dict[str, SettingSpec] = {}
        for spec in specs:
            if spec.key in self._specs:
                raise ValueError(f"setting {spec.key!r} is declared twice")
            self._specs[spec.key] = spec

    def __iter__(self) -> Iterator[SettingSpec]:
        return iter(sorted(self._specs.values(), key=lambda s: s.key))

    def spec(self, key: str) -> SettingSpec:
        try:
            return self._specs[key]
        except KeyError:
            known = ", ".join(sorted(self._specs)) or "none are installed"
            raise SettingError(
                f"unknown setting {key!r}; known settings: {known}"
            ) from None


def resolve(session: Session, spec: SettingSpec, warehouse_id: int | None) -> Any:
    """The effective value: the warehouse's override, else global, else the default."""
    stored = dict(
        session.execute(_RESOLVE, {"key": spec.key, "warehouse_id": warehouse_id}).all()
    )
    raw = stored.get(warehouse_id) if warehouse_id is not None else None
    if raw is None:
        raw = stored.get(None)
    return spec.default if raw is None else spec.parse(raw)


# One query for both the override and the global value, built once.
_RESOLVE = select(Setting.warehouse_id, Setting.value).where(
    Setting.key == bindparam("key"),
    or_(
        Setting.warehouse_id.is_(None),
        Setting.warehouse_id == bindparam("warehouse_id"),
    ),
)


def store(
    session: Session, spec: SettingSpec, raw: str, warehouse_id: int | None
) -> Any:
    """Validate ``raw``, store it for the warehouse (or globally), return the value."""
    value = spec.parse(raw)
    scope = warehouse_id or 0
    values = {"value": spec.render(value)}
    updated = session.execute(
        update(Setting).where(Setting.key == spec.key, Setting.scope == scope),
        values,
    ).rowcount
    if updated:
        return value
    try:
        with session.begin_nested():
            session.execute(
                insert(Setting).values(
                    key=spec.key, scope=scope, warehouse_id=warehouse_id, **values
                )
            )
    except IntegrityError:
        # Someone stored the same key at the same moment: overwrite theirs.
        session.execute(
            update(Setting).where(Setting.key == spec.key, Setting.scope == scope),
            values,
        )
    return value
