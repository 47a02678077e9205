import time
import uuid

from app.core.ids import ordered_uuid


class TestOrderedUuid:
    def test_is_a_version_7_uuid(self):
        value = ordered_uuid()
        assert value.version == 7
        assert value.variant == uuid.RFC_4122

    def test_later_ids_sort_after_earlier_ones(self):
        earlier = [ordered_uuid() for _ in range(100)]
        time.sleep(0.002)
        later = [ordered_uuid() for _ in range(100)]
        assert max(earlier) < min(later)

    def test_carries_the_time_it_was_made(self):
        before = time.time_ns() // 1_000_000
        stamp = ordered_uuid().int >> 80
        assert before <= stamp <= time.time_ns() // 1_000_000

    def test_ids_made_in_the_same_millisecond_differ(self):
        assert len({ordered_uuid() for _ in range(10_000)}) == 10_000
