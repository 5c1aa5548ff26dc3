"""Public value types of the search core: viewer, hit, result page, index problems."""

from __future__ import annotations

from dataclasses import dataclass, field

from .analysis import highlight

# -- Public value types ---------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """Who is searching: staff see everything, a customer user only what is theirs."""

    staff: bool
    customer: str | None = None


@dataclass
class Hit:
    """One result; the caller loads the object by (kind, obj_id)."""

    docid: str
    kind: str
    obj_id: int | str
    score: float
    title: str
    snippet_html: str
    title_html: str = ""


@dataclass
class SearchResult:
    """A page of results with the exact total, facet counts and spelling help."""

    total: int = 0
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    did_you_mean: str | None = None
    corrected: bool = False
    mode: str = "and"  # "or" when no document had every word


@dataclass(frozen=True)
class IndexProblem:
    """Why the index cannot be used: state is "missing" or "corrupt"."""

    state: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.state} ({self.detail})" if self.detail else self.state


class SearchUnavailable(RuntimeError):
    """The index is missing or corrupt (`problem` says which); rebuild it."""

    def __init__(self, problem: IndexProblem):
        super().__init__(f"search index {problem}")
        self.problem = problem



def _hit(stored: dict, score: float, termset: set[str]) -> Hit:
    title = stored.get("title") or ""
    body = stored.get("body") or ""
    snippet = highlight(body, termset)
    if "<mark>" not in snippet and "<mark>" in (t := highlight(title, termset)):
        snippet = t
    return Hit(docid=stored["docid"], kind=stored.get("kind", ""), obj_id=stored.get("obj_id"),
               score=float(score), title=title, snippet_html=snippet,
               title_html=highlight(title, termset, width=10_000))
