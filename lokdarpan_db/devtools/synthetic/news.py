"""Realistic synthetic political posts about Hyderabad's civic issues, deterministic for a seed.

The demo loads a few thousand posts and the search benchmark a million; both come from here so
that what the benchmark measures is what the demo shows. Nothing here is real news: texts are
assembled from templates about GHMC-area issues (roads, water supply, drainage, flooding, the
Musi riverfront, property tax, welfare schemes, power cuts, ...), each post is placed in a real
GHMC ward, carries one of the seed's parties and emotions, and is dated within the last `days`
days before `now`.

Term frequencies are shaped like real feeds: a few words are everywhere (COMMON_TERMS, each in
roughly 15-20 % of posts) and most are rare (RARE_TERMS, each well under 1 %).
"""

from __future__ import annotations

import bisect
import hashlib
import random
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta, timezone
from typing import NamedTuple

import psycopg

from ... import facts

IST = timezone(timedelta(hours=5, minutes=30))
CHUNK = 10_000  # posts per reseed of the generator; slices of whole chunks are independent

# Search terms the benchmark uses. Measured on 1M posts (seed 7): each common term matches 16.9-18.6 %
# of posts, each rare one 0.2-0.4 %; the benchmark reports the shares it finds.
COMMON_TERMS: tuple[str, ...] = ("water", "road", "residents", "ghmc", "officials")
RARE_TERMS: tuple[str, ...] = ("dengue", "encroachment", "footpath", "borewell", "stray dogs", "flyover")

_PARTY_NAMES: dict[str, tuple[str, ...]] = {
    "BJP": ("BJP", "the BJP", "BJP leaders"),
    "INC": ("Congress", "the Congress government", "INC leaders"),
    "BRS": ("BRS", "the BRS", "BRS leaders"),
    "AIMIM": ("AIMIM", "the MIM", "AIMIM leaders"),
    "Independent": ("an independent candidate", "independent corporator"),
    "Other": ("the BSP", "CPI(M) activists", "Jana Sena"),
}
# The parties posts are about: those of the database's set (facts.POST_PARTIES) the generator names.
PARTIES: tuple[str, ...] = tuple(p for p in facts.POST_PARTIES if p in _PARTY_NAMES)
assert len(PARTIES) == len(_PARTY_NAMES), "every synthetic party must be one the database accepts"
_PARTY_WEIGHTS = (0.21, 0.24, 0.22, 0.1, 0.04, 0.03)  # remaining ~16 % of posts mention no party
EMOTIONS: tuple[str, ...] = ("negative", "neutral", "positive", "mixed")
_EMOTION_WEIGHTS = (0.45, 0.25, 0.2, 0.1)

PUBLICATIONS: tuple[tuple[str, str], ...] = (
    ("The Hindu", "the_hindu_hyd"),
    ("Deccan Chronicle", "deccanchronicle"),
    ("Telangana Today", "telanganatoday"),
    ("Siasat Daily", "siasatpost"),
    ("The Hans India", "thehansindiaweb"),
    ("Times of India Hyderabad", "toi_hyderabad"),
)

