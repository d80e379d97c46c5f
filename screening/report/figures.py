"""Exact figures as text: as the JSON contract writes them and as prose shows them.

Every number a report writes passes here: a Fraction, Decimal or int is rounded half
to even to four decimals from its integer ratio, once, and both texts come from that
one rounded integer (`figure`), so a finding's JSON and its sentence cannot disagree.
"""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from typing import Any

from screening.messages import text

# a str as JSON writes it with ensure_ascii=False: called directly, as JSONEncoder.encode
# builds a whole encoder for anything but a str
json_string = json.encoder.encode_basestring
_encode = json.JSONEncoder(
    ensure_ascii=False
).encode  # = json.dumps(…, ensure_ascii=False)

_PLACES = 4
_SCALE = 10**_PLACES
# below this many units of the fourth decimal (15 significant digits) a rounded figure's
# float is the one nearest its decimal text, and Python's shortest repr is that text
_EXACT_REPR = 10**15


def scaled(num: int, den: int, scale: int) -> int:
    """num / den × scale rounded half to even: the figure to `scale`'s decimals, as an integer."""
    q, r = divmod(num * scale, den)  # den > 0: the remainder is never negative
    twice = 2 * r
    if twice > den or (twice == den and q & 1):
        q += 1
    return q


def _ratio(value: Any) -> tuple[int, int] | None:
    kind = type(value)
    if kind is Fraction or kind is Decimal:
        return value.as_integer_ratio()  # type: ignore[no-any-return]
    if isinstance(value, (Fraction, Decimal)):
        return value.as_integer_ratio()
    return None


