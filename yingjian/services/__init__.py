"""The application's services: what the two fronts (the command line, the web app) may call.
Each is built from one workspace and reaches its stores through the workspace's `Stores`; the
fronts only parse, call and present, and never reach a store themselves
(`tests/test_services.py` reads their source to keep it so).

- `Files`: the archive's files as records, a file's page, its content, thumbnail and page
  images, the problems and the office's notes on them (this module's `files.py`);
- `Accounts`: the accounts and sessions (`accounts.py`);
- `Activity`: the audit trail, the due dates and the notices sent, as read back (`activity.py`);
- readiness, review, decisions, search, uploads, learning and notices: the workspace's own
  methods (`yingjian/workspace.py`) and `yingjian/notices.py`, which keep the index in step
  themselves after every change.
"""
from .accounts import Accounts
from .activity import Activity
from .files import FileDetail, FilePage, Files, ProblemRow

__all__ = ["Accounts", "Activity", "FileDetail", "FilePage", "Files", "ProblemRow"]
