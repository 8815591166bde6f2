"""Rules for the channel count: folding a surround file down to stereo.

"downmix to stereo" is a real downmix (the `downmix` operation, ITU-R BS.775),
not a mono sum widened again; it comes before the `mono` and `width` rules,
which would otherwise read "downmix" and "stereo" on their own.
"""

from __future__ import annotations

import re

from ..plan import Step
from .clause import Clause
from .rules import rule, step

_FOLD = r"(?:down[\s-]?mix\w*|fold\w*(?:\s+(?:it|this))?\s+down|mix\w*(?:\s+(?:it|this))?\s+down|reduce\w*(?:\s+(?:it|this))?)"
_SURROUND = r"(?:5\.1|7\.1|surround|multi[\s-]?channel|six[\s-]channels?)"


@rule("downmix-stereo", rf"\b{_FOLD}\s+(?:from\s+{_SURROUND}\s+)?(?:to|into)\s+(?:stereo|two[\s-]channels?|2[\s-]channels?)\b|\b{_SURROUND}\s+(?:to|into)\s+stereo\b|\bstereo\s+down[\s-]?mix\b")
def downmix_stereo(c: Clause, m: re.Match) -> list[Step]:
    return [step("downmix", channels=2)]
