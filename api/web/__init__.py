"""The web view under `/ui`: server-rendered pages (Jinja2, no JavaScript) and the PDF made from
the same HTML."""
