"""Load: 200 files dropped at once by four units while `yingjian watch` runs and searches keep
coming: every file archived, every search answered (the latency is measured in
bench/load_bench.py, never asserted here)."""
import pytest

from bench.load_bench import run

pytestmark = pytest.mark.slow


def test_two_hundred_files_at_once_while_searching(tmp_path):
    r = run(tmp_path / "ws", files=200, units=4, seed_files=40)
    print(f"\nload: {r['archived']} of {r['files']} archived, lost {r['lost']}, "
          f"searches {len(r['idle']) + len(r['busy'])}, failures {r['failures']}")
    assert r["lost"] == 0 and r["archived"] == 200
    assert r["failures"] == 0 and len(r["busy"]) > 0
    assert r["indexed"] == 200
