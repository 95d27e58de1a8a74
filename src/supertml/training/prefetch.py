"""Read ahead in a background thread, so the device never waits for decompression.

Scoring a full-size cache alternates two kinds of work: reading and decompressing the next
chunk of images (host CPU, HDF5's gzip) and scoring the current one (device). Done in turn,
the device idles while the host decompresses; :func:`read_ahead` lets a thread produce the
next item while the caller consumes the current one.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Final, TypeVar, cast

__all__ = ["read_ahead"]

T = TypeVar("T")

_DONE: Final = object()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def read_ahead(items: Iterator[T], *, ahead: int = 1) -> Iterator[T]:
    """Yield ``items`` in order, a background thread producing up to ``ahead`` of them
    before the caller asks.

    At most ``ahead + 1`` items are alive at once (the one the caller holds and those read
    ahead), provided the caller lets go of each before asking for the next: a chunk of 1 GiB
    of images read one ahead costs 1 GiB more host memory, not more. An exception raised
    while producing an item is raised here, at that item. Closing the generator early stops
    the thread and closes ``items`` (its HDF5 file) in the thread that used it.
    """
    if ahead < 1:
        raise ValueError(f"ahead must be >= 1, got {ahead}")
    ready: queue.Queue[object] = queue.Queue()
    slots = threading.Semaphore(ahead + 1)
    stop = threading.Event()

    def produce() -> None:
        try:
            while True:
                slots.acquire()
                if stop.is_set():
                    return
                try:
                    item: object = next(items)
                except StopIteration:
                    ready.put(_DONE)
                    return
                ready.put(item)
                del item  # the queue and the caller hold it, not this thread
        except BaseException as error:
            ready.put(_Failure(error))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name="read-ahead", daemon=True)
    worker.start()
    first = True
    try:
        while True:
            if not first:
                slots.release()  # the caller is done with the previous item
            first = False
            item = ready.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield cast(T, item)
            del item
    finally:
        stop.set()
        slots.release()  # wake a producer waiting for a slot, so that it sees stop
        worker.join()
