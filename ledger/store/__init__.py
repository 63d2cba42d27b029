"""The store adapters: SQLite and PostgreSQL recorders behind one set of ports.

`opening.open_store` opens one; `location` parses its URL; `ports` is what the application and
the read side ask of either back end; `scopes` derives the scope index's rows.
"""