def decimals(q: int) -> str:
    """q ten-thousandths as prose shows them: no trailing zeros, no point when whole."""
    if q % _SCALE == 0:
        return str(q // _SCALE)
    if -_EXACT_REPR < q < _EXACT_REPR:
        # the float nearest q / 10⁴ (15 significant digits at most) has the shortest
        # repr that reads back as it, which is that decimal itself: one C call
        return repr(q / _SCALE)
    whole, part = divmod(-q if q < 0 else q, _SCALE)
    return f"{'-' if q < 0 else ''}{whole}.{part:04d}".rstrip("0")


def hundredths(h: int) -> str:
    """h hundredths as prose shows them: `decimals(h × 100)`, from h itself."""
    if h % 100 == 0:
        return str(h // 100)
    if -_EXACT_HUNDREDTHS < h < _EXACT_HUNDREDTHS:
        return repr(h / 100)  # one correctly rounded division: see `decimals`
    return decimals(h * 100)


_EXACT_HUNDREDTHS = _EXACT_REPR // 100


def number(value: Any, places: int = 4) -> Any:
    """A Fraction/Decimal as a JSON-friendly int or float, rounded half to even to `places` decimals."""
    kind = type(value)  # exact types first: this runs for every number in every report
    if value is None or kind is int or kind is bool:
        return value
    ratio = _ratio(value)
    if ratio is None:
        if isinstance(value, tuple):
            return [number(v, places) for v in value]
        return value
    num, den = ratio
    if den == 1:
        return num
    scale = 10**places
    q = scaled(num, den, scale)
    return (
        q // scale if q % scale == 0 else q / scale
    )  # int / int: the correctly rounded float


def figure(value: Any, share: bool = False) -> tuple[str, str] | None:
    """An int, Fraction or Decimal as its JSON text and its shown text, from one ratio:
    `(json.dumps(number(value)), show(value))`, or `percent(value)` for a `share`; None
    for other types."""
    kind = type(value)
    if kind is Decimal:
        text = str(value)
        dot = text.find(".")
        if dot > 0 and len(text) - dot <= 5 and len(text) <= 16 and "E" not in text:
            # at most four decimals and fifteen digits, written out: exact as it
            # reads, and the float nearest it has that repr (see `decimals`)
            shown = text.rstrip("0")
            if shown[-1] == ".":
                shown = "0" if shown == "-0." else shown[:-1]
            if share:  # × 100: the point moved two digits right, in the text
                negative = text[0] == "-"
                part = text[dot + 1 :]
                if len(part) < 2:
                    part += "0"
                whole = (text[negative:dot] + part[:2]).lstrip("0") or "0"
                part = part[2:].rstrip("0")
                hundred = whole + "." + part if part else whole
                if negative and hundred != "0":
                    hundred = "-" + hundred
                return shown, hundred + "%"
            return shown, shown
        num, den = value.as_integer_ratio()
    elif kind is int:
        num, den = value, 1
    elif kind is Fraction:
        num, den = value.as_integer_ratio()
    else:
        return None
    if den == 1:
        whole = str(num)
        return whole, str(num * 100) + "%" if share else whole
    # `decimals(scaled(num, den, _SCALE))`, inline: this runs for every figure written
    q, r = divmod(num * _SCALE, den)
    if 2 * r > den or (2 * r == den and q & 1):
        q += 1
    if q % _SCALE == 0:
        shown = json_text = str(q // _SCALE)
    elif -_EXACT_REPR < q < _EXACT_REPR:
        shown = json_text = repr(q / _SCALE)  # see `decimals`
    else:  # number(value) is the float q / 10⁴, its repr rounded to 17 digits
        shown, json_text = decimals(q), repr(q / _SCALE)
    if share:  # value × 100 to four decimals: q × 100 when q was exact
        return json_text, decimals(
            q * 100 if r == 0 else scaled(num * 100, den, _SCALE)
        ) + "%"
    return json_text, shown


def number_json(value: Any) -> str:
    """`json.dumps(number(value), ensure_ascii=False)`, computed without an encoder for a
    plain number."""
    kind = type(value)
    if value is None:
        return "null"
    if kind is int or kind is Fraction or kind is Decimal:
        return figure(value)[0]  # type: ignore[index]  # never None for these
    if kind is tuple:  # a between's two bounds
        return f"[{', '.join(map(number_json, value))}]"
    return _encode(number(value))


def show(value: Any, lang: str = "zh", places: int = 4) -> str:
    """A value as text: numbers to `places` decimals without trailing zeros, booleans as 是/否."""
    kind = type(value)
    if kind is bool:
        return text("answer_yes" if value else "answer_no", lang)
    if kind is int:
        return str(value)
    if value is None:
        return ""
    if (
        kind is float
    ):  # a figure read back from JSON (a report's input): as JSON wrote it
        return f"{value:f}".rstrip("0").rstrip(".")
    ratio = _ratio(value)
    if ratio is None:
        if isinstance(value, int):
            return str(int(value))
        return str(value)
    num, den = ratio
    if den == 1:
        return str(num)
    if places == _PLACES:
        return decimals(scaled(num, den, _SCALE))
    scale = 10**places
    q = scaled(num, den, scale)
    whole, part = divmod(abs(q), scale)
    sign = "-" if q < 0 else ""
    if not part:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{str(part).rjust(places, '0').rstrip('0')}"


def percent(value: Any, lang: str = "zh") -> str:
    """A fraction shown as a percentage: 0.3 → "30%"."""
    if value is None or isinstance(value, bool):
        return show(value, lang)
    num, den = value.as_integer_ratio()
    if (
        type(den) is int and den > 0
    ):  # value × 100, to four decimals, as `show` rounds it
        return decimals(scaled(num * 100, den, _SCALE)) + "%"
    return show(Fraction(num * 100, den), lang) + "%"


def round_score(score: Fraction | None) -> Fraction | None:
    """Scores are shown to two decimals (the exact value decides)."""
    if score is None:
        return None
    return Fraction(round(score * 100), 100)


def score_hundredths(score: Any, pass_mark: Any = None, review_band: Any = None) -> int:
    """The score as shown, in hundredths (two decimals, half to even), kept off the pass
    line and the review line (pass_mark − review_band) it does not reach or miss: an
    exact 49.99999 under a review line of 50 shows as 49.99, not as 50 beside 否决."""
    num, den = score.as_integer_ratio()
    hundredths = scaled(num, den, 100)
    if pass_mark is None:
        return hundredths
    pn, pd = pass_mark.as_integer_ratio()
    rn, rd = (review_band or 0).as_integer_ratio()
    for ln, ld in ((pn, pd), (pn * rd - rn * pd, pd * rd)):
        if hundredths * ld == ln * 100:  # shown on the line: is the exact score?
            exact, line = num * ld, ln * den
            if exact != line:
                return hundredths + (1 if exact > line else -1)
    return hundredths


def shown_score(
    score: Any, pass_mark: Any = None, review_band: Any = None
) -> Fraction | None:
    """The score as every output shows it (`score_hundredths`), exactly."""
    if score is None:
        return None
    return Fraction(score_hundredths(score, pass_mark, review_band), 100)


def score_json(score: Any, pass_mark: Any = None, review_band: Any = None) -> str:
    """`json.dumps(number(shown_score(…), 2))`: the shown score, from its ratio."""
    if score is None:
        return "null"
    if type(score) is not Fraction and type(score) is not int:
        return _encode(number(shown_score(score, pass_mark, review_band), 2))
    hundredths = score_hundredths(score, pass_mark, review_band)
    if hundredths % 100 == 0:
        return str(hundredths // 100)
    return repr(hundredths / 100)


def safe_bound(value: Fraction, relation: str, places: int) -> Fraction:
    """`value` rounded to `places` decimals in the direction that keeps `relation` met:
    up for 不低于 / 高于, down for 不超过 / 低于 (meeting the shown figure suffices)."""
    scale = 10**places
    scaled = value.numerator * scale
    if relation in (">=", ">"):
        return Fraction(-(-scaled // value.denominator), scale)
    if scaled < value.denominator and value > 0 and 0 < places < _PLACES:
        # a positive bound floored to 0: as `small_bound` shows it instead
        return Fraction(small_bound(value.numerator, value.denominator))
    return Fraction(scaled // value.denominator, scale)


def bound_text(value: Fraction, relation: str, places: int, factor: int = 1) -> str:
    """`show(safe_bound(value × factor, relation, places))`, in integers: `places` is at
    most four, so the bound shows exactly."""
    num, den = value.as_integer_ratio()
    scaled = num * factor * _POWERS[places]
    up = relation in (">=", ">")
    bound = -(-scaled // den) if up else scaled // den
    if bound == 0 and not up and num > 0 and 0 < places < _PLACES:
        return small_bound(num * factor, den)
    return decimals(bound * _POWERS[_PLACES - places])


def small_bound(num: int, den: int) -> str:
    """A positive upper bound num / den that `places` decimals would floor to 0 (用地面积
    不超过 0 亩: a bound no project can meet) floored to four decimals instead, as
    every figure is shown: 1/270 → 0.0037; a bound below 0.0001, which four decimals
    floor to 0 too, floored to its first two significant digits: 1/270000 →
    0.0000037. Always at most the bound, and positive."""
    q = num * _SCALE // den
    if q > 0:
        return decimals(q)
    return tiny_bound(num, den, up=False)


def tiny_bound(num: int, den: int, up: bool) -> str:
    """A positive num / den below 0.0001 (which four decimals show as 0) to its first
    two significant digits, rounded up (`up`) or down, written out: 1/270000 →
    0.0000037 down, 0.0000038 up."""
    places = _PLACES + 1  # num / den < 10⁻⁴: fewer than two digits at five places
    while num * 10**places < 10 * den:
        places += 1
    scaled = num * 10**places
    digits = -(-scaled // den) if up else scaled // den
    if digits == 100:  # rounded up to the next power of ten: one digit fewer
        digits, places = 10, places - 1
    return f"0.{digits:0{places}d}".rstrip("0")


_POWERS = tuple(10**places for places in range(_PLACES + 1))


_EXACT = frozenset({int, Fraction, Decimal})


def same_figure(found: Any, known: Any) -> bool:
    """Whether `found` is written as `known` is: the same exact number (an int, Fraction
    or Decimal; a float or a bool equal to one is written otherwise), or both bounds so."""
    kind = type(found)
    if kind in _EXACT:
        return type(known) in _EXACT and bool(found == known)
    if kind is tuple and type(known) is tuple:
        return len(found) == len(known) and all(map(same_figure, found, known))
    return False


# a share's sentence shows it as a percentage to four decimals: six of the fraction
SHARE_SCALE = _SCALE * 100


def apart(value: Any, threshold: Any, scale: int = _SCALE) -> Any:
    """`value`, or the figure that shows it beside `threshold` on the 1/`scale` grid.

    Rounding half to even is monotonic, so a rounded actual never reads on the wrong
    side of its rounded threshold; it may read *equal* to it while the exact figures
    differ (269.99999 against 270). Then the figure one step of 1/`scale` from the
    rounded threshold on the value's own side is returned (269.9999), an exact
    Fraction on the grid that every rounding shows as itself: the shown actual stands
    to the shown threshold as the exact actual to the exact threshold. Each bound of
    a between is kept apart so. Anything but an int, Fraction or Decimal (a float, a
    yes or no) is returned as it is."""
    if threshold is None or value is None:
        return value
    if type(threshold) is tuple:
        for bound in threshold:
            value = apart(value, bound, scale)
        return value
    kind = type(value)
    if kind not in _EXACT or type(threshold) not in _EXACT:
        return value
    num, den = value.as_integer_ratio()
    t_num, t_den = threshold.as_integer_ratio()
    q = scaled(num, den, scale)
    if q != scaled(t_num, t_den, scale):
        return value
    below, above = num * t_den, t_num * den
    if below == above:
        return value
    return Fraction(q - 1 if below < above else q + 1, scale)


def figure_apart(value: Any, threshold: Any, share: bool = False) -> Any:
    """`figure(value, share)` with each text kept `apart` from `threshold` on its own
    grid: the JSON number's four decimals, a share's percentage's four."""
    texts = figure(value, share)
    if texts is None or threshold is None:
        return texts
    number_at = apart(value, threshold)
    shown_at = apart(value, threshold, SHARE_SCALE) if share else number_at
    if number_at is value and shown_at is value:
        return texts
    return figure(number_at)[0], figure(shown_at, share)[1]  # type: ignore[index]


def near_texts(threshold: Any, share: bool = False) -> frozenset[str]:
    """The texts a figure reads as when it rounds onto `threshold` (or a bound of it):
    an actual whose JSON or shown text is none of them is apart from it already, so
    a writer checks this set first and calls `figure_apart` only on a hit."""
    bounds = threshold if type(threshold) is tuple else (threshold,)
    texts: set[str] = set()
    for bound in bounds:
        if type(bound) not in _EXACT:
            continue
        texts.update(figure(bound))  # type: ignore[arg-type]
        texts.update(figure(bound, True))  # type: ignore[arg-type]
    return frozenset(texts)
