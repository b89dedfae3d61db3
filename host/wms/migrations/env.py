"""Alembic environment for the host and every plugin branch.

The engine comes from ``config.attributes``: migrations always run through
``wms.schema``, never from an alembic.ini.
"""

from __future__ import annotations

from alembic import context

engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(connection=connection, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
