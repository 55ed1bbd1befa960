"""Deterministic generator of the course's sales dataset.

Produces a synthetic CSV with the schema of the classic "sales data sample"
(orders of a model-car distributor, 2003 - May 2005). Every name, phone number
and address is invented. The labs read the committed
``data/sales_data_sample.csv`` (2823 rows, seed 2003); benchmarks generate
larger files from the same code, e.g.::

    python data/generate_sales.py                     # rewrite the lab file
    python data/generate_sales.py --rows 10000000 --out /tmp/big.csv
    python data/generate_sales.py --rows 20 --out -   # print to stdout

Output is byte-identical for the same (rows, seed): only ``rng.random()`` of a
private ``random.Random(seed)`` is used (the one method whose sequence Python
promises not to change), money is integer cents, and rows are streamed one by
one so large sizes need no extra memory. Standard library only.
"""

import argparse
import bisect
import csv
import datetime as dt
import io
import random
import sys
from pathlib import Path

DEFAULT_ROWS = 2823
DEFAULT_SEED = 2003
DEFAULT_OUT = Path(__file__).resolve().with_name("sales_data_sample.csv")

HEADER = [
    "ORDERNUMBER",
    "QUANTITYORDERED",
    "PRICEEACH",
    "ORDERLINENUMBER",
    "SALES",
    "ORDERDATE",
    "STATUS",
    "QTR_ID",
    "MONTH_ID",
    "YEAR_ID",
    "PRODUCTLINE",
    "MSRP",
    "PRODUCTCODE",
    "CUSTOMERNAME",
    "PHONE",
    "ADDRESSLINE1",
    "ADDRESSLINE2",
    "CITY",
    "STATE",
    "POSTALCODE",
    "COUNTRY",
    "TERRITORY",
    "CONTACTLASTNAME",
    "CONTACTFIRSTNAME",
    "DEALSIZE",
]

FIRST_DAY, LAST_DAY = dt.date(2003, 1, 1), dt.date(2005, 5, 31)
# Relative order volume per calendar month: the Q4 (holiday) bump.
MONTH_WEIGHT = [1.0, 0.8, 1.0, 1.0, 1.0, 0.9, 0.9, 1.0, 1.1, 1.6, 2.8, 1.3]

# line: (number of product codes, scale prefixes, MSRP range in dollars)
PRODUCT_LINES = {
    "Classic Cars": (38, ["S10", "S12", "S18", "S24"], (60, 214)),
    "Vintage Cars": (23, ["S18", "S24", "S32"], (33, 170)),
    "Motorcycles": (13, ["S10", "S12", "S18", "S24", "S32"], (40, 193)),
    "Trucks and Buses": (11, ["S12", "S18", "S24", "S32", "S50"], (55, 136)),
    "Planes": (12, ["S18", "S24", "S72", "S700"], (49, 157)),
    "Ships": (9, ["S18", "S24", "S72", "S700"], (54, 122)),
    "Trains": (3, ["S18", "S32", "S50"], (58, 100)),
}  # 109 codes in total

# Per name group: contact first names, last names (also used as street names),
# and a street-address template ({n} = house number, {s} = street name).
NAMES = {
    "en": (
        "John Mary Susan Peter Julie Michael Karen Steve Linda Paul Helen "
        "Brian Diane Kevin Laura Frank Nancy George Sarah Tom",
        "Walker Harris Brooks Carter Hughes Murphy Bennett Foster Reed "
        "Parker Ellis Graham Porter Shaw Turner Hayes Lawson Barrett",
        "{n} {s} {kind}",
    ),
    "es": (
        "Diego Carmen Javier Lucia Pablo Elena Sergio Marta",
        "Garcia Navarro Ortega Romero Serrano Molina Castillo Vidal",
        "C/ {s}, {n}",
    ),
    "fr": (
        "Pierre Claire Luc Isabelle Marc Sophie Julien Anne",
        "Dubois Moreau Lefevre Girard Fontaine Rousseau Mercier Blanc",
        "{n}, rue {s}",
    ),
    "it": ("Marco Giulia Luca Chiara Paolo Francesca", "Rossi Ferrari Bianchi Colombo Ricci Marino", "Via {s} {n}"),
    "de": (
        "Hans Anna Klaus Petra Jurgen Monika Stefan Sabine",
        "Muller Schmidt Wagner Becker Hoffmann Koch Richter Wolf",
        "{s}strasse {n}",
    ),
    "nordic": (
        "Erik Ingrid Lars Kari Mikko Anu Jens Astrid",
        "Hansen Larsen Nilsson Lindqvist Virtanen Korhonen Berg Dahl",
        "{s}vagen {n}",
    ),
    "ja": ("Yuki Hiroshi Akiko Kenji Naoko Takeshi", "Sato Suzuki Takahashi Tanaka Watanabe Ito", "{n} {s}-cho"),
    "asia": ("Wei Mei Jose Maria Arjun Grace", "Tan Lim Santos Reyes Ong Cruz", "{n} {s} Road"),
}

