"""PDF rendering (WeasyPrint) with resource fetching locked down: a document may embed only what its HTML
itself carries. Reports and breach-notice letters both render through `html_to_pdf`."""

from __future__ import annotations

from typing import Any

from weasyprint.urls import URLFetcher


class RemoteFetchRefused(ValueError):
    """A stylesheet, image or font named a URL other than an inline data: URL."""


class LocalOnlyFetcher(URLFetcher):  # type: ignore[misc]  # weasyprint ships no type hints
    """Refuses every URL but `data:` (no http(s), no file:, no ftp): nothing is fetched while rendering, so a
    value that slipped into the HTML cannot make the renderer call out or read local files."""

    def fetch(self, url: str, headers: Any = None) -> Any:
        if not url.lower().startswith("data:"):
            raise RemoteFetchRefused(f"refused to fetch a {url.split(':', 1)[0]}: URL while rendering a PDF")
        return super().fetch(url, headers)


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(string=html, base_url=None, url_fetcher=LocalOnlyFetcher()).write_pdf()
    return pdf
