"""The web UI: server-rendered pages (Jinja2 + htmx) over the services, beside ``api``.

``sounding.ui.app.install(app)`` mounts it on the API's FastAPI app: the pages at ``/``,
their static files at ``/static/ui``. Each page family is one module of routes
(``ui/<family>.py``) listed once in :data:`sounding.ui.app.PAGES`; templates live in
``ui/templates``, static files (ours and the vendored, pinned third-party ones with their
manifests) in ``ui/static``. Pages call the services directly, never the HTTP API.
"""