# Topic weights (share of posts whose main issue it is) and their templates by emotion.
# In templates "{w}" is the ward, "{n}" a number, "{d}" a duration.
_TOPIC_WEIGHTS: dict[str, float] = {
    "water": 0.11, "roads": 0.13, "drainage": 0.1, "flooding": 0.08, "metro": 0.07, "musi": 0.05,
    "property_tax": 0.06, "welfare": 0.1, "power": 0.07, "garbage": 0.06, "traffic": 0.05,
    "hydraa": 0.04, "streetlights": 0.06,
}  # fmt: skip
_TEMPLATE_TEXT = """
water/negative: Residents of {w} say drinking water supply is irregular for {d}; tankers come twice a week.
water/negative: Contaminated water flows from taps in {w}; HMWSSB ignored {n} complaints.
water/negative: No water in {w} for {d}, women queue at the public tap from 5 am.
water/negative: Low pressure water supply in {w} again; the promised pipeline repair never happened.
water/neutral: HMWSSB announces a 24-hour water supply interruption in {w} for Krishna phase III work.
water/neutral: Water board officials inspected the reservoir serving {w} on Tuesday.
water/neutral: HMWSSB lists {n} colonies in {w} for the free 20 kilolitre drinking water scheme.
water/positive: New water pipeline commissioned in {w}; daily supply for the first time in years.
water/positive: Water tanker bookings in {w} fall by half after the new reservoir opens.
water/mixed: Water supply in {w} has improved, but residents say the timings are unpredictable.
roads/negative: Potholes on the main road in {w} caused {n} accidents this month; commuters blame GHMC.
roads/negative: The road in {w} dug up for cable work {d} ago is still not relaid.
roads/negative: Two-wheeler riders skid on the broken road near the {w} bus stop every evening.
roads/neutral: GHMC takes up road relaying on {n} stretches in {w} under the maintenance programme.
roads/neutral: Traffic diversions on the {w} road for {d} while the stretch is widened.
roads/positive: The newly laid road in {w} is a relief for daily commuters after years of potholes.
roads/positive: White-topping of the main road in {w} finished ahead of schedule.
roads/mixed: Road widening in {w} eases traffic but shopkeepers lose parking space.
drainage/negative: Sewage overflows from a manhole in {w} for {d}; the stench is unbearable.
drainage/negative: Open drains in {w} are breeding mosquitoes and GHMC has not desilted them.
drainage/neutral: GHMC begins desilting of the storm water drain in {w} ahead of the monsoon.
drainage/neutral: Officials say the underground drainage work in {w} is {n} per cent complete.
drainage/positive: New underground drainage line in {w} ends years of sewage overflow.
drainage/mixed: Drainage work in {w} is finally moving, though the dug-up lanes make walking risky.
flooding/negative: Heavy rain floods low-lying colonies in {w}; {n} houses inundated overnight.
flooding/negative: Every monsoon {w} goes under water, and the nala widening is still on paper.
flooding/neutral: IMD forecasts heavy rain; GHMC monsoon emergency teams deployed in {w}.
flooding/neutral: Disaster response teams pumped out rain water from {n} cellars in {w}.
flooding/positive: The new nala retaining wall kept {w} dry during Sunday's downpour.
flooding/mixed: Flooding in {w} was less severe this year, but the nala still overflowed.
metro/negative: Metro phase II alignment will demolish {n} shops in {w}, traders protest.
metro/negative: Overcrowded metro trains at peak hour; commuters from {w} want more frequency.
metro/neutral: HMRL publishes the metro phase II route; the corridor passes through {w}.
metro/neutral: Metro Rail to run extra trains from {w} during the festival weekend.
metro/positive: The metro has cut the commute from {w} to HITEC City to {n} minutes.
metro/mixed: Metro connectivity helps {w}, but last-mile autos still overcharge.
musi/negative: Families along the Musi in {w} fear eviction under the riverfront project.
musi/negative: The Musi riverfront survey marked {n} houses in {w} for demolition without notice.
musi/neutral: Musi Riverfront Development Corporation holds a consultation in {w}.
musi/positive: Musi rejuvenation could turn the banks near {w} into public space, say planners.
musi/mixed: Musi riverfront plan promises a clean river but raises displacement worries in {w}.
property_tax/negative: Property tax notices in {w} demand arrears for {n} years, owners allege errors.
property_tax/neutral: GHMC extends the early bird property tax rebate; {w} collections cross Rs {n} lakh.
property_tax/neutral: One-time settlement for property tax dues announced; {w} has {n} defaulters.
property_tax/positive: Online property tax payment drive in {w} clears pending dues quickly.
property_tax/mixed: Property tax revision for {w} is modest, but trade licence fees go up.
welfare/negative: Beneficiaries in {w} still wait for 2BHK houses allotted {d} ago.
welfare/negative: Aasara pension not credited to {n} elderly in {w} for two months.
welfare/negative: Ration cards for new families in {w} pending since the last survey.
welfare/neutral: Praja Palana applications for Indiramma houses received at the {w} ward office.
welfare/neutral: Officials verify Gruha Jyothi free power eligibility in {w}; {n} households listed.
welfare/neutral: Mahalakshmi scheme: free bus travel for women sees heavy use on routes through {w}.
welfare/positive: Kalyana Lakshmi cheques distributed to {n} families in {w}.
welfare/positive: 2BHK housing keys handed over to beneficiaries from {w}.
welfare/mixed: Welfare camp in {w} draws crowds, but many return with papers unprocessed.
power/negative: Unannounced power cuts in {w} for {d}; the TGSPDCL helpline does not answer.
power/negative: A transformer blew up in {w} and the area was without power overnight.
power/neutral: TGSPDCL schedules power supply interruption in {w} for line maintenance on Saturday.
power/positive: New substation improves power supply in {w}; outages down sharply.
power/mixed: Power supply in {w} is steadier, but voltage still drops in the evening peak.
garbage/negative: Garbage not lifted in {w} for {d}; stray cattle scatter it across the road.
garbage/negative: Residents of {w} say the garbage transfer point has become a dump yard.
garbage/neutral: GHMC deploys {n} new Swachh auto tippers for door-to-door collection in {w}.
garbage/positive: Swachh Survekshan team praises waste segregation in {w}.
garbage/mixed: Garbage collection in {w} is regular now, though segregation at source is rare.
traffic/negative: Traffic jams at the {w} junction last over an hour every evening.
traffic/neutral: Traffic police announce new one-way rules around {w} market.
traffic/positive: Signal-free junction at {w} cuts waiting time for commuters.
traffic/mixed: The new U-turns in {w} ease signals but lengthen trips.
hydraa/negative: HYDRAA demolition drive near the lake in {w} leaves {n} families homeless.
hydraa/neutral: HYDRAA surveys lake full tank level boundaries in {w}.
hydraa/positive: HYDRAA reclaims lake land in {w} from builders.
hydraa/mixed: HYDRAA action in {w} wins support, but residents want notice before demolitions.
streetlights/negative: Street lights in {w} have not worked for {d}; women avoid walking home after dark.
streetlights/neutral: GHMC replaces {n} street lights in {w} with LED fittings.
streetlights/positive: Bright new LED street lights make the {w} lanes safer at night.
streetlights/mixed: Street lights restored in {w}, though the inner lanes are still dark.
"""


