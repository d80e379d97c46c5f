"""`screening serve`: the bureau's and the committee's web app and a JSON API, on the
project register.

`create_app(db_url, …)` (in `app.py`) builds the FastAPI application; pages are
server-rendered with Jinja2 (Chinese first, English on request) and htmx, vendored in
`static/`. Screening goes through `service.py`, the package's only door to the
screener; storage through the register (`screening.register`).
"""

from __future__ import annotations
