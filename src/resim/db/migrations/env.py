"""Alembic environment: batch mode on SQLite so ALTERs work there too."""

from __future__ import annotations

import importlib

from alembic import context

from resim.db.base import Base
from resim.db.engine import make_engine

# Every feature's models, imported by name: db must not import the features statically.
importlib.import_module("resim.models")

config = context.config
URL = config.get_main_option("sqlalchemy.url") or ""


def run() -> None:
    engine = make_engine(URL)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