def _parse_templates(text: str) -> tuple[tuple[float, str, dict[str, tuple[str, ...]]], ...]:
    by_topic: dict[str, dict[str, list[str]]] = {}
    for line in text.strip().splitlines():
        key, template = line.split(": ", 1)
        topic, emotion = key.split("/")
        by_topic.setdefault(topic, {}).setdefault(emotion, []).append(template)
    return tuple(
        (_TOPIC_WEIGHTS[t], t, {e: tuple(ts) for e, ts in emotions.items()})
        for t, emotions in by_topic.items()
    )


# (weight, topic, {emotion: templates})
_TOPICS = _parse_templates(_TEMPLATE_TEXT)

# Rare events (each in well under 1 % of posts), appended as a second sentence.
_RARE: tuple[tuple[float, str], ...] = (
    (0.004, "Dengue cases rising in {w}; {n} patients admitted at Fever Hospital this week."),
    (0.003, "Encroachment on the lake bund in {w} reported to the revenue officials."),
    (0.003, "Shopkeepers have taken over the footpath in {w}, pedestrians walk on the road."),
    (0.002, "The borewell in {w} has dried up for the first time in a decade."),
    (0.003, "Stray dogs attacked a child in {w}; residents demand a sterilisation drive."),
    (0.004, "The flyover near {w} will be closed for {d} for expansion joint repairs."),
)

# The political sentence, by emotion; "{p}" is how the post names the party.
_POLITICS: dict[str, tuple[str, ...]] = {
    "negative": (
        "Locals blame {p} for the delay.",
        "{p} accuse the officials of neglecting {w}.",
        "Locals say {p} remember {w} only at election time.",
        "{p} staged a dharna at the zonal office, demanding action.",
    ),
    "neutral": (
        "{p} said the matter would be raised in the council meeting.",
        "The local corporator from {p} visited the area with officials.",
        "{p} submitted a representation to the zonal commissioner.",
    ),
    "positive": (
        "Residents thanked {p} for following up on the issue.",
        "{p} claimed credit for the work in {w}.",
        "The corporator from {p} inaugurated the works.",
    ),
    "mixed": (
        "{p} welcomed the move but said residents of {w} deserve more.",
        "{p} and their rivals traded charges over who got the work done.",
    ),
}