# country: (customers, order share %, territory, name group, phone pattern,
#           [(city, state, postal pattern)]).  Pattern chars: '#' digit,
#           '@' capital letter.  Empty state/postal means "not used there".
COUNTRIES = {
    "USA": (
        30,
        35,
        "NA",
        "en",
        "###555####",
        [
            ("San Francisco", "CA", "941##"),
            ("NYC", "NY", "100##"),
            ("Boston", "MA", "021##"),
            ("Philadelphia", "PA", "191##"),
            ("Los Angeles", "CA", "900##"),
            ("Seattle", "WA", "981##"),
            ("Portland", "OR", "972##"),
            ("Chicago", "IL", "606##"),
            ("Las Vegas", "NV", "891##"),
            ("New Haven", "CT", "065##"),
            ("Glendale", "CA", "912##"),
            ("Allentown", "PA", "181##"),
        ],
    ),
    "Spain": (
        6,
        12,
        "EMEA",
        "es",
        "(91) 555 ## ##",
        [("Madrid", "", "280##"), ("Barcelona", "", "080##"), ("Sevilla", "", "410##"), ("Valencia", "", "460##")],
    ),
    "France": (
        11,
        11,
        "EMEA",
        "fr",
        "##.##.555.##",
        [
            ("Paris", "", "750##"),
            ("Lyon", "", "6900#"),
            ("Marseille", "", "130##"),
            ("Nantes", "", "4400#"),
            ("Lille", "", "5900#"),
            ("Toulouse", "", "3100#"),
            ("Strasbourg", "", "6700#"),
            ("Reims", "", "5110#"),
        ],
    ),
    "Australia": (
        5,
        6.5,
        "APAC",
        "en",
        "0# 9555 ####",
        [
            ("Melbourne", "Victoria", "30##"),
            ("Sydney", "NSW", "20##"),
            ("Brisbane", "Queensland", "40##"),
            ("Perth", "WA", "60##"),
        ],
    ),
    "UK": (
        5,
        5,
        "EMEA",
        "en",
        "(171) 555-####",
        [
            ("London", "", "W@# #@@"),
            ("Manchester", "", "M# #@@"),
            ("Liverpool", "", "L# #@@"),
            ("Leeds", "", "LS# #@@"),
        ],
    ),
    "Italy": (
        4,
        4,
        "EMEA",
        "it",
        "0#-555 ####",
        [("Torino", "", "101##"), ("Milano", "", "201##"), ("Bergamo", "", "241##"), ("Reggio Emilia", "", "421##")],
    ),
    "Finland": (
        3,
        3.3,
        "EMEA",
        "nordic",
        "9#-555 ####",
        [("Helsinki", "", "00###"), ("Espoo", "", "02###"), ("Oulu", "", "90###")],
    ),
    "Norway": (
        3,
        3,
        "EMEA",
        "nordic",
        "07-555 ####",
        [("Oslo", "", "N 0###"), ("Stavanger", "", "N 40##"), ("Bergen", "", "N 50##")],
    ),
    "Singapore": (3, 2.8, "APAC", "asia", "+65 6555 ####", [("Singapore", "", "0#####")]),
    "Canada": (
        3,
        2.5,
        "NA",
        "en",
        "(604) 555-####",
        [("Vancouver", "BC", "V#@ #@#"), ("Montreal", "Quebec", "H#@ #@#"), ("Tsawassen", "BC", "T#@ #@#")],
    ),
    "Denmark": (2, 2.2, "EMEA", "nordic", "31 555 ###", [("Kobenhavn", "", "1###"), ("Aarhus", "", "8###")]),
    "Germany": (
        5,
        2.2,
        "EMEA",
        "de",
        "0###-555###",
        [
            ("Berlin", "", "10###"),
            ("Frankfurt", "", "60###"),
            ("Munchen", "", "80###"),
            ("Koln", "", "50###"),
            ("Stuttgart", "", "70###"),
        ],
    ),
    "Sweden": (2, 2, "EMEA", "nordic", "0921-555 ##", [("Lulea", "", "S-958 ##"), ("Boras", "", "S-844 ##")]),
    "Austria": (2, 2, "EMEA", "de", "0###-555 ###", [("Graz", "", "80##"), ("Salzburg", "", "50##")]),
    "Japan": (
        2,
        1.8,
        "Japan",
        "ja",
        "+81 3 5555-####",
        [("Minato-ku", "Tokyo", "106-####"), ("Chiyoda", "Osaka", "530-####")],
    ),
    "Switzerland": (1, 1.2, "EMEA", "de", "0###-34 555", [("Geneve", "", "12##")]),
    "Belgium": (2, 1.2, "EMEA", "fr", "(02) 555 ## ##", [("Bruxelles", "", "B-1###"), ("Charleroi", "", "B-6###")]),
    "Philippines": (1, 1, "APAC", "asia", "+63 2 555 ####", [("Makati City", "", "12## MM")]),
    "Ireland": (2, 1, "EMEA", "en", "01 555 ####", [("Dublin", "", "")]),
}  # 92 customers in 19 countries

