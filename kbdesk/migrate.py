"""Alembic driven from the app: upgrade, downgrade, current revision."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from flask import Flask

from kbdesk import ROOT


def alembic_config(app: Flask) -> Config:
    """An Alembic config bound to this app's database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", app.config["SQLALCHEMY_DATABASE_URI"].replace("%", "%%"))
    cfg.set_main_option("file_template", "%%(rev)s")
    cfg.attributes["app"] = app
    return cfg


def upgrade(app: Flask, revision: str = "head") -> None:
    """Bring the database to a revision (head by default)."""
    command.upgrade(alembic_config(app), revision)


def downgrade(app: Flask, revision: str = "base") -> None:
    """Take the database back to a revision (base by default)."""
    command.downgrade(alembic_config(app), revision)


def revision(app: Flask, message: str) -> None:
    """Write a new migration by comparing the models with the database at head."""
    versions = ROOT / "migrations" / "versions"
    number = len(list(versions.glob("[0-9][0-9][0-9][0-9]_*.py"))) + 1
    slug = "_".join(message.lower().split())[:40]
    command.revision(alembic_config(app), message=message, autogenerate=True,
                     rev_id=f"{number:04d}_{slug}"[:32])


def stamp(app: Flask, revision: str = "head") -> None:
    """Record a revision without running migrations (for schemas made by create_all)."""
    command.stamp(alembic_config(app), revision)
