"""The guarded worker pool (archive/guard.py): a job that panics, aborts, runs out of memory,
time or CPU, or sends back too much ends with its failure, the worker is replaced, and the
next job runs as if nothing happened. Real spawned processes, real limits."""
import os
import sys
import time
from pathlib import Path

import pytest

from archive import reasons
from archive.guard import Failure, GuardedPool, JobLimits, failure_reason
from archive.limits import Limits
from tests import hostile

POSIX = sys.platform != "win32"


def echo(x):
    return x


def sleep_then(seconds, x):
    time.sleep(seconds)
    return x


def spin():
    while True:
        pass


def allocate(megabytes):
    return len(bytearray(megabytes * 1024 * 1024))


def abort():
    os.abort()


def big_answer(megabytes):
    return b"x" * (megabytes * 1024 * 1024)


def panic_reading(path):
    from python_calamine import CalamineWorkbook
    wb = CalamineWorkbook.from_path(str(path))
    return [list(wb.get_sheet_by_name(n).iter_rows()) for n in wb.sheet_names]


@pytest.fixture(scope="module")
def pool():
    with GuardedPool(1) as p:
        yield p


def test_a_job_that_takes_too_long_is_killed_and_the_next_runs(pool):
    done = pool.run(sleep_then, (60, 1), JobLimits(wall_seconds=1))
    assert done.failure is Failure.TIMEOUT
    assert pool.run(echo, ("之后",), JobLimits()).value == "之后"


@pytest.mark.skipif(not POSIX, reason="CPU time is limited through resource on POSIX")
def test_a_job_that_spins_past_its_cpu_time_is_stopped(pool):
    done = pool.run(spin, (), JobLimits(wall_seconds=60, cpu_seconds=1))
    assert done.failure is Failure.TIMEOUT and done.detail == "cpu"
    assert pool.run(echo, (2,), JobLimits()).value == 2


def test_a_job_that_allocates_past_its_memory_fails_as_memory(pool):
    done = pool.run(allocate, (1500,), JobLimits(memory_bytes=1024 * 1024 * 1024))
    assert done.failure is Failure.MEMORY
    assert pool.run(allocate, (10,), JobLimits()).value == 10 * 1024 * 1024


def test_an_aborting_job_is_a_crash(pool):
    done = pool.run(abort, (), JobLimits())
    assert done.failure is Failure.CRASHED and "SIGABRT" in done.detail
    assert pool.run(echo, (3,), JobLimits()).value == 3


def test_a_native_panic_is_caught_in_the_worker(pool, tmp_path):
    bad = hostile.xls_sheet_offset_past_end(tmp_path / "坏.xls")
    done = pool.run(panic_reading, (bad,), JobLimits())
    assert (done.failure, done.detail) == (Failure.CRASHED, "PanicException")
    assert pool.run(echo, (4,), JobLimits()).value == 4


def test_an_answer_larger_than_allowed_is_refused(pool):
    done = pool.run(big_answer, (3,), JobLimits(result_bytes=1024 * 1024))
    assert done.failure is Failure.TOO_LARGE and int(done.detail) > 3 * 1024 * 1024


def test_jobs_spread_over_workers_and_come_back_all():
    with GuardedPool(2) as p:
        jobs = [p.submit(sleep_then, (0.2, i), JobLimits(), tag=i) for i in range(6)]
        got = []
        deadline = time.monotonic() + 60
        while len(got) < 6 and time.monotonic() < deadline:
            got += p.collect(timeout=1)
        assert sorted(j.done.value for j in got) == list(range(6))
        assert all(j.tag == j.done.value for j in jobs)


def test_failures_become_the_reasons_a_clerk_reads():
    from archive.guard import Done
    from yingjian.messages import reason
    lim = Limits()
    said = {f: reason(failure_reason(Done(failure=f, detail="123"), "xls", lim)) for f in Failure}
    assert "程序异常退出" in said[Failure.CRASHED] and "XLS" in said[Failure.CRASHED]
    assert "超出内存限制" in said[Failure.MEMORY]
    assert "读取超时" in said[Failure.TIMEOUT] and "300 秒" in said[Failure.TIMEOUT]
    assert "过大" in said[Failure.TOO_LARGE]
    assert failure_reason(Done(failure=Failure.TIMEOUT), "ofd", lim).code == reasons.READ_TIMEOUT.code


def test_the_aborting_xls_is_out_of_memory_and_the_panicking_one_a_crash(tmp_path):
    from archive.guard import read_object
    lim = Limits()
    huge = read_object(hostile.xls_huge_dimensions(tmp_path / "大.xls"), "xls", lim)
    bad = read_object(hostile.xls_sheet_offset_past_end(tmp_path / "坏.xls"), "xls", lim)
    good = read_object(Path(hostile.FORMATS / "ledger_excel97.xls"), "xls", lim)
    assert huge.problem.code == "read_out_of_memory"
    assert bad.problem.code == "read_crashed"
    assert good.problem is None and good.text
