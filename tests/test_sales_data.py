"""Checks that data/sales_data_sample.csv is reproducible and internally consistent."""

import csv
import hashlib
import importlib.util
import io
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).resolve().parents[1] / "data"
CSV_PATH = DATA / "sales_data_sample.csv"
SCRIPT = DATA / "generate_sales.py"

HEADER = (
    "ORDERNUMBER,QUANTITYORDERED,PRICEEACH,ORDERLINENUMBER,SALES,ORDERDATE,"
    "STATUS,QTR_ID,MONTH_ID,YEAR_ID,PRODUCTLINE,MSRP,PRODUCTCODE,CUSTOMERNAME,"
    "PHONE,ADDRESSLINE1,ADDRESSLINE2,CITY,STATE,POSTALCODE,COUNTRY,TERRITORY,"
    "CONTACTLASTNAME,CONTACTFIRSTNAME,DEALSIZE"
).split(",")
N_COUNTRIES = 19  # what seed 2003 / 2823 rows produces


def _load_generator():
    # data/ is not a package, so import the script by path
    spec = importlib.util.spec_from_file_location("generate_sales", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = _load_generator()


@pytest.fixture(scope="module")
def rows():
    with open(CSV_PATH, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_regenerating_gives_committed_bytes():
    assert _sha(gen.generate().encode("utf-8")) == _sha(CSV_PATH.read_bytes())


def test_header_is_exact():
    with open(CSV_PATH, newline="", encoding="utf-8") as f:
        assert next(csv.reader(f)) == HEADER


def test_row_count(rows):
    assert len(rows) == 2823


def test_years_and_countries(rows):
    assert {r["YEAR_ID"] for r in rows} <= {"2003", "2004", "2005"}
    countries = {r["COUNTRY"] for r in rows}
    assert len(countries) == N_COUNTRIES and len(countries) >= 15


def test_sales_is_quantity_times_price(rows):
    for r in rows:
        expected = round(int(r["QUANTITYORDERED"]) * float(r["PRICEEACH"]), 2)
        assert float(r["SALES"]) == expected, r["ORDERNUMBER"]


def test_period_ids_match_orderdate(rows):
    for r in rows:
        d = datetime.strptime(r["ORDERDATE"], "%m/%d/%Y %H:%M")
        assert int(r["YEAR_ID"]) == d.year
        assert int(r["MONTH_ID"]) == d.month
        assert int(r["QTR_ID"]) == (d.month - 1) // 3 + 1


def test_orders_are_consistent(rows):
    lines, header_of = {}, {}
    for r in rows:
        order = r["ORDERNUMBER"]
        lines.setdefault(order, []).append(r["ORDERLINENUMBER"])
        header = (r["CUSTOMERNAME"], r["ORDERDATE"])
        assert header_of.setdefault(order, header) == header, order
    for order, nums in lines.items():
        assert len(nums) == len(set(nums)), order


def test_other_seed_gives_other_bytes():
    assert gen.generate(seed=2004) != gen.generate()


def test_cli_rows(tmp_path):
    out = tmp_path / "small.csv"
    subprocess.run([sys.executable, str(SCRIPT), "--rows", "50", "--out", str(out)], check=True)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].split(",") == HEADER
    assert len(lines) - 1 == 50  # no quoted field contains a newline


def test_parses_with_pandas():
    # keep_default_na=False: TERRITORY "NA" (North America) is not a missing value
    df = pd.read_csv(CSV_PATH, keep_default_na=False)
    assert list(df.columns) == HEADER
    assert len(df) == 2823
    assert (df["TERRITORY"] == "NA").any()
    df_default = pd.read_csv(io.StringIO(gen.generate(rows=50)))
    assert len(df_default) == 50
