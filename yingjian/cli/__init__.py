"""The command line: `cli` is the one click group, `main` the console script. Importing the
modules below registers their commands on the group."""
from . import (accounts, archive, learning, log, readiness, search,  # noqa: F401  (registers commands)
               standard)
from . import db, notices, province  # noqa: F401  (db copy; due, notice, history; city, province)
from . import cluster  # noqa: F401  (worker, requeue)
from .base import Fail, cli, main

__all__ = ["Fail", "cli", "main"]
