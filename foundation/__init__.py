"""What every layer may stand on, and nothing of any layer: the base of the SQLite stores
(`sqlstore`: connections per thread, transactions and batches, migrations), the stores' errors,
the catalog's clock (`now_iso`) and the "did you mean" of every name a person types
(`closest`), and a small file replaced whole (`replace_text`). `archive`, `indexer`, `checklist`
and `yingjian` import it; it imports none of them."""
from __future__ import annotations

import difflib
import os
import time
import uuid
from datetime import datetime, timezone

_now = [0, ""]


def now_iso() -> str:
    """The local time to the second, as ISO 8601. Made once a second: a batch records hundreds
    of files a second, and asking the time zone is slower than recording one."""
    t = int(time.time())
    if _now[0] != t:
        _now[:] = [t, datetime.fromtimestamp(t, timezone.utc).astimezone().isoformat(
            timespec="seconds")]
    return _now[1]


def closest(name: str, choices, n: int = 3) -> list[str]:
    """The names among `choices` nearest to a mistyped `name`: those containing it or contained
    in it first (人武 → 人武部), then the most alike."""
    choices = list(dict.fromkeys(choices))
    near = sorted((c for c in choices if name and (name in c or c in name)),
                  key=lambda c: abs(len(c) - len(name)))
    for c in difflib.get_close_matches(name, choices, n, 0.5):
        if c not in near:
            near.append(c)
    return near[:n]


def replace_text(path, text: str, encoding: str = "utf-8") -> None:
    """Write a small file whole: written aside (a name of this writer's own, so that processes
    writing it at once never share one), then renamed over. A reader, or the file after a
    power cut, has the old content or the new, never an empty or half-written one."""
    tmp = f"{path}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp"
    try:
        with open(tmp, "w", encoding=encoding) as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
