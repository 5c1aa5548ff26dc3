"""Markdown files with a front-matter header in and out of the knowledge base.

The format (see knowledge/*.md):

    ---
    title: IIS 503 Service Unavailable
    kind: article
    visibility: public
    customer: alfa
    application: Web portal
    language: cs
    status: published
    tags: iis, 503, windows server
    ---
    Markdown body...

kind is article or config, visibility public, customer or internal; customer is a slug
(needed by config notes and customer visibility), application a name within that customer;
slug is optional (default: the file name). Lines starting with # are comments.

Importing is idempotent: a file is matched to its article by its path relative to the
directory (then by slug); an unchanged file changes nothing, a changed one makes a revision.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from sqlalchemy import select

from kbdesk.customers.models import Application, Customer
from kbdesk.errors import ServiceError
from kbdesk.extensions import db
from kbdesk.kb import services
from kbdesk.kb.models import Article
from kbdesk.validation import SLUG_RE, slugify

HEADER_KEYS = ("title", "slug", "kind", "visibility", "customer", "application", "language",
               "status", "tags")
DEFAULTS = {"kind": "article", "visibility": "internal", "language": "cs", "status": "published"}
IMPORT_NOTE = "Imported from {path}."


class FileError(Exception):
    """One file could not be imported; the message says why."""


@dataclass
class Report:
    """What an import did, file by file."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (f"created {len(self.created)}, updated {len(self.updated)}, "
                f"unchanged {len(self.unchanged)}, failed {len(self.failed)}")


def parse_document(text: str) -> tuple[dict[str, str], str]:
    """Split a file into its header (key -> raw value) and Markdown body."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise FileError("the file must start with a '---' header line")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise FileError("the header is not closed by a '---' line") from None
    header: dict[str, str] = {}
    for number, line in enumerate(lines[1:end], start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        if not sep or not key:
            raise FileError(f"line {number}: expected 'key: value', got {line.strip()!r}")
        if key not in HEADER_KEYS:
            raise FileError(f"line {number}: unknown key {key!r} (known: {', '.join(HEADER_KEYS)})")
        if key in header:
            raise FileError(f"line {number}: {key!r} given twice")
        header[key] = value.strip()
    if not header.get("title"):
        raise FileError("the header has no title")
    return header, "\n".join(lines[end + 1:])


def _customer(slug: str) -> Customer:
    customer = db.session.scalar(select(Customer).where(Customer.slug == slug))
    if customer is None:
        raise FileError(f"unknown customer {slug!r}")
    return customer


def _application(customer: Customer, name: str) -> Application:
    apps = db.session.scalars(select(Application).where(
        Application.customer_id == customer.id, Application.name == name)).all()
    if len(apps) == 1:
        return apps[0]
    if not apps and name.endswith(")") and " (" in name:
        # "Name (test)": the form export writes when one name exists in several environments.
        base, _, env = name[:-1].rpartition(" (")
        app = db.session.scalar(select(Application).where(
            Application.customer_id == customer.id, Application.name == base,
            Application.environment == env))
        if app is not None:
            return app
    if apps:
        prod = [a for a in apps if a.environment == "prod"]
        if len(prod) == 1:
            return prod[0]
        raise FileError(f"application {name!r} of {customer.slug!r} is ambiguous; "
                        f"write it as 'Name (environment)'")
    raise FileError(f"unknown application {name!r} of customer {customer.slug!r}")


def application_label(app: Application) -> str:
    """The name export writes: plain, or with the environment when the name is not unique."""
    same = db.session.scalars(select(Application.id).where(
        Application.customer_id == app.customer_id, Application.name == app.name)).all()
    return app.name if len(same) <= 1 else f"{app.name} ({app.environment})"


def document_data(header: dict[str, str], body: str, stem: str) -> dict:
    """The service input for one parsed file."""
    data: dict = {**DEFAULTS, "title": header["title"], "body": body,
                  "tags": header.get("tags", "")}
    for key in ("kind", "visibility", "language", "status"):
        if header.get(key):
            data[key] = header[key]
    slug = header.get("slug") or (stem if SLUG_RE.match(stem) else slugify(stem))
    if not slug:
        raise FileError("cannot make a slug from the file name; add 'slug:' to the header")
    data["slug"] = slug
    customer = None
    if header.get("customer"):
        customer = _customer(header["customer"])
        data["customer"] = customer.id
    else:
        data["customer"] = None
    if header.get("application"):
        if customer is None:
            raise FileError("'application' needs 'customer'")
        data["application"] = _application(customer, header["application"]).id
    else:
        data["application"] = None
    return data


def _existing(source_path: str, slug: str) -> Article | None:
    article = db.session.scalar(select(Article).where(Article.source_path == source_path))
    if article is not None:
        return article
    article = db.session.scalar(select(Article).where(Article.slug == slug))
    if article is not None and article.source_path not in (None, source_path):
        raise FileError(f"slug {slug!r} belongs to the article imported from "
                        f"{article.source_path!r}; add a different 'slug:' to the header")
    return article


def import_file(actor, path: Path, source_path: str) -> str:
    """Import one file; returns `created`, `updated` or `unchanged`, raises FileError."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise FileError("not UTF-8 text") from None
    except OSError as exc:
        raise FileError(f"cannot read: {exc.strerror or exc}") from None
    header, body = parse_document(text)
    data = document_data(header, body, PurePosixPath(source_path).stem)
    data["note"] = IMPORT_NOTE.format(path=source_path)
    try:
        article = _existing(source_path, data["slug"])
        if article is None:
            services.create_article(actor, data, source_path=source_path)
            return "created"
        before = article.revision
        services.update_article(actor, article.id, data, source_path=source_path)
        return "updated" if article.revision != before else "unchanged"
    except ServiceError as exc:
        details = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
        raise FileError(details or exc.message) from None


