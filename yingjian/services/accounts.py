"""The accounts and their sessions, for both fronts: who may log in, as the office or as a unit;
every change goes to the audit trail (the accounts store records it)."""
from __future__ import annotations

from ..users import User


class Accounts:
    def __init__(self, users):
        self._users = users

    def all(self) -> list[User]:
        return self._users.all()

    def get(self, name: str) -> User | None:
        return self._users.get(name)

    def any(self) -> bool:
        return bool(self._users.all())

    def add(self, name: str, password: str, *, office: bool = False, unit: str | None = None,
            replace: bool = False, by: str | None = None) -> User:
        return self._users.add(name, password, office=office, unit=unit, replace=replace, by=by)

    def set_password(self, name: str, password: str, *, by: str | None = None) -> None:
        self._users.set_password(name, password, by=by)

    def remove(self, name: str, *, by: str | None = None) -> None:
        self._users.remove(name, by=by)

    def check(self, name: str, password: str) -> User | None:
        return self._users.check(name, password)

    def login(self, name: str, password: str, client: str) -> tuple[User, str]:
        return self._users.login(name, password, client)

    def session_user(self, token: str | None) -> User | None:
        return self._users.session_user(token)

    def logout(self, token: str | None, client: str | None = None) -> None:
        self._users.logout(token, client)

    def sessions_of(self, name: str) -> int:
        return self._users.sessions_of(name)