_CLOSERS: tuple[str, ...] = (
    "#Hyderabad",
    "#GHMC",
    "@GHMCOnline please act.",
    "#HyderabadRains",
    "Hope this gets fixed soon.",
    "Will anyone listen?",
    "#Telangana",
    "Shared by residents on the colony WhatsApp group.",
)
_DURATIONS: tuple[str, ...] = ("three days", "a week", "ten days", "two weeks", "a month", "two hours")

_FIRST_NAMES: tuple[str, ...] = (
    "Ravi",
    "Srinivas",
    "Lakshmi",
    "Fatima",
    "Mohammed",
    "Anil",
    "Priya",
    "Sai",
    "Kavitha",
    "Imran",
    "Venkat",
    "Sravani",
    "Ayesha",
    "Rahul",
    "Swathi",
    "Naveen",
    "Sana",
    "Prakash",
    "Divya",
    "Arjun",
)
_LAST_NAMES: tuple[str, ...] = (
    "Reddy",
    "Rao",
    "Khan",
    "Goud",
    "Naidu",
    "Sharma",
    "Yadav",
    "Ali",
    "Varma",
    "Chary",
    "Siddiqui",
    "Kumar",
    "Patel",
    "Begum",
    "Shetty",
)
# A post's city is a ward name, except for this share that names the whole city (no ward link).
UNRESOLVED_CITIES: tuple[str, ...] = ("Hyderabad", "Secunderabad", "Cyberabad")


class SyntheticAuthor(NamedTuple):
    name: str
    handle: str
    source: str


class SyntheticPost(NamedTuple):
    """One post; author is an index into authors(), epaper a (publication, IST date) key or None."""

    text: str
    author: int
    epaper: tuple[str, date] | None
    city: str
    emotion: str
    party: str | None
    created_at: datetime


def authors(seed: int = 7, citizens: int = 400) -> list[SyntheticAuthor]:
    """The publications' desks plus `citizens` citizen accounts, deterministic for the seed."""
    rnd = random.Random(f"authors:{seed}")
    result = [SyntheticAuthor(f"{name} Hyderabad desk", handle, "newspaper") for name, handle in PUBLICATIONS]
    seen: set[str] = set()
    while len(result) < len(PUBLICATIONS) + citizens:
        first, last = rnd.choice(_FIRST_NAMES), rnd.choice(_LAST_NAMES)
        handle = f"{first.lower()}_{last.lower()}{rnd.randrange(10, 1000)}"
        if handle in seen:
            continue
        seen.add(handle)
        result.append(SyntheticAuthor(f"{first} {last}", handle, rnd.choice(("twitter", "facebook", "x"))))
    return result


