"""Randomized exercise data, drawn from the run's seed so that any run can be replayed.

Each named value has its own generator seeded from (seed, name): adding a value to an exercise
does not change the others, so reports from older runs stay reproducible.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

from apilab.catalog.models import DataSpec

_ADJECTIVES = [
    "silent",
    "amber",
    "hidden",
    "northern",
    "restless",
    "golden",
    "quiet",
    "wandering",
    "distant",
    "burning",
    "crimson",
    "hollow",
    "patient",
    "lost",
    "gentle",
    "electric",
]
_NOUNS = [
    "harbor",
    "orchard",
    "lantern",
    "river",
    "compass",
    "archive",
    "garden",
    "meridian",
    "signal",
    "forest",
    "library",
    "mirror",
    "voyage",
    "winter",
    "tide",
    "station",
]
_FIRST = [
    "Ada",
    "Grace",
    "Alan",
    "Barbara",
    "Edsger",
    "Frances",
    "Donald",
    "Margaret",
    "Ken",
    "Radia",
    "Tim",
    "Hedy",
    "Linus",
    "Sophie",
]
_LAST = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Liskov",
    "Dijkstra",
    "Allen",
    "Knuth",
    "Hamilton",
    "Thompson",
    "Perlman",
    "Wilson",
    "Lamarr",
]
# Text beyond ASCII: two-byte (Latin accents), three-byte (CJK, Hangul) and four-byte UTF-8
# (emoji outside the Basic Multilingual Plane, two UTF-16 units each).
_ACCENTED = ["Ça", "Über", "Señora", "Crème", "Façade", "Ångström", "Œuvre", "Żółw", "Ðoran", "Niño"]
_CJK = ["東京", "図書館", "夜明け", "漢字", "서울", "北京", "灯台", "物語"]
_EMOJI = ["📚", "🌊", "🚀", "🦉", "🌸", "🎻", "🧭", "🍵"]


def new_seed() -> int:
    """A fresh seed for a run that did not ask for one."""
    return random.SystemRandom().randrange(1, 2**31)


def draw(specs: dict[str, DataSpec], seed: int) -> dict[str, Any]:
    """Every value the exercise declares, drawn deterministically from `seed`."""
    return {name: _draw(spec, random.Random(f"{seed}:{name}")) for name, spec in specs.items()}


def rng_for(seed: int, scope: str) -> random.Random:
    """A generator for one check's own random choices, independent of the others."""
    return random.Random(f"{seed}:check:{scope}")


def _draw(spec: DataSpec, rng: random.Random) -> Any:
    match spec.kind:
        case "title":
            return (
                f"The {rng.choice(_ADJECTIVES).title()} {rng.choice(_NOUNS).title()} {rng.randrange(2, 99)}"
            )
        case "text":
            return (f"{rng.choice(_ACCENTED)} {rng.choice(_NOUNS)} — {rng.choice(_CJK)}"
                    f"{rng.randrange(2, 99)} {rng.choice(_EMOJI)}")
        case "name":
            return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        case "word":
            return f"{rng.choice(_NOUNS)}{rng.randrange(100, 999)}"
        case "int":
            return rng.randint(spec.min, spec.max)
        case "choice":
            return rng.choice(spec.values)
        case "uuid":
            return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    raise AssertionError(f"unhandled data kind {spec.kind}")
