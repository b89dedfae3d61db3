"""Settings: keys declared by plugins, stored globally with per-warehouse overrides."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, bindparam, or_, select
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
    row = session.scalars(
        select(Setting)
        .where(Setting.key == spec.key, _scope(warehouse_id))
        .with_for_update()
    ).one_or_none()
    if row is None:
        session.add(
            Setting(key=spec.key, warehouse_id=warehouse_id, value=spec.render(value))
        )
    else:
        row.value = spec.render(value)
    session.flush()
    return value


def _stored(session: Session, key: str, warehouse_id: int | None) -> str | None:
    return session.scalar(
        select(Setting.value).where(Setting.key == key, _scope(warehouse_id))
    )


def _scope(warehouse_id: int | None) -> ColumnElement[bool]:
    if warehouse_id is None:
        return Setting.warehouse_id.is_(None)
    return Setting.warehouse_id == warehouse_id
