"""The central service: FastAPI + SQLAlchemy, served by uvicorn; SQLite by default, PostgreSQL by URL.

`create_app(settings)` (in `app.py`) builds it; `fieldapp-server serve|admin` (in `cli.py`) runs it.
"""