NAME_START = (
    "Atlas Alpine Blue Coastal Crown Golden Grand Harbor Heritage "
    "Highway Iron Liberty Maple Metro Northern Oak Pacific Pioneer "
    "Redwood Royal Silver Star Summit Sunset Union Velvet"
).split()
NAME_MIDDLE = (
    "Model Scale Diecast Miniature Replica Collectables Toys Gifts Hobbies Motors Garage Wheels Souvenirs"
).split()
NAME_END = [
    "Inc.",
    "Ltd.",
    "Co.",
    "& Co.",
    "Corp.",
    "Imports",
    "Shop",
    "Traders",
    "Emporium",
    "Distributors",
    ", Co.",
    ", Ltd.",
]


class _Rand:
    """Helpers built only on random.Random.random(), whose output sequence
    Python guarantees across versions (randint/choice/sample are not)."""

    def __init__(self, seed):
        self._r = random.Random(seed)
        self.random = self._r.random

    def between(self, lo, hi):  # inclusive on both ends
        return lo + int(self.random() * (hi - lo + 1))

    def pick(self, seq):
        return seq[int(self.random() * len(seq))]

    def fill(self, pattern):
        return "".join(
            str(self.between(0, 9)) if c == "#" else chr(65 + self.between(0, 25)) if c == "@" else c for c in pattern
        )


def _cumulative(weights):
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


def _weighted(rng, cum):
    """Index drawn with probability proportional to the weights behind cum."""
    return min(bisect.bisect_right(cum, rng.random() * cum[-1]), len(cum) - 1)


def _products(rng):
    products, seen = [], set()  # the set is only for membership tests
    for line, (count, scales, (lo, hi)) in PRODUCT_LINES.items():
        for _ in range(count):
            code = f"{rng.pick(scales)}_{rng.between(1000, 4999)}"
            while code in seen:
                code = f"{rng.pick(scales)}_{rng.between(1000, 4999)}"
            seen.add(code)
            products.append((code, line, rng.between(lo, hi)))
    return products


def _customers(rng):
    customers, weights, seen = [], [], set()
    for country, (n, share, territory, group, phone, cities) in COUNTRIES.items():
        firsts, lasts, street = NAMES[group]
        firsts, lasts = firsts.split(), lasts.split()
        splits = [0.3 + rng.random() for _ in range(n)]  # uneven customer sizes
        for split in splits:
            name = " ".join([rng.pick(NAME_START), rng.pick(NAME_MIDDLE)])
            end = rng.pick(NAME_END)
            name = name + end if end.startswith(",") else f"{name} {end}"
            while name in seen:
                name = f"{rng.pick(NAME_START)} {name}"
            seen.add(name)
            city, state, postal = rng.pick(cities)
            address = street.format(n=rng.between(1, 250), s=rng.pick(lasts), kind=rng.pick(["St.", "Ave.", "Blvd."]))
            line2 = rng.pick(["Suite 101", "Level 3", "2nd Floor", "Unit 5"]) if rng.random() < 0.12 else ""
            customers.append(
                [
                    name,
                    rng.fill(phone),
                    address,
                    line2,
                    city,
                    state,
                    rng.fill(postal),
                    country,
                    territory,
                    rng.pick(lasts),
                    rng.pick(firsts),
                ]
            )
            weights.append(share * split / sum(splits))
    return customers, _cumulative(weights)