def _cumulative(weights: Sequence[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


class _Shape:
    """The seeded, per-data-set parts of the generator: ward activity and cumulative weights."""

    def __init__(self, ward_names: Sequence[str], seed: int) -> None:
        rnd = random.Random(f"wards:{seed}")
        # Wards are not equally noisy: a fixed, seeded activity weight per ward (1x to 4x).
        self.ward_cum = _cumulative([rnd.uniform(1.0, 4.0) for _ in ward_names])
        self.topic_cum = _cumulative([t[0] for t in _TOPICS])
        self.party_cum = _cumulative(_PARTY_WEIGHTS)
        self.emotion_cum = _cumulative(_EMOTION_WEIGHTS)
        # Daytime IST hours carry most posts.
        self.hour_cum = _cumulative(
            [0.3, 0.2, 0.1, 0.1, 0.2, 0.5, 1, 2, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 3, 2, 1.5, 1]
        )


def _choose(rnd: random.Random, cum: list[float]) -> int:
    """Index drawn with the weights whose running sums are `cum`."""
    return min(bisect.bisect_left(cum, rnd.random() * cum[-1]), len(cum) - 1)


def _post(
    rnd: random.Random,
    shape: _Shape,
    ward_names: Sequence[str],
    window_start: datetime,
    now: datetime,
    days: int,
    n_authors: int,
    unresolved_share: float,
) -> SyntheticPost:
    if rnd.random() < unresolved_share:
        city = rnd.choice(UNRESOLVED_CITIES)
    else:
        city = ward_names[_choose(rnd, shape.ward_cum)]
    emotion = EMOTIONS[_choose(rnd, shape.emotion_cum)]
    party = PARTIES[_choose(rnd, shape.party_cum)] if rnd.random() < sum(_PARTY_WEIGHTS) else None
    templates = _TOPICS[_choose(rnd, shape.topic_cum)][2]
    fill = {"w": city, "n": rnd.randrange(2, 60), "d": rnd.choice(_DURATIONS)}
    parts = [rnd.choice(templates.get(emotion) or templates["neutral"]).format(**fill)]
    r = rnd.random()
    for share, sentence in _RARE:
        if r < share:
            parts.append(sentence.format(**fill))
            break
        r -= share
    if rnd.random() < 0.25:  # a second issue in the same post
        more = _TOPICS[_choose(rnd, shape.topic_cum)][2]
        parts.append(rnd.choice(more.get(emotion) or more["neutral"]).format(**fill))
    if party is not None and rnd.random() < 0.85:
        sentence = rnd.choice(_POLITICS[emotion]).format(p=rnd.choice(_PARTY_NAMES[party]), w=city)
        parts.append(sentence[0].upper() + sentence[1:])
    if rnd.random() < 0.35:
        parts.append(rnd.choice(_CLOSERS))
    # A day in the window, an hour weighted to daytime IST, a second within the hour; drawn again
    # when it falls outside the window (the window's first and last days are partial).
    first_midnight = window_start.replace(hour=0, minute=0, second=0, microsecond=0)
    while True:
        created = first_midnight + timedelta(
            days=int(rnd.random() * (days + 1)),
            hours=_choose(rnd, shape.hour_cum),
            seconds=int(rnd.random() * 3600),
        )
        if window_start <= created <= now:
            break
    author = choose_author(rnd, n_authors)
    epaper = (PUBLICATIONS[author][0], created.astimezone(IST).date()) if author < len(PUBLICATIONS) else None
    return SyntheticPost(" ".join(parts), author, epaper, city, emotion, party, created)


def generate_posts(
    ward_names: Sequence[str],
    n: int,
    days: int,
    now: datetime,
    seed: int = 7,
    *,
    start: int = 0,
    stop: int | None = None,
    author_count: int | None = None,
    unresolved_share: float = 0.02,
) -> Iterator[SyntheticPost]:
    """Yield posts start..stop-1 of the `n` posts dated in the `days` days before `now`.

    The same arguments give the same posts, and a slice equals that slice of the whole stream
    (the generator is reseeded every CHUNK posts), so slices can be loaded in parallel.
    """
    if not ward_names:
        raise ValueError("generate_posts needs at least one ward name")
    if n < 0 or days < 1:
        raise ValueError(f"generate_posts needs n >= 0 and days >= 1, got n={n}, days={days}")
    if now.tzinfo is None:
        raise ValueError("generate_posts needs an aware `now` (with a time zone)")
    stop = n if stop is None else min(stop, n)
    shape = _Shape(ward_names, seed)
    n_authors = author_count if author_count is not None else len(authors(seed))
    window_start = (now - timedelta(days=days)).astimezone(IST)
    for chunk in range(start // CHUNK, (stop + CHUNK - 1) // CHUNK):
        rnd = random.Random(f"posts:{seed}:{chunk}")
        first = chunk * CHUNK
        for i in range(first, min(first + CHUNK, stop)):
            post = _post(rnd, shape, ward_names, window_start, now, days, n_authors, unresolved_share)
            if i >= start:
                yield post


def choose_author(rnd: random.Random, n_authors: int) -> int:
    """Newspaper desks write a fifth of the posts; citizens the rest, a few of them very active."""
    desks = min(len(PUBLICATIONS), n_authors)
    if rnd.random() < 0.2 or n_authors <= desks:
        return rnd.randrange(desks)
    return desks + int((n_authors - desks) * rnd.random() ** 2)


def epaper_text(publication: str, day: date) -> str:
    """The raw text of one synthetic e-paper edition; unique per publication and day."""
    return (
        f"{publication}, Hyderabad edition, {day.isoformat()}.\n"
        "City pages: civic issues across GHMC wards, water supply and roads, "
        "monsoon preparedness, welfare schemes and politics."
    )


def _ensure_authors(conn: psycopg.Connection, people: Sequence[SyntheticAuthor]) -> list[int]:
    """Ids of the authors, inserting the missing ones. `do nothing` takes no lock on existing rows,
    so parallel loaders do not wait for each other."""
    with conn.cursor() as cur:
        cur.executemany(
            "insert into author (name, handle, source) values (%s, %s, %s) "
            "on conflict (lower(coalesce(source, '')), lower(handle)) where handle is not null do nothing",
            [(a.name, a.handle, a.source) for a in people],
        )
        cur.execute(
            "select a.id from unnest(%s::text[], %s::text[]) with ordinality as t (s, h, i) "
            "join author as a on a.handle is not null "
            "and lower(coalesce(a.source, '')) = lower(t.s) and lower(a.handle) = lower(t.h) "
            "order by t.i",
            ([a.source for a in people], [a.handle for a in people]),
        )
        ids = [row[0] for row in cur.fetchall()]
    if len(ids) != len(people):
        raise RuntimeError(f"expected {len(people)} synthetic authors, found {len(ids)}")
    return ids


def _ensure_epapers(conn: psycopg.Connection, first: date, last: date) -> dict[tuple[str, date], int]:
    """Ids of one synthetic edition per publication and day, inserting the missing ones. The hash
    is computed here, as the Flask application does; the database checks it."""
    editions: dict[str, tuple[str, date, str]] = {}
    day = first
    while day <= last:
        for publication, _ in PUBLICATIONS:
            text = epaper_text(publication, day)
            editions[hashlib.sha256(text.encode("utf-8")).hexdigest()] = (publication, day, text)
        day += timedelta(days=1)
    with conn.cursor() as cur:
        cur.executemany(
            "insert into epaper (publication_name, publication_date, raw_text, sha256) "
            "values (%s, %s, %s, %s) on conflict (sha256) do nothing",
            [(p, d, t, h) for h, (p, d, t) in editions.items()],
        )
        cur.execute("select sha256, id from epaper where sha256 = any(%s)", (list(editions),))
        ids = dict(cur.fetchall())
    return {(p, d): ids[h] for h, (p, d, _) in editions.items()}


def ward_names(conn: psycopg.Connection) -> list[str]:
    """The registry's ward names in ward order; raises if the registry is empty."""
    with conn.cursor() as cur:
        cur.execute("select name from ward order by ward_no")
        names = [r[0] for r in cur.fetchall()]
    if not names:
        raise ValueError("the ward registry is empty: run `lokdarpan-db import wards` first")
    return names


def load_posts(
    conn: psycopg.Connection,
    n: int,
    days: int = 90,
    seed: int = 7,
    *,
    now: datetime | None = None,
    names: Sequence[str] | None = None,
    part: tuple[int, int] | None = None,
) -> int:
    """COPY `n` synthetic posts (with their authors and e-papers) into post; returns rows loaded.

    `now` defaults to the database clock (lokdarpan_now()). `part=(start, stop)` loads only posts
    start..stop-1 of the same n posts, so several connections can load one data set in parallel;
    authors and e-papers are inserted when missing (load n=0 and commit first, so that parallel
    loaders find them committed and do not wait on each other). The caller owns the transaction.
    """
    if now is None:
        with conn.cursor() as cur:
            cur.execute("select lokdarpan_now()")
            row = cur.fetchone()
            assert row is not None
            now = row[0]
    names = list(names) if names is not None else ward_names(conn)
    people = authors(seed)
    author_ids = _ensure_authors(conn, people)
    first = (now - timedelta(days=days)).astimezone(IST).date()
    epapers = _ensure_epapers(conn, first, now.astimezone(IST).date())
    begin, end = part if part is not None else (0, n)
    loaded = 0
    with (
        conn.cursor() as cur,
        cur.copy(
            "copy post (text, author_id, epaper_id, city, emotion, party, created_at) from stdin"
        ) as copy,
    ):
        for p in generate_posts(names, n, days, now, seed, start=begin, stop=end, author_count=len(people)):
            copy.write_row(
                (
                    p.text,
                    author_ids[p.author],
                    epapers[p.epaper] if p.epaper else None,
                    p.city,
                    p.emotion,
                    p.party,
                    p.created_at,
                )
            )
            loaded += 1
    return loaded
