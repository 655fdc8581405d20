"""The LRU map behind the loaded-model and prediction caches."""

import threading

import pytest

from mlapi.lru import LRUCache


def filled(capacity: int, *keys) -> LRUCache:
    cache = LRUCache(capacity)
    for key in keys:
        cache.put(key, f"value of {key}")
    return cache


def test_stored_value_is_returned():
    assert filled(2, "a").get("a") == "value of a"


@pytest.mark.parametrize("default", [None, "fallback", 0])
def test_missing_key_gives_the_default(default):
    assert filled(2, "a").get("b", default) == default


def test_stored_none_is_not_mistaken_for_missing():
    cache = LRUCache(2)
    cache.put("a", None)

    assert cache.get("a", "missing") is None
    assert "a" in cache


def test_least_recently_used_entry_is_evicted_first():
    cache = filled(2, "a", "b", "c")

    assert "a" not in cache
    assert ("b" in cache, "c" in cache) == (True, True)
    assert len(cache) == 2


def test_reading_an_entry_keeps_it():
    cache = filled(2, "a", "b")
    cache.get("a")

    cache.put("c", "value of c")

    assert ("a" in cache, "b" in cache) == (True, False)


def test_rewriting_an_entry_updates_it_without_growing():
    cache = filled(2, "a", "b")

    cache.put("a", "new")
    cache.put("c", "value of c")

    assert cache.get("a") == "new"
    assert "b" not in cache
    assert len(cache) == 2


def test_zero_capacity_stores_nothing():
    cache = filled(0, "a")

    assert len(cache) == 0
    assert cache.get("a") is None


def test_negative_capacity_is_refused():
    with pytest.raises(ValueError, match="capacity"):
        LRUCache(-1)


def test_discard_where_drops_matching_keys_and_counts_them():
    cache = filled(10, (1, "x"), (1, "y"), (2, "x"))

    dropped = cache.discard_where(lambda key: key[0] == 1)

    assert dropped == 2
    assert list(filter(cache.__contains__, [(1, "x"), (1, "y"), (2, "x")])) == [(2, "x")]


def test_concurrent_writers_keep_the_cache_at_capacity():
    cache = LRUCache(50)
    start = threading.Barrier(8)

    def write(worker: int) -> None:
        start.wait()
        for i in range(2_000):
            cache.put((worker, i), i)
            cache.get((worker, i - 1))

    threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(cache) == 50
