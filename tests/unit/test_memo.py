"""core.memo: caches bounded in entries and bytes; one computation per key under concurrency."""

import threading
import time

import pytest

from core import memo


def make(max_entries=10, max_bytes=100):
    calls = []

    @memo.bounded(max_entries=max_entries, max_bytes=max_bytes, weigh=len)
    def f(n: int) -> str:
        calls.append(n)
        return "x" * n

    return f, calls


def test_bytes_bound_evicts_least_recently_used():
    f, calls = make(max_bytes=100)
    f(40), f(50), f(40)  # 40 used again: 50 is now the least recently used
    f(30)  # 120 bytes asked: 50 goes
    info = f.info()
    assert info["bytes"] == 70 and info["entries"] == 2
    f(40), f(30), f(50)
    assert calls == [40, 50, 30, 50]  # only the evicted one was computed again


def test_entries_bound():
    f, _ = make(max_entries=3, max_bytes=10**6)
    for n in range(10):
        f(n + 1)
    assert f.info()["entries"] == 3


def test_a_value_over_the_budget_is_returned_not_kept():
    f, calls = make(max_bytes=10)
    assert f(50) == "x" * 50 and f(50) == "x" * 50
    assert calls == [50, 50] and f.info()["entries"] == 0


def test_simultaneous_callers_compute_once():
    calls = []

    @memo.bounded(max_entries=4, max_bytes=10**6, weigh=lambda v: 1)
    def slow(k):
        calls.append(k)
        time.sleep(0.2)
        return k

    threads = [threading.Thread(target=slow, args=("a",)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == ["a"]


def test_exceptions_are_not_cached():
    calls = []

    @memo.bounded(max_entries=4, max_bytes=100, weigh=lambda v: 1)
    def bad(k):
        calls.append(k)
        raise ValueError(k)

    for _ in range(2):
        with pytest.raises(ValueError):
            bad(1)
    assert calls == [1, 1]


def test_ceiling_is_the_sum_of_budgets():
    before = memo.ceiling()
    make(max_bytes=1234)
    assert memo.ceiling() == before + 1234
