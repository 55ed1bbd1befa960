"""Trino's ``format(format, args...)``: Java's ``String.format`` (java.util.Formatter) in Python.

Trino passes SQL values as Java objects (bigint -> Long, double -> Double, decimal -> BigDecimal,
varchar -> String, date -> LocalDate, timestamp -> LocalDateTime, boolean -> Boolean); the
conversions below follow the Formatter documentation
(https://docs.oracle.com/en/java/javase/21/docs/api/java.base/java/util/Formatter.html):
``%s %d %x %o %f %e %g %b %c %t.. %% %n`` with argument indexes (``%2$s``), flags
(``-#+ 0,(``), width and precision.  Numbers round HALF_UP as Java does.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Sequence

from .types import Value, java_double

# A SQL value as the Java object Trino hands to Formatter (Long, Double, BigDecimal, Boolean,
# LocalDate, LocalDateTime, String; None for NULL).
JavaValue = int | float | decimal.Decimal | bool | dt.date | dt.datetime | str | None

_SPEC = re.compile(r"%(?:(\d+)\$|(<))?([-#+ 0,(]*)(\d+)?(?:\.(\d+))?([tT][a-zA-Z]|[a-zA-Z%])")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _value(v: Value, kind: str) -> JavaValue:
    if v is None:
        return None
    if kind in ("tinyint", "smallint", "integer", "bigint"):
        return int(v)
    if kind in ("double", "real"):
        return float(v)
    if kind == "decimal":
        return decimal.Decimal(str(v))
    if kind == "boolean":
        return v in (True, "true")
    if kind == "date":
        return dt.date.fromisoformat(str(v)[:10])
    if kind in ("timestamp", "timestamptz"):
        return dt.datetime.fromisoformat(str(v))
    return str(v)


def _java_str(v: JavaValue) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return java_double(v)
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, dt.datetime):
        return v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def _group(digits: str) -> str:
    return re.sub(r"(?<=\d)(?=(\d{3})+$)", ",", digits)


def _number(v: JavaValue, conv: str, flags: str, precision: int | None) -> str:
    if conv == "d":
        if not isinstance(v, int) or isinstance(v, bool):
            raise ValueError(f"{conv} != {_java_class(v)}")
        body = str(abs(v))
        if "," in flags:
            body = _group(body)
        negative = v < 0
    elif conv in ("x", "X", "o"):
        if not isinstance(v, int) or isinstance(v, bool):
            raise ValueError(f"{conv} != {_java_class(v)}")
        n = v if v >= 0 else v + (1 << 64)
        body = format(n, "x" if conv in "xX" else "o")
        if conv == "X":
            body = body.upper()
        return body
    elif conv in ("f", "e", "E", "g", "G"):
        if isinstance(v, bool) or not isinstance(v, (int, float, decimal.Decimal)) or isinstance(v, int):
            raise ValueError(f"{conv} != {_java_class(v)}")
        if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
            return "NaN" if v != v else ("Infinity" if v > 0 else "-Infinity")
        d = decimal.Decimal(repr(v)) if isinstance(v, float) else v
        p = 6 if precision is None else precision
        negative = d < 0
        d = abs(d)
        if conv == "f":
            q = d.quantize(decimal.Decimal(1).scaleb(-p), rounding=decimal.ROUND_HALF_UP)
            body = format(q, "f")
            if "," in flags:
                whole, _, frac = body.partition(".")
                body = _group(whole) + ("." + frac if frac else "")
        elif conv in ("e", "E"):
            body = _sci(d, p)
            if conv == "E":
                body = body.upper()
        else:
            body = format(d, f".{max(p, 1)}g")
    else:
        raise ValueError(f"unknown conversion {conv}")
    if negative:
        return "(" + body + ")" if "(" in flags else "-" + body
    if "+" in flags:
        return "+" + body
    if " " in flags:
        return " " + body
    return body


def _sci(d: decimal.Decimal, p: int) -> str:
    if d == 0:
        return f"{0:.{p}f}e+00"
    exp = d.adjusted()
    mant = (d.scaleb(-exp)).quantize(decimal.Decimal(1).scaleb(-p), rounding=decimal.ROUND_HALF_UP)
    if mant >= 10:
        exp += 1
        mant = (d.scaleb(-exp)).quantize(decimal.Decimal(1).scaleb(-p), rounding=decimal.ROUND_HALF_UP)
    return f"{format(mant, 'f')}e{'-' if exp < 0 else '+'}{abs(exp):02d}"


def _java_class(v: object) -> str:
    return {
        int: "java.lang.Long",
        float: "java.lang.Double",
        str: "java.lang.String",
        bool: "java.lang.Boolean",
        decimal.Decimal: "java.math.BigDecimal",
        dt.date: "java.time.LocalDate",
        dt.datetime: "java.time.LocalDateTime",
    }.get(type(v), type(v).__name__)


def _time(v: JavaValue, code: str) -> str:
    if not isinstance(v, (dt.date, dt.datetime)):
        raise ValueError(f"{code} != {_java_class(v)}")
    is_dt = isinstance(v, dt.datetime)
    need_time = code in "HIklMSLNpsQTRr"
    if need_time and not is_dt:
        raise ValueError(f"Unsupported field: {code}")
    # the time of day, read only by the fields that need it (a datetime, checked above)
    t = v if isinstance(v, dt.datetime) else dt.datetime.combine(v, dt.time())
    table = {
        "A": lambda: _DAYS[v.weekday()],
        "a": lambda: _DAYS[v.weekday()][:3],
        "B": lambda: _MONTHS[v.month - 1],
        "b": lambda: _MONTHS[v.month - 1][:3],
        "h": lambda: _MONTHS[v.month - 1][:3],
        "C": lambda: f"{v.year // 100:02d}",
        "Y": lambda: f"{v.year:04d}",
        "y": lambda: f"{v.year % 100:02d}",
        "j": lambda: f"{v.timetuple().tm_yday:03d}",
        "m": lambda: f"{v.month:02d}",
        "d": lambda: f"{v.day:02d}",
        "e": lambda: str(v.day),
        "H": lambda: f"{t.hour:02d}",
        "I": lambda: f"{(t.hour % 12) or 12:02d}",
        "k": lambda: str(t.hour),
        "l": lambda: str((t.hour % 12) or 12),
        "M": lambda: f"{t.minute:02d}",
        "S": lambda: f"{t.second:02d}",
        "L": lambda: f"{t.microsecond // 1000:03d}",
        "N": lambda: f"{t.microsecond * 1000:09d}",
        "p": lambda: "am" if t.hour < 12 else "pm",
        "R": lambda: f"{t.hour:02d}:{t.minute:02d}",
        "T": lambda: f"{t.hour:02d}:{t.minute:02d}:{t.second:02d}",
        "r": lambda: f"{(t.hour % 12) or 12:02d}:{t.minute:02d}:{t.second:02d} {'AM' if t.hour < 12 else 'PM'}",
        "D": lambda: f"{v.month:02d}/{v.day:02d}/{v.year % 100:02d}",
        "F": lambda: f"{v.year:04d}-{v.month:02d}-{v.day:02d}",
    }
    if code not in table:
        raise ValueError(f"Unsupported time conversion {code}")
    return table[code]()


def java_format(fmt: str, raw_args: Sequence[Value], kinds: Sequence[str]) -> str:
    args = [_value(v, k) for v, k in zip(raw_args, kinds)]
    out, pos, ordinary, last = [], 0, 0, None
    for m in _SPEC.finditer(fmt):
        out.append(fmt[pos : m.start()])
        pos = m.end()
        index, prev, flags, width, precision, conv = m.groups()
        if conv == "%":
            out.append("%")
            continue
        if conv == "n":
            out.append("\n")
            continue
        if prev:
            i = last
        elif index:
            i = int(index) - 1
        else:
            i = ordinary
            ordinary += 1
        if i is None or i >= len(args):
            raise ValueError(f"Format specifier '{m.group(0)}'")
        last = i
        v = args[i]
        p = int(precision) if precision else None
        if conv[0] in "tT":
            text = "null" if v is None else _time(v, conv[1])
            if conv[0] == "T":
                text = text.upper()
        elif conv in ("s", "S"):
            text = _java_str(v)
            if p is not None:
                text = text[:p]
            if conv == "S":
                text = text.upper()
        elif conv in ("b", "B"):
            text = "false" if v is None or v is False else "true"
        elif conv in ("c", "C"):
            text = "null" if v is None else chr(v) if isinstance(v, int) else str(v)[:1]
        elif v is None:
            text = "null"
        else:
            text = _number(v, conv, flags, p)
        if width and len(text) < int(width):
            w = int(width)
            if "-" in flags:
                text = text.ljust(w)
            elif "0" in flags and conv in "dxXofeEgG":
                sign = text[0] if text[:1] in "+- " else ""
                text = sign + text[len(sign) :].rjust(w - len(sign), "0")
            else:
                text = text.rjust(w)
        out.append(text)
    out.append(fmt[pos:])
    return "".join(out)
