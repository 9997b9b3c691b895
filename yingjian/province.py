"""A province of cities in one deployment: each city is a workspace of its own (a folder with its
yingjian.toml: inbox root, units, standard, period, accounts, decisions, index), its stores in
a PostgreSQL schema of its own in the province's database; the province is a folder too (its
yingjian.toml has `[province] name` and the same `[cluster] database`), whose registry lists
the cities and keeps each city's readiness summary (yingjian/registry.py).

Isolation is by construction, not by a WHERE clause: a city's connections have only its
schema on their search_path, so every store's SQL is unchanged and a city's query cannot
name another city's rows; the web app of a city is that city's workspace alone. The objects
are one content-addressed store shared by hash, but a city only learns of an object through
its own catalog ("already archived" means archived by this city).

The province decides nothing for a city unless the city grants it: its page reads the
summaries the cities wrote, opens a city read-only (its check, its search), and pushes a
standard (each city keeps its own units per item). A city's office may grant its province the
right to decide (confirm, reject, assign) in its review queue, and revoke it (`province grant`
/ `province revoke`, or the city's own 待审核 page); the grant is the last grant or revoke in
the city's own audit trail, and a province account's decision is the city's decision, recorded
and audited in the city under the province user's name.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
import time
import unicodedata
from dataclasses import replace
from pathlib import Path

from checklist import DEFAULT_STANDARD
from checklist.loading import load as load_standard
from checklist.standard import dump
from foundation import closest
from foundation.pgstore import release_connections
from indexer import querying
from indexer.search import SAMPLE, VERIFY_ALL

from . import config as cfg
from . import messages
from .db_copy import copy_tables
from .config import ClusterOptions, Config, ProvinceOptions, WorkspaceError
from .registry import ProvinceError
from .report.province import write_province_xlsx
from .stores import Stores
from .workspace import Workspace, init

_SEARCHERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="province-search")
MIN_SAMPLE = 20              # the fewest candidates a city samples when it estimates its total
SYNC_SECONDS = 5.0           # how often the province's search brings a city's index up to date
CITIES = "cities"            # the province folder's subfolder holding the cities' folders
_BAD_NAME = re.compile(r"[\\/:*?\"<>|\x00-\x1f]")


def _toml(s: str) -> str:
    return json.dumps(str(s), ensure_ascii=False)


def schema_of(name: str) -> str:
    """A city's schema: ASCII, stable, from its name."""
    return "city_" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:12]


def check_city_name(name: str) -> str:
    name = unicodedata.normalize("NFC", (name or "").strip())
    if not name or _BAD_NAME.search(name) or name in (".", ".."):
        raise ProvinceError("city_name_invalid", city=name)
    return name


# -- the province's folder ----------------------------------------------------------------------

def init_province(root: Path, name: str, database: str, standard: Path | None = None) -> Config:
    """Make a province's folder: yingjian.toml with `[province] name` and `[cluster] database`
    (the province's own accounts and registry in the database's public schema), the shared
    objects folder, the standard it distributes."""
    root = Path(root).resolve()
    if (root / cfg.CONFIG_NAME).exists():
        raise ProvinceError("province_exists", root=str(root))
    extra = (f"\n[province]\nname = {_toml(name)}\n\n[cluster]\ndatabase = {_toml(database)}\n"
             f'objects = "objects"\n')
    return init(root, standard, units=[cfg.Config.office], extra=extra)


def province_config(explicit: str | Path | None = None) -> Config:
    """The province's configuration: the folder given (or found as every command finds its
    workspace); a city's folder leads to its province."""
    config = cfg.load(cfg.find_workspace(explicit))
    if config.province.city and config.province.root:
        config = cfg.load(config.province.root)
    if not config.province.is_province:
        raise ProvinceError("not_a_province", root=str(config.root))
    if not config.cluster.database:
        raise ProvinceError("province_needs_database", root=str(config.root))
    return config


