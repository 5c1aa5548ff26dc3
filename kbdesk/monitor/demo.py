"""Demo monitors: the demo server's own health check, up for real, and a paused example."""

from __future__ import annotations

from sqlalchemy import select

from kbdesk.customers.models import Application
from kbdesk.demo import DEMO_HOOKS
from kbdesk.extensions import db
from kbdesk.monitor import services
from kbdesk.monitor.models import Monitor

DEMO = [
    # (application name, monitor fields)
    ("Objednávkový portál", {"name": "Objednávkový portál – health", "kind": "http",
                             "target": "http://127.0.0.1:8000/healthz", "keyword": "ok",
                             "internal": True, "interval_s": 60, "failures_before_down": 3}),
    ("Jízdenkový e-shop", {"name": "E-shop – TLS certificate", "kind": "tls",
                           "target": "eshop.dp-jihlava.example.cz:443", "enabled": False}),
    ("Warehouse Portal", {"name": "Warehouse Portal – DNS", "kind": "dns",
                          "target": "warehouse.northwind-logistics.example.com",
                          "enabled": False}),
]


def load_demo(app, admin) -> None:
    """Add the demo monitors once."""
    for app_name, fields in DEMO:
        application = db.session.scalar(select(Application).where(Application.name == app_name))
        if application is None:
            continue
        exists = db.session.scalar(select(Monitor.id).where(Monitor.name == fields["name"]))
        if exists is None:
            services.create_monitor(admin, {**fields, "application": application.id})


if load_demo not in DEMO_HOOKS:
    DEMO_HOOKS.append(load_demo)
