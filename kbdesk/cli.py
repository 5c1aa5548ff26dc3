"""The `kbdesk` command: init, user, token, serve, worker, demo and the feature groups."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup

from kbdesk.errors import ServiceError
from kbdesk.extensions import db


def _create_app(*_args) -> Flask:
    from kbdesk import create_app

    return create_app()


def fail(message: str, code: int = 1):
    """Print a clear error and exit non-zero; nothing was committed."""
    db.session.rollback()
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def service_fail(exc: ServiceError):
    """Report a service refusal with its field errors."""
    details = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
    fail(f"{exc.message} {details}".strip())


@click.command("init")
def init_command():
    """Create the data directory, upgrade the database to head and create the index."""
    from kbdesk import migrate

    migrate.upgrade(current_app)
    run_init_hooks(current_app)
    click.echo(f"Data directory: {current_app.config['DATA_DIR']}")
    click.echo("Database upgraded to head.")


db_group = AppGroup("db", help="Database migrations.")


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision):
    """Upgrade the database (to head by default)."""
    from kbdesk import migrate

    migrate.upgrade(current_app, revision)


@db_group.command("downgrade")
@click.argument("revision", default="-1")
def db_downgrade(revision):
    """Downgrade the database (one step by default)."""
    from kbdesk import migrate

    migrate.downgrade(current_app, revision)


@db_group.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message):
    """Autogenerate a migration from the models (developers)."""
    from kbdesk import migrate

    migrate.upgrade(current_app)
    migrate.revision(current_app, message)


user_group = AppGroup("user", help="Manage users.")


@user_group.command("add")
@click.argument("email")
@click.option("--role", required=True,
              type=click.Choice(["admin", "specialist", "developer", "tester", "customer"]))
@click.option("--customer", "customer_slug", help="Customer slug (customer users).")
@click.option("--name", help="Display name (defaults to the e-mail's local part).")
@click.option("--locale", type=click.Choice(["cs", "en"]), default="cs")
@click.option("--password", help="Prompted for when not given.")
def user_add(email, role, customer_slug, name, locale, password):
    """Create a user."""
    from kbdesk.accounts import services

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    data = {"email": email, "name": name or email.split("@")[0], "role": role,
            "locale": locale, "password": password}
    if customer_slug:
        data["customer"] = customer_slug
    try:
        user = services.create_user(None, data)
    except ServiceError as exc:
        service_fail(exc)
    db.session.commit()
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


token_group = AppGroup("token", help="Manage API tokens.")


@token_group.command("create")
@click.argument("email")
@click.option("--name", default="cli", help="A label for the token.")
def token_create(email, name):
    """Issue an API token for a user and print it once."""
    from kbdesk.accounts import services

    user = services.find_user_by_email(email)
    if user is None:
        fail(f"No user with e-mail {email}.")
    try:
        _token, plain = services.create_token(user, name)
    except ServiceError as exc:
        service_fail(exc)
    db.session.commit()
    click.echo(plain)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
def serve_command(host, port, threads):
    """Serve the web app with waitress (a production WSGI server)."""
    from waitress import serve

    click.echo(f"kbdesk listening on http://{host}:{port}/")
    serve(current_app._get_current_object(), host=host, port=port, threads=threads,
          ident="kbdesk")


@click.command("worker")
@click.option("--workers", default=4, show_default=True, type=int)
def worker_command(workers):
    """Run the Huey consumer: background tasks and periodic timers."""
    from kbdesk.worker import run_consumer

    run_consumer(workers)


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Load the demo data and exit.")
def demo_command(host, port, no_serve):
    """Prepare the data directory, load demo data, run the server and the worker."""
    from kbdesk import demo, migrate

    migrate.upgrade(current_app)
    run_init_hooks(current_app)
    logins = demo.load(current_app)
    db.session.commit()
    # The demo must be searchable at once, even before the worker drains its queue.
    from kbdesk.search import indexing

    indexing.rebuild()
    click.echo(f"Data directory: {current_app.config['DATA_DIR']}")
    click.echo("Demo logins (password for all: demo-pass-2026):")
    for email, role in logins:
        click.echo(f"  {role:<11} {email}")
    if no_serve:
        return
    demo.run(current_app._get_current_object(), host, port)


# Features append callables run by `init` and `demo` (e.g. create the search index).
INIT_HOOKS: list = ["kbdesk.search.indexing:ensure_index"]
FEATURE_GROUPS: list[str] = [
    "kbdesk.search.cli:search_group",
    "kbdesk.kb.cli:kb_group",
    "kbdesk.mail.cli:mail_group",
    "kbdesk.monitor.cli:group",
    "kbdesk.problems.cli:group",
    "kbdesk.gaps.cli:group",
]


def run_init_hooks(app: Flask) -> None:
    """Run what `init` needs from each feature (hooks are "module:function" or callables)."""
    import importlib

    for hook in INIT_HOOKS:
        if isinstance(hook, str):
            module, _, attr = hook.partition(":")
            hook = getattr(importlib.import_module(module), attr)
        hook(app)


def register_commands(app: Flask) -> None:
    """Attach every command to the app's CLI."""
    import importlib

    for cmd in (init_command, db_group, user_group, token_group, serve_command, worker_command,
                demo_command):
        app.cli.add_command(cmd)
    for target in FEATURE_GROUPS:
        module, _, attr = target.partition(":")
        app.cli.add_command(getattr(importlib.import_module(module), attr))


main = FlaskGroup(create_app=_create_app, help="kbdesk: the technical-support desk.")