def _calendar():
    """Every day of the period and the cumulative order volume up to it."""
    days, weights, day = [], [], FIRST_DAY
    while day <= LAST_DAY:
        days.append(day)
        # seasonal bump plus ~15 % yearly growth
        weights.append(MONTH_WEIGHT[day.month - 1] * (1 + 0.15 * (day.year - 2003)))
        day += dt.timedelta(days=1)
    return days, _cumulative(weights)


def _status(rng, day):
    r = rng.random()
    if (LAST_DAY - day).days < 21:  # newest orders are not shipped yet
        return "In Process" if r < 0.8 else "On Hold"
    if day.year == 2005 and r < 0.2:
        return ["On Hold", "Disputed", "Resolved"][int(r * 15)]
    if r < 0.02:
        return "Cancelled"
    if day.year >= 2004 and r < 0.035:
        return "Resolved" if r < 0.03 else "Disputed"
    return "Shipped"


def iter_rows(rows=DEFAULT_ROWS, seed=DEFAULT_SEED):
    """Yield the data rows (lists of strings), streaming; header not included."""
    rng = _Rand(seed)
    products = _products(rng)
    customers, customer_cum = _customers(rng)
    days, day_cum = _calendar()
    order, done = 10100, 0
    while done < rows:
        # Dates follow order numbers: map progress through the file onto the
        # seasonal calendar, so any --rows spans Jan 2003 - May 2005.
        pos = bisect.bisect_right(day_cum, done / rows * day_cum[-1])
        day = days[min(pos, len(days) - 1)]
        date = f"{day.month}/{day.day}/{day.year} 0:00"
        status = _status(rng, day)
        customer = customers[_weighted(rng, customer_cum)]
        n_lines = min(rng.between(1, 18), rows - done)
        # distinct products per order: partial Fisher-Yates over the catalogue
        idx = list(range(len(products)))
        for line_no in range(1, n_lines + 1):
            j = rng.between(line_no - 1, len(idx) - 1)
            idx[line_no - 1], idx[j] = idx[j], idx[line_no - 1]
            code, product_line, msrp = products[idx[line_no - 1]]
            r = rng.random()  # quantity: mostly 20-50, occasional small/bulk
            qty = rng.between(20, 50) if r < 0.85 else rng.between(6, 19) if r < 0.93 else rng.between(51, 97)
            cents = msrp * rng.between(800, 1150) // 10  # 80 %-115 % of MSRP
            sales = qty * cents
            deal = "Small" if sales < 300000 else "Medium" if sales < 700000 else "Large"
            yield [
                str(order),
                str(qty),
                f"{cents / 100:.2f}",
                str(line_no),
                f"{sales / 100:.2f}",
                date,
                status,
                str((day.month - 1) // 3 + 1),
                str(day.month),
                str(day.year),
                product_line,
                str(msrp),
                code,
                *customer,
                deal,
            ]
        done += n_lines
        order += 1


def write_csv(fileobj, rows=DEFAULT_ROWS, seed=DEFAULT_SEED):
    writer = csv.writer(fileobj, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    writer.writerow(HEADER)
    for row in iter_rows(rows, seed):
        writer.writerow(row)


def generate(rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED) -> str:
    """Return the whole CSV (header + rows) as one string."""
    buf = io.StringIO()
    write_csv(buf, rows, seed)
    return buf.getvalue()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help=f"number of data rows (default {DEFAULT_ROWS})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument(
        "--out",
        default=str(DEFAULT_OUT),
        help="output path, '-' for stdout (default: sales_data_sample.csv next to this script)",
    )
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    if args.out == "-":
        write_csv(sys.stdout, args.rows, args.seed)
    else:
        # newline="" keeps "\n" line endings on every OS
        with open(args.out, "w", newline="", encoding="utf-8") as f:
            write_csv(f, args.rows, args.seed)


if __name__ == "__main__":
    main()
