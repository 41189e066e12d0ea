"""Server-rendered pages (Jinja2) and their static assets; the pages call the JSON API."""