class Province:
    """A province's registry and, opened on demand and read only, its cities' workspaces."""

    def __init__(self, config: Config):
        self.config = config
        self.stores = Stores(config)
        self._cities: dict[str, Workspace] = {}
        self._lock = threading.Lock()
        self._synced_at: dict[str, float] = {}

    @classmethod
    def open(cls, explicit: str | Path | None = None) -> "Province":
        return cls(province_config(explicit))

    @property
    def registry(self):
        return self.stores.province

    @property
    def name(self) -> str:
        return self.config.province.name or ""

    def close(self) -> None:
        cities, self._cities = self._cities, {}
        for ws in cities.values():
            ws.close()
        self.stores.close()

    # -- cities ------------------------------------------------------------------------------

    def city_names(self) -> list[str]:
        return [c["name"] for c in self.registry.cities()]

    def resolve(self, name: str) -> dict:
        """A city as typed; a typo is an error naming the closest cities."""
        typed = unicodedata.normalize("NFC", (name or "").strip())
        found = self.registry.city(typed)
        if found is None:
            names = self.city_names()
            matches = [n for n in names if typed and (typed in n or n in typed)] or closest(typed, names)
            raise ProvinceError("city_unknown", city=name, closest=matches[:3])
        return found

    def city_root(self, name: str) -> Path:
        return Path(self.resolve(name)["root"])

    def city(self, name: str) -> Workspace:
        """A city's workspace, opened once and kept: the province's pages only read it (it
        decides nothing unless the city grants it); the province's site serves the city's own
        app on it too (yingjian/web/site.py)."""
        return self._open(self.resolve(name))

    def _open(self, found: dict) -> Workspace:
        with self._lock:
            ws = self._cities.get(found["name"])
            if ws is None:
                ws = self._cities[found["name"]] = Workspace.open(found["root"])
        return ws

    def add_city(self, name: str, inbox: Path, standard: Path | None = None) -> dict:
        """`yingjian city add`: register the city (its schema made), make its workspace under
        the province's `cities/` folder on the province's database and objects, and write its
        first summary."""
        name = check_city_name(name)
        inbox = Path(inbox).expanduser().resolve()
        if not inbox.is_dir():
            raise ProvinceError("city_inbox_missing", path=str(inbox))
        if self.registry.city(name) is not None:
            raise ProvinceError("city_exists", city=name)
        root = self.config.root / CITIES / name
        if (root / cfg.CONFIG_NAME).exists():
            raise ProvinceError("city_exists", city=name)
        schema = schema_of(name)
        self.registry.add_city(name, schema, str(root))
        try:
            init(root, standard or self.config.standard, inbox=str(inbox),
                 extra=self._city_toml(name, schema))
        except BaseException:
            self.registry.remove_city(name)
            shutil.rmtree(root, ignore_errors=True)
            raise
        _first_summary(root)
        return self.city_row(name)

    def _city_toml(self, name: str, schema: str) -> str:
        objects = self.config.objects
        return (f"\n[cluster]\ndatabase = {_toml(self.config.cluster.database)}\nschema = {_toml(schema)}\n"
                f"objects = {_toml(objects.as_posix())}\n\n"
                f"[province]\ncity = {_toml(name)}\nroot = {_toml(self.config.root.as_posix())}\n")

    def city_row(self, name: str) -> dict:
        found = self.resolve(name)
        summary = self.registry.summaries().get(found["name"], {})
        return _row(found, summary)

    def cities(self) -> list[dict]:
        """Every city with its summary (what `city list` and the 全省 page show): one read of
        the registry, no city's check run."""
        summaries = self.registry.summaries()
        return [_row(c, summaries.get(c["name"], {})) for c in self.registry.cities()]

    # -- the province's view across its cities -------------------------------------------------

    def overview(self, *, sort: str = "name", descending: bool = False, veto_only: bool = False,
                 query: str = "") -> list[dict]:
        """The 全省 page's rows: sorted by a summary field, filtered by name or by veto gaps."""
        rows = self.cities()
        if query:
            rows = [r for r in rows if query in r["name"]]
        if veto_only:
            rows = [r for r in rows if r["veto_gaps"]]
        key = sort if sort in SORT_KEYS else "name"
        rows.sort(key=lambda r: (r[key] is None, r[key] if r[key] is not None else 0, r["name"]),
                  reverse=descending)
        return rows

    def search(self, query: str, *, city: str | None = None, limit: int = 20) -> dict:
        """Search across the cities (or one): hits ranked together, each with its city, and
        how many each city has (the city facet).

        It costs about what one index of the same total size costs: the cities are read from
        the registry once and their workspaces kept open; each city's index is searched (four
        at once: the index's array work and the catalog's reads release the interpreter's
        lock; no snippets there) with its share of one index's checking against the text (a city checks all its
        candidates up to its share of VERIFY_ALL, estimates beyond it from its share of the
        sample, and checks its shown page in blocks of twice the page), so N cities do not
        check N times what one index would; and only the hits shown get a snippet, their texts
        read with one query per city."""
        rows = [self.resolve(city)] if city else self.registry.cities()
        cities = [(row["name"], self._synced(row)) for row in rows]
        share = {}
        if len(cities) > 1:
            share = {"verify_all": max(VERIFY_ALL // len(cities), limit),
                     "sample": max(SAMPLE // len(cities), MIN_SAMPLE), "step": 2 * limit}
        def one(c: tuple[str, Workspace]):
            try:
                return c[0], c[1].index.search(query, limit=limit, snippets=False, **share)
            finally:
                release_connections()      # the searcher's connection serves the next city
        found = list(_SEARCHERS.map(one, cities))
        hits, facet, total = [], {}, 0
        for name, res in found:
            facet[name] = res.total
            total += res.total
            for h in res.to_json()["hits"]:
                hits.append({**h, "city": name})
        hits.sort(key=lambda h: -(h.get("score") or 0))
        hits = hits[:limit]
        words = querying.literals(query)
        workspaces = dict(cities)
        shown: dict[str, list[str]] = {}
        for h in hits:
            shown.setdefault(h["city"], []).append(h["id"])
        texts = {name: workspaces[name].catalog.texts_of(shas) for name, shas in shown.items()}
        for h in hits:
            h["snippet"] = querying.snippet(texts[h["city"]].get(h["id"]) or h["name"], words)
        return {"query": query, "total": total, "estimated": any(res.estimated for _, res in found),
                "hits": hits, "facets": {"city": {k: v for k, v in facet.items() if v}}}

    def _synced(self, row: dict) -> Workspace:
        """A city's workspace (its registry row), its index brought up to the city's changes at
        most every few seconds (a search between two syncs searches what is there, as beside a
        watcher)."""
        ws = self._open(row)
        name = row["name"]
        now = time.monotonic()
        if now - self._synced_at.get(name, -SYNC_SECONDS) >= SYNC_SECONDS:
            ws.catch_up()
            self._synced_at[name] = now
        return ws

    def city_check(self, name: str) -> dict:
        """A city's check, read only."""
        return self.city(name).check()

    def city_view(self, name: str) -> dict:
        """What the province sees of one city: its summary row and its check, whether the city
        grants the province decisions, and (when it does) its review queue."""
        ws = self.city(name)
        grant = grant_of(ws)
        queue = ws.review(limit=REVIEW_SHOWN) if grant["granted"] else None
        return {"city": self.city_row(name), "check": self.city_check(name), "grant": grant,
                "queue": queue}

    def decide(self, city: str, refs: list[str], material: str, action: str, user: str, *,
               client: str | None = None) -> dict:
        """A province account's decision for a city (confirm, reject or assign files for a
        material): refused unless the city grants its province decisions; otherwise the city's
        own decision (its decisions store, its check, its audit trail), made under the
        province user's name, and the city's summary brought up to date."""
        if action not in PROVINCE_ACTIONS:
            raise ProvinceError("province_action_invalid", action=action)
        if self.stores.users.get(user) is None:
            raise ProvinceError("province_user_unknown", user=user, province=self.name)
        found = self.resolve(city)
        ws = self.city(found["name"])
        if not grant_of(ws)["granted"]:
            raise ProvinceError("province_not_granted", city=found["name"], province=self.name)
        who = messages.province_decider(user, self.name)
        shas = ws.decide_many(list(refs), material, action, who, client=client)
        ws.record_history()
        return {"city": found["name"], "action": action, "material": ws.resolve_material(material),
                "files": shas, "user": who}

    def report_xlsx(self, path: Path) -> Path:
        """The province's Excel report: a row per city, a sheet per city's summary."""
        return write_province_xlsx(self.name, self.cities(), path)

    def push_standard(self, source: Path, cities: list[str] | None = None) -> list[dict]:
        """`yingjian standard push`: the province's standard to these cities (all when none),
        each city keeping its own units per item (an item it already has keeps its units)."""
        new = load_standard(Path(source))            # checked before any city is touched
        names = [self.resolve(c)["name"] for c in cities] if cities else self.city_names()
        done = []
        for name in names:
            ws = self.city(name)
            path = ws.config.standard
            try:
                units = {it.code: it.units for top in load_standard(path).items for it in top.walk()}
            except Exception:
                units = {}
            std = load_standard(Path(source))
            kept = 0
            for top in std.items:
                for it in top.walk():
                    if it.code in units:
                        it.units = list(units[it.code])
                        kept += 1
            path.write_text(dump(std), encoding="utf-8")
            ws.close()
            self._cities.pop(name, None)
            ws = self.city(name)
            ws.record_history()
            done.append({"city": name, "standard": str(path), "items_kept_units": kept,
                         "title": new.title})
        return done

    def add_user(self, name: str, password: str) -> dict:
        """A province account (`user add --province`): in the province's own accounts, seeing
        the 全省 page and every city read only."""
        ws = Workspace(self.config)
        try:
            user = ws.users.add(name, password, office=True)
        finally:
            ws.close()
        return {"name": user.name, "province": self.name}

    # -- a city leaves with its data, or comes in --------------------------------------------

    def export_city(self, name: str, out: Path) -> dict:
        """`yingjian city export`: a single-machine workspace (SQLite, the city's objects, its
        standard, decisions and accounts) that yingjian opens without [cluster]."""
        found = self.resolve(name)
        src = self.city(found["name"])
        out = Path(out).resolve()
        if out.exists() and any(out.iterdir()):
            raise ProvinceError("city_export_exists", path=str(out))
        out.mkdir(parents=True, exist_ok=True)
        text = (src.config.root / cfg.CONFIG_NAME).read_text(encoding="utf-8")
        (out / cfg.CONFIG_NAME).write_text(_without_tables(text, ("cluster", "province")),
                                           encoding="utf-8")
        shutil.copyfile(src.config.standard, out / src.config.standard.name)
        alone = cfg.load(out)
        alone.archive.mkdir(parents=True, exist_ok=True)
        src.catch_up()
        objects = _copy_objects(src, alone.objects)
        result = copy_tables(src.config, alone)
        Workspace(alone).close()
        return {"city": found["name"], "folder": str(out), "objects": objects,
                "tables": result["tables"], "rows": result["rows"], "same": result["same"]}

    def import_city(self, folder: Path, name: str | None = None) -> dict:
        """`yingjian city import`: a single-machine workspace (an exported city, or a city's own
        PC) taken in as a city of the province: its records copied into its own schema, its
        objects into the shared store."""
        folder = Path(folder).resolve()
        if not (folder / cfg.CONFIG_NAME).is_file() or not (folder / "archive" / "catalog.sqlite").is_file():
            raise ProvinceError("city_not_exported", path=str(folder))
        source = cfg.load(folder)
        name = check_city_name(name or folder.name)
        if self.registry.city(name) is not None:
            raise ProvinceError("city_exists", city=name)
        root = self.config.root / CITIES / name
        schema = schema_of(name)
        text = _without_tables((folder / cfg.CONFIG_NAME).read_text(encoding="utf-8"), ("cluster", "province"))
        text = _set_key(text, "inbox", source.inbox.as_posix())
        text = _set_key(text, "standard", "standard.yaml")
        self.registry.add_city(name, schema, str(root))
        try:
            root.mkdir(parents=True)
            shutil.copyfile(source.standard, root / "standard.yaml")
            (root / cfg.CONFIG_NAME).write_text(text + self._city_toml(name, schema), encoding="utf-8")
            city = cfg.load(root)
            city.archive.mkdir(parents=True, exist_ok=True)
            ws = Workspace(source)
            try:
                objects = _copy_objects(ws, city.objects)
            finally:
                ws.close()
            result = copy_tables(replace(source, cluster=ClusterOptions(), province=ProvinceOptions()), city)
        except BaseException:
            self.registry.remove_city(name)
            shutil.rmtree(root, ignore_errors=True)
            raise
        _first_summary(root)
        return {"city": name, "folder": str(root), "objects": objects, "rows": result["rows"],
                "same": result["same"]}


PROVINCE_ACTIONS = ("confirm", "reject", "assign")     # what a granted province may decide
REVIEW_SHOWN = 50            # the suggestions of a granting city's queue the province's page shows
GRANT_ACTIONS = ("province_grant", "province_revoke")


def grant_of(ws: Workspace) -> dict:
    """Whether this city grants its province decisions: the last grant or revoke in its audit
    trail (none: not granted), with who recorded it and when."""
    last = ws.audit.last_of(GRANT_ACTIONS)
    return {"city": ws.config.province.city, "province": _province_name(ws.config),
            "granted": bool(last and last["action"] == "province_grant"),
            "by": last["user"] if last else None, "at": last["at"] if last else None}


def set_grant(ws: Workspace, granted: bool, user: str, *, client: str | None = None) -> dict:
    """A city's office grants (or revokes) its province the right to decide in its review
    queue; recorded in the city's audit trail (nothing is recorded when it is so already)."""
    if not ws.config.province.city:
        raise ProvinceError("grant_needs_city", root=str(ws.config.root))
    before = grant_of(ws)
    if before["granted"] != granted:
        ws.audit.record(GRANT_ACTIONS[0] if granted else GRANT_ACTIONS[1], user, client,
                        province=before["province"], city=ws.config.province.city)
    return {**grant_of(ws), "changed": before["granted"] != granted}


def change_grant(explicit: str | Path | None, province_root: str | Path | None, city: str | None,
                 granted: bool | None, user: str) -> dict:
    """`yingjian province grant|revoke|grants`: the city named (through its province), or the
    city whose folder this is; `granted` None only reads it."""
    root = resolve_city_root(province_root, city) if city else cfg.find_workspace(explicit)
    ws = Workspace.open(root)
    try:
        if granted is None:
            if not ws.config.province.city:
                raise ProvinceError("grant_needs_city", root=str(ws.config.root))
            return {**grant_of(ws), "changed": False}
        return set_grant(ws, granted, user)
    finally:
        ws.close()


def _province_name(config: Config) -> str | None:
    root = config.province.root
    if not root:
        return None
    try:
        return cfg.load(root).province.name
    except Exception:
        return None


SORT_KEYS = ("name", "score", "max_score", "veto_gaps", "complete", "open", "pending", "overdue",
             "last_upload", "trend_change")


def _row(city: dict, summary: dict) -> dict:
    return {"name": city["name"], "folder": city["root"], "schema": city["schema_name"],
            "added_at": city["added_at"], "score": summary.get("score"),
            "max_score": summary.get("max_score"), "veto_gaps": summary.get("veto_gaps", 0),
            "materials": summary.get("materials"), "complete": summary.get("complete"),
            "open": summary.get("open"), "pending": summary.get("pending"),
            "overdue": summary.get("overdue"), "last_upload": summary.get("last_upload"),
            "trend": summary.get("trend", []), "trend_change": summary.get("trend_change"),
            "updated_at": summary.get("at")}


def _without_tables(text: str, tables: tuple[str, ...]) -> str:
    """A yingjian.toml without these [tables] (the lines from their header to the next)."""
    out, skipping = [], False
    for line in text.splitlines():
        m = re.match(r"^\s*\[([^\]]+)\]", line)
        if m:
            skipping = m.group(1).strip() in tables
        if not skipping:
            out.append(line)
    return "\n".join(out).rstrip() + "\n"


def _set_key(text: str, key: str, value: str) -> str:
    return re.sub(rf"(?m)^{key}\s*=.*$", f"{key} = {_toml(value)}", text, count=1)


def _copy_objects(ws: Workspace, target: Path) -> int:
    """The objects this workspace's catalog knows (and only those: a shared store holds other
    cities' too), copied by hash into `target`."""
    n = 0
    for sha in ws.catalog.object_shas():
        src = ws.store.path(sha)
        if not src.is_file():
            continue
        dest = target / src.relative_to(ws.config.objects)
        if not dest.is_file():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
        n += 1
    return n


def resolve_city_root(explicit: str | Path | None, name: str) -> Path:
    """`--city NAME`: the city's folder, from the province found as a workspace is found."""
    province = Province.open(explicit)
    try:
        return province.city_root(name)
    finally:
        province.close()


def province_decide(explicit: str | Path | None, city: str, refs: list[str], material: str,
                    action: str, user: str) -> dict:
    """`yingjian province confirm|reject|assign`: a province account's decision for a city."""
    province = Province.open(explicit)
    try:
        return province.decide(city, refs, material, action, user)
    finally:
        province.close()


def add_province_user(explicit: str | Path | None, name: str, password: str) -> dict:
    config = cfg.load(cfg.find_workspace(explicit))
    if not config.province.is_province:
        raise ProvinceError("province_user_needs_province", root=str(config.root))
    province = Province(province_config(config.root))
    try:
        return province.add_user(name, password)
    finally:
        province.close()


def open_province(explicit: str | Path | None = None) -> Province:
    return Province.open(explicit)


__all__ = ["Province", "ProvinceError", "WorkspaceError", "init_province", "open_province",
           "resolve_city_root", "DEFAULT_STANDARD"]


def _first_summary(root: Path) -> None:
    """A new city's first row in the province's table: its workspace opened, caught up with
    its catalog, and its readiness kept (the province reads summaries, never checks a city)."""
    ws = Workspace.open(root)
    try:
        ws.catch_up()
        ws.record_history()
    finally:
        ws.close()
