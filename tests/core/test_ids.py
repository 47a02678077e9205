import os
import threading
import time
import uuid

from app.core.ids import new_uuid, ordered_uuid


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


class TestNewUuid:
    def test_is_a_version_4_uuid(self):
        value = new_uuid()
        assert value.version == 4
        assert value.variant == uuid.RFC_4122

    def test_threads_drawing_at_once_never_share_bits(self):
        drawn: list[list[uuid.UUID]] = [[] for _ in range(4)]

        def draw(into: list[uuid.UUID]) -> None:
            into.extend(new_uuid() for _ in range(5_000))

        threads = [threading.Thread(target=draw, args=(d,)) for d in drawn]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len({u for d in drawn for u in d}) == 20_000

    def test_a_forked_process_does_not_repeat_its_parents_bits(self):
        new_uuid()  # the parent holds a pool of bits
        read, write = os.pipe()
        child = os.fork()
        if child == 0:
            os.write(write, new_uuid().bytes + ordered_uuid().bytes)
            os._exit(0)
        os.close(write)
        os.waitpid(child, 0)
        got = os.read(read, 32)
        os.close(read)
        theirs = {uuid.UUID(bytes=got[:16]), uuid.UUID(bytes=got[16:])}
        ours = {new_uuid() for _ in range(600)} | {ordered_uuid() for _ in range(600)}
        assert len(theirs) == 2 and not theirs & ours
