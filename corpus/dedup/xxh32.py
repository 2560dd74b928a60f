"""xxHash32 of many byte strings at once, in numpy: the token hash of :mod:`.shingles`, vectorized.

``xxh32(buf, starts, lengths)[k]`` equals ``xxhash.xxh32_intdigest(buf[starts[k]:
starts[k] + lengths[k]])`` (seed 0) for every ``k``: the same algorithm, run for
all strings together instead of one Python call per string. Hashing tokens one
call (or one dictionary lookup) at a time was the largest cost of dedup; here
the cost per token is a few numpy element operations.

The strings are grouped by length (one stable sort of the lengths), so every
group runs the same straight-line steps without masks: a token of length ``L``
under 16 bytes starts from the same value and takes ``L // 4`` word steps and
``L % 4`` byte steps, as xxh32's tail does. The rare strings of 16 bytes or
more first run xxh32's four-lane stripes, masked, and then the same tail. The
avalanche is common to all.
"""

from __future__ import annotations

import numpy as np

_P1, _P2, _P3, _P4, _P5 = (np.uint32(p) for p in (0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D, 0x27D4EB2F, 0x165667B1))
# The lanes' start values for seed 0: P1 + P2, P2, 0, -P1 (mod 2^32).
_LANES = tuple(np.uint32(v & 0xFFFFFFFF) for v in (0x9E3779B1 + 0x85EBCA77, 0x85EBCA77, 0, -0x9E3779B1))


def _rotl(x: np.ndarray, r: int) -> np.ndarray:
    return (x << np.uint32(r)) | (x >> np.uint32(32 - r))


def _words(buf: np.ndarray) -> np.ndarray:
    """A little-endian uint32 view of ``buf`` starting at every byte (unaligned reads)."""
    return np.ndarray(shape=(max(len(buf) - 3, 0),), dtype="<u4", buffer=buf, strides=(1,))


def xxh32(buf: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """uint32 xxh32 (seed 0) of ``buf[starts[k] : starts[k] + lengths[k]]`` for every ``k``.

    ``buf`` is a uint8 array; every string must lie inside it.

    >>> import xxhash
    >>> data = np.frombuffer(b"cafe kaba officers-of-the-metropolitan", dtype=np.uint8)
    >>> got = xxh32(data, np.array([0, 5, 10]), np.array([4, 4, 28]))
    >>> got.tolist() == [xxhash.xxh32_intdigest(w) for w in (b"cafe", b"kaba", b"officers-of-the-metropolitan")]
    True
    """
    buf = np.ascontiguousarray(buf, dtype=np.uint8)
    starts = np.asarray(starts, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64)
    words = _words(buf)
    # Sorted by length (16 and more in one group), so each length under 16 is one slice.
    key = np.minimum(lengths, 16).astype(np.uint8)
    order = np.argsort(key, kind="stable")
    bounds = np.searchsorted(key[order], np.arange(18, dtype=np.uint8))
    at_all = starts[order]
    h = np.empty(len(starts), dtype=np.uint32)
    for length in range(16):
        lo, hi = bounds[length], bounds[length + 1]
        if lo < hi:
            h[lo:hi] = _tail(_P5 + np.uint32(length), at_all[lo:hi], length, buf, words)
    lo = bounds[16]
    if lo < len(h):
        h[lo:] = _long(at_all[lo:], lengths[order[lo:]], buf, words)
    h ^= h >> np.uint32(15)
    h *= _P2
    h ^= h >> np.uint32(13)
    h *= _P3
    h ^= h >> np.uint32(16)
    out = np.empty_like(h)
    out[order] = h
    return out


def _tail(acc: np.ndarray | np.uint32, at: np.ndarray, length: int, buf: np.ndarray, words: np.ndarray) -> np.ndarray:
    """xxh32's last steps over ``length`` (< 16) bytes at ``at``: 4-byte words, then single bytes."""
    acc = np.broadcast_to(acc, at.shape)
    for k in range(length // 4):
        acc = _rotl(acc + words[at + 4 * k] * _P3, 17) * _P4
    for k in range(4 * (length // 4), length):
        acc = _rotl(acc + buf[at + k].astype(np.uint32) * _P5, 11) * _P1
    return acc


def _long(at: np.ndarray, lengths: np.ndarray, buf: np.ndarray, words: np.ndarray) -> np.ndarray:
    """xxh32 before the avalanche of strings of 16 bytes or more: the stripes, then the tail."""
    p, left = at.copy(), lengths.copy()
    lanes = [np.full(len(at), v, dtype=np.uint32) for v in _LANES]
    active = np.arange(len(at))
    while len(active):  # four lanes over 16 bytes, while 16 bytes or more remain
        pa = p[active]
        for k, lane in enumerate(lanes):
            lane[active] = _rotl(lane[active] + words[pa + 4 * k] * _P2, 13) * _P1
        p[active] += 16
        left[active] -= 16
        active = active[left[active] >= 16]
    h = _rotl(lanes[0], 1) + _rotl(lanes[1], 7) + _rotl(lanes[2], 12) + _rotl(lanes[3], 18) + lengths.astype(np.uint32)
    for length in range(16):
        rows = np.flatnonzero(left == length)
        if len(rows):
            h[rows] = _tail(h[rows], p[rows], length, buf, words)
    return h