def import_directory(actor, directory: Path,
                     echo: Callable[[str], None] | None = None) -> Report:
    """Import every *.md file under a directory (recursively); bad files are reported."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FileError(f"{directory} is not a directory")
    report = Report()
    for path in sorted(directory.rglob("*.md")):
        rel = path.relative_to(directory).as_posix()
        try:
            outcome = import_file(actor, path, rel)
        except FileError as exc:
            report.failed.append((rel, str(exc)))
            if echo:
                echo(f"{rel}: error: {exc}")
            continue
        getattr(report, outcome).append(rel)
        if echo and outcome != "unchanged":
            echo(f"{rel}: {outcome}")
    return report


def format_document(article: Article, *, stem: str | None = None) -> str:
    """An article in the file format (the inverse of parse_document)."""
    lines = ["---", f"title: {article.title}"]
    if stem is not None and stem != article.slug:
        lines.append(f"slug: {article.slug}")
    lines += [f"kind: {article.kind}", f"visibility: {article.visibility}"]
    if article.customer is not None:
        lines.append(f"customer: {article.customer.slug}")
    if article.application is not None:
        lines.append(f"application: {application_label(article.application)}")
    lines += [f"language: {article.language}", f"status: {article.status}"]
    if article.tags:
        lines.append(f"tags: {', '.join(article.tags)}")
    lines.append("---")
    return "\n".join(lines) + "\n" + article.body + "\n"


def _export_path(article: Article, taken: set[str]) -> str:
    rel = article.source_path or ""
    parts = PurePosixPath(rel).parts
    if (not rel or PurePosixPath(rel).is_absolute() or ".." in parts or "\\" in rel
            or not rel.endswith(".md")):
        rel = f"{article.slug}.md"
    if rel in taken:
        rel = f"{article.slug}-{article.id}.md"
    return rel


def export_directory(actor, directory: Path) -> int:
    """Write every article the actor may read as a file; returns how many."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stmt = select(Article).order_by(Article.id)
    if (clause := services.readable_clause(actor)) is not None:
        stmt = stmt.where(clause)
    taken: set[str] = set()
    count = 0
    for article in db.session.scalars(stmt):
        rel = _export_path(article, taken)
        taken.add(rel)
        target = directory / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(format_document(article, stem=PurePosixPath(rel).stem),
                          encoding="utf-8")
        count += 1
    return count


def demo_hook(app, admin) -> None:
    """Load the demo knowledge base (knowledge/*.md) as the demo administrator."""
    from kbdesk import ROOT

    report = import_directory(admin, ROOT / "knowledge")
    for rel, message in report.failed:
        app.logger.warning("knowledge/%s: %s", rel, message)
