"""Migrations match the models, upgrade from empty and downgrade to base."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from kbdesk import create_app, migrate
from kbdesk.extensions import db
from tests.conftest import PG_BASE, drop_pg_database, make_pg_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    if not PG_BASE:
        pytest.skip("PostgreSQL run not requested (KBDESK_TEST_DATABASE_URL)")
    url = make_pg_database(PG_BASE)
    yield url
    drop_pg_database(url)


def test_upgrade_matches_models_and_downgrades(empty_db_url, tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATA_DIR": str(tmp_path),
                      "SQLALCHEMY_DATABASE_URI": empty_db_url,
                      "SEARCH_INDEX_DIR": str(tmp_path / "index")})
    migrate.upgrade(app)
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, db.metadata)
    assert diff == []
    migrate.downgrade(app, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
