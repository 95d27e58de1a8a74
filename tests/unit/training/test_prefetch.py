"""read_ahead: the same items in order, a bounded number alive, errors and early exits."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from supertml.training.prefetch import read_ahead


class _Source:
    """Counts items produced and released; ``fail_at`` raises there."""

    def __init__(self, n: int, fail_at: int | None = None) -> None:
        self.n = n
        self.fail_at = fail_at
        self.produced = 0
        self.closed = False
        self.threads: set[str] = set()
        self.lock = threading.Lock()

    def __iter__(self) -> Iterator[int]:
        return self

    def __next__(self) -> int:
        self.threads.add(threading.current_thread().name)
        if self.produced == self.fail_at:
            raise OSError(f"unreadable chunk {self.produced}")
        if self.produced == self.n:
            raise StopIteration
        with self.lock:
            self.produced += 1
        return self.produced - 1

    def close(self) -> None:
        self.closed = True


def test_items_come_in_order_from_another_thread() -> None:
    source = _Source(7)
    assert list(read_ahead(source)) == list(range(7))
    assert source.threads == {"read-ahead"}
    assert source.closed


@pytest.mark.parametrize("ahead", [1, 3])
def test_never_more_than_ahead_items_beyond_the_one_held(ahead: int) -> None:
    source = _Source(20)
    for consumed, item in enumerate(read_ahead(source, ahead=ahead), start=1):
        # Give the thread every chance to run further ahead than allowed.
        threading.Event().wait(0.01)
        assert source.produced - consumed <= ahead, item


def test_a_failure_is_raised_at_its_item() -> None:
    items = read_ahead(_Source(5, fail_at=2))
    assert [next(items), next(items)] == [0, 1]
    with pytest.raises(OSError, match="unreadable chunk 2"):
        next(items)


def test_stopping_early_stops_the_thread_and_closes_the_source() -> None:
    source = _Source(1000)
    items = read_ahead(source, ahead=2)
    assert next(items) == 0
    items.close()  # type: ignore[attr-defined]
    assert source.closed
    assert source.produced <= 4
    assert not any(t.name == "read-ahead" for t in threading.enumerate())


def test_ahead_must_be_positive() -> None:
    with pytest.raises(ValueError, match="ahead must be >= 1"):
        list(read_ahead(iter([1]), ahead=0))
