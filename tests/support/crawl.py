"""A small same-site crawler: the links and forms a visitor can reach from a start page."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit


@dataclass
class Form:
    """One HTML form: where it posts and its fields (name → default value, type)."""

    page: str
    action: str
    method: str
    fields: dict[str, tuple[str, str]] = field(default_factory=dict)

    def visible_fields(self) -> list[str]:
        """Fields a person types or chooses in (not hidden, not buttons)."""
        return [name for name, (_, kind) in self.fields.items()
                if kind not in ("hidden", "submit", "button", "image", "reset")]


class _PageParser(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__()
        self.page = page
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if tag == "a" and values.get("href"):
            self.links.append(urljoin(self.page, values["href"]))
        elif tag == "form":
            self._form = Form(page=self.page, action=urljoin(self.page, values.get("action") or
                                                             self.page),
                              method=(values.get("method") or "get").lower())
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "textarea") and values.get("name"):
            kind = values.get("type", "text").lower() if tag == "input" else "textarea"
            if kind in ("checkbox", "radio") and values["name"] in self._form.fields:
                return
            self._form.fields[values["name"]] = (values.get("value", "on" if kind in (
                "checkbox", "radio") else ""), kind)
        elif self._form is not None and tag == "select" and values.get("name"):
            self._select = values["name"]
            self._form.fields[self._select] = ("", "select")
        elif self._form is not None and tag == "option" and self._select:
            current, kind = self._form.fields[self._select]
            if not current:
                self._form.fields[self._select] = (values.get("value", ""), kind)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def parse_page(url: str, html: str) -> tuple[list[str], list[Form]]:
    """Links and forms of one page."""
    parser = _PageParser(url)
    parser.feed(html)
    return parser.links, parser.forms


def crawl(get, start: str, limit: int = 60) -> tuple[list[str], list[Form]]:  # noqa: ANN001
    """Visit same-site pages breadth-first from ``start`` with ``get(path) -> response``.

    Returns the pages visited and every distinct form (by action and fields) found on them.
    """
    origin = urlsplit(start)
    queue, seen, pages = [start], {start}, []
    forms: dict[tuple[str, str, tuple[str, ...]], Form] = {}
    while queue and len(pages) < limit:
        url = queue.pop(0)
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        response = get(path)
        if response.status_code != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        pages.append(url)
        links, found = parse_page(url, response.text)
        for form in found:
            forms.setdefault((form.method, urlsplit(form.action).path, tuple(sorted(form.fields))),
                             form)
        for link in links:
            target = urlsplit(link)
            if (target.netloc in ("", origin.netloc) and not target.path.startswith("/static")
                    and "lang=" not in target.query and "logout" not in target.path
                    and "sign-out" not in target.path):
                clean = link.split("#")[0]
                if clean not in seen:
                    seen.add(clean)
                    queue.append(clean)
    return pages, list(forms.values())
