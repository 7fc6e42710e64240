"""Synthetic embeddings with the structure real ones have, deterministic from a seed.

There is no embedding model on these machines, and uniform random vectors make recall
meaningless (in 3072 dimensions every pair is nearly orthogonal: every neighbour is as good as
any other). These vectors imitate what a campaign's corpus looks like to an embedding model:

- topics shared by the whole city (water supply, roads, elections, …), each with subtopics;
- every ward writes about a few of those topics (Zipf-weighted), with a ward-specific direction
  (its localities and names), and wards differ in size (a few wards produce most news);
- a share of near-duplicates (the same story syndicated, re-chunked): another chunk plus a
  little noise;
- unit length, as OpenAI's models return them.

Cosine similarity of two chunks of one subtopic is about 0.5-0.7, of one topic about 0.3-0.5,
of unrelated chunks about 0 - the ranges real models show for related and unrelated text.
Queries are drawn from the same process (new noise), half of them about one ward.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

WARD_IDS = tuple(f"GHMC-{n:03d}" for n in range(1, 151))


@dataclass(frozen=True)
class Corpus:
    """The generator's shared structure: topic and subtopic centres, ward directions and topics."""

    dims: int
    topics: np.ndarray  # (T, d)
    subtopics: np.ndarray  # (T, S, d)
    ward_dirs: np.ndarray  # (150, d)
    ward_topics: np.ndarray  # (150, K) topic indices
    ward_weights: np.ndarray  # (150,) share of the corpus
    seed: int


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def corpus(
    dims: int = 3072,
    seed: int = 11,
    topics: int = 60,
    subtopics: int = 8,
    per_ward: int = 6,
    big_ward_share: float | None = None,
) -> Corpus:
    """The topic structure of a synthetic city (deterministic from `seed`).

    `big_ward_share` gives the largest ward that share of the chunks (e.g. 0.2: one ward writes a
    fifth of the corpus, the others keep their proportions); None keeps the Zipf-like sizes, where
    the largest ward holds about 6 %."""
    rng = np.random.default_rng(seed)
    t = _unit(rng.standard_normal((topics, dims)))
    s = _unit(rng.standard_normal((topics, subtopics, dims)))
    w = _unit(rng.standard_normal((len(WARD_IDS), dims)))
    ward_topics = np.stack([rng.choice(topics, size=per_ward, replace=False) for _ in WARD_IDS])
    sizes = 1.0 / np.arange(1, len(WARD_IDS) + 1) ** 0.6  # a few large wards, a long tail
    rng.shuffle(sizes)
    weights = sizes / sizes.sum()
    if big_ward_share is not None:
        if not 0 < big_ward_share < 1:
            raise ValueError(f"big_ward_share must be between 0 and 1, not {big_ward_share}")
        big = int(np.argmax(weights))
        weights = weights * (1 - big_ward_share) / (1 - weights[big])
        weights[big] = big_ward_share
    return Corpus(dims, t, s, w, ward_topics, weights, seed)


def _draw(c: Corpus, rng: np.random.Generator, n: int, wards: np.ndarray) -> np.ndarray:
    k = c.ward_topics.shape[1]
    zipf = 1.0 / np.arange(1, k + 1)
    slot = rng.choice(k, size=n, p=zipf / zipf.sum())
    topic = c.ward_topics[wards, slot]
    sub = rng.integers(0, c.subtopics.shape[1], size=n)
    noise = rng.standard_normal((n, c.dims)).astype(np.float32) / np.sqrt(c.dims)
    v = c.topics[topic] * 1.0 + c.subtopics[topic, sub] * 0.8 + c.ward_dirs[wards] * 0.5 + noise * 0.9
    return _unit(v)


def chunks(
    c: Corpus, n: int, batch: int = 2000, duplicate_share: float = 0.05
) -> Iterator[tuple[int, str, np.ndarray]]:
    """n chunks as (index, ward_id, unit vector), in batches; deterministic from the corpus seed."""
    rng = np.random.default_rng(c.seed + 1)
    recent: np.ndarray | None = None
    recent_wards: np.ndarray | None = None
    done = 0
    while done < n:
        m = min(batch, n - done)
        wards = rng.choice(len(WARD_IDS), size=m, p=c.ward_weights)
        v = _draw(c, rng, m, wards)
        if recent is not None and duplicate_share > 0:
            dup = rng.random(m) < duplicate_share
            src = rng.integers(0, len(recent), size=int(dup.sum()))
            jitter = rng.standard_normal((int(dup.sum()), c.dims)).astype(np.float32) / np.sqrt(c.dims)
            v[dup] = _unit(recent[src] + 0.08 * jitter)
            assert recent_wards is not None
            wards[dup] = recent_wards[src]
        for i in range(m):
            yield done + i, WARD_IDS[wards[i]], v[i]
        recent, recent_wards = v, wards
        done += m


def queries(c: Corpus, n: int) -> list[tuple[str, np.ndarray]]:
    """n query vectors with the ward each is about (queries are new draws, not stored chunks)."""
    rng = np.random.default_rng(c.seed + 2)
    wards = rng.choice(len(WARD_IDS), size=n, p=c.ward_weights)
    v = _draw(c, rng, n, wards)
    return [(WARD_IDS[wards[i]], v[i]) for i in range(n)]


def queries_about(c: Corpus, ward_id: str, n: int, seed_offset: int = 3) -> list[tuple[str, np.ndarray]]:
    """n query vectors all about one ward (e.g. to time a small and a large ward apart)."""
    rng = np.random.default_rng(c.seed + seed_offset + WARD_IDS.index(ward_id))
    v = _draw(c, rng, n, np.full(n, WARD_IDS.index(ward_id)))
    return [(ward_id, v[i]) for i in range(n)]


def vector_text(v: np.ndarray) -> str:
    """pgvector's text form of a vector ("[0.1,0.2]")."""
    return "[" + ",".join(f"{x:.7g}" for x in v.tolist()) + "]"
