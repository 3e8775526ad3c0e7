"""A fix candidate runs with the address space bounded (gradlab.fixes.memory): an edit that builds a giant array
fails as a candidate instead of taking the machine's memory, and the bound is lifted after it."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from gradlab.fixes.memory import bounded_memory

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the bound is read from Linux's /proc")


def test_an_allocation_beyond_the_headroom_raises_memory_error_inside_the_block_and_the_limit_is_restored_after():
    import resource

    before = resource.getrlimit(resource.RLIMIT_AS)
    with pytest.raises(MemoryError), bounded_memory(headroom_mb=256):
        np.empty(1 << 30, dtype=np.uint8)  # 1 GiB of address space, four times the headroom
    assert resource.getrlimit(resource.RLIMIT_AS) == before
    assert np.empty(1 << 30, dtype=np.uint8).nbytes == 1 << 30  # outside the block, the same request succeeds


def test_an_allocation_within_the_headroom_succeeds_inside_the_block():
    with bounded_memory(headroom_mb=256):
        assert np.ones(1 << 20).sum() == 1 << 20  # 8 MB
