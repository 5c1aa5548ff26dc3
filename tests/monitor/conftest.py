"""Monitor fixtures: a fake clock, real loopback servers, a customer with contacts, ticks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kbdesk.monitor import runner, scheduler, services
from kbdesk.monitor.models import Monitor
from tests.monitor.servers import Clock, LocalServer, make_cert


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def server():
    s = LocalServer()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    d = tmp_path_factory.mktemp("certs")
    return {"good": make_cert(d, 365, "good"), "soon": make_cert(d, 3, "soon")}


@pytest.fixture
def tls_server(certs):
    s = LocalServer(cert=certs["good"])
    yield s
    s.stop()


@pytest.fixture
def shop(users, make):
    """Customer alfa (Czech) with a production application and a Czech and an English contact."""
    alfa = users["alfa"]
    app = make.Application(customer=alfa, name="E-shop", environment="prod")
    make.Contact(customer=alfa, name="Petra Dvořáková", email="petra@alfa.test", language="cs")
    make.Contact(customer=alfa, name="John Smith", email="john@alfa.test", language="en")
    return {"customer": alfa, "app": app, **users}


class Ticker:
    """Drives the scheduler and the probes with the fake clock, one interval at a time."""

    def __init__(self, db, clock):
        self.db, self.clock = db, clock

    def monitor(self, actor, app, *, commit: bool = True, **fields) -> Monitor:
        data = {"application": app.id, "kind": "http", "internal": True, "interval_s": 60,
                "failures_before_down": 3, "timeout_ms": 2000, **fields}
        monitor = services.create_monitor(actor, data, now=self.clock())
        monitor.next_due_at = self.clock()
        if commit:
            self.db.session.commit()
        return monitor

    def tick(self, seconds: int = 60):
        """Claim what is due now, probe it, commit, then move the clock on."""
        claimed = scheduler.claim_due(self.clock(), horizon=timedelta(0))
        results = runner.run_slots(claimed, clock=self.clock)
        self.db.session.commit()
        self.clock.advance(seconds)
        return results


@pytest.fixture
def ticker(db, clock):
    return Ticker(db, clock)
