"""Opens the regulators' export files with standard readers and checks they agree.

Usage: python tests/export/check.py DIR   (`make export-check` after `make demo`)

For every statistics-*.parquet in DIR: pyarrow reads it with the documented types (text
columns not null, figures nullable int64, flags bool); DuckDB reads the CSV twin and the
Parquet file, and every integer column sums to the same total in both; the column names
are the ones docs/export.md lists, in order.
"""

import pathlib
import re
import sys

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = pathlib.Path(__file__).resolve().parents[2]


def documented_columns():
    text = (ROOT / "docs" / "export.md").read_text(encoding="utf-8")
    return re.findall(r"^\| `([a-z0-9_]+)` \|", text, flags=re.M)


def check(parquet: pathlib.Path, columns):
    table = pq.read_table(parquet)
    assert table.column_names == columns, f"{parquet.name}: columns differ from docs/export.md"
    for field in table.schema:
        if field.type == pa.string():
            assert not field.nullable, f"{field.name}: text is never null"
        elif field.type == pa.bool_():
            assert not field.nullable, f"{field.name}: flags are never null"
        else:
            assert field.type == pa.int64(), f"{field.name}: {field.type}"
    csv = parquet.with_suffix(".csv")
    counts = [f"sum({c})" for c, t in zip(table.column_names, table.schema.types) if t == pa.int64()]
    query = "select count(*), " + ", ".join(counts) + " from {}"
    from_parquet = duckdb.sql(query.format(f"'{parquet}'")).fetchall()[0]
    from_csv = duckdb.sql(query.format(f"read_csv('{csv}', header = true, all_varchar = false)")).fetchall()[0]
    assert from_parquet == from_csv, f"{parquet.name}: CSV and Parquet disagree"
    totals = dict(zip(["rows"] + [c[4:-1] for c in counts], from_parquet))
    by_type = sum(v or 0 for c, v in totals.items() if c.startswith("benefits_") and c != "benefits_fen")
    print(f"{parquet.name}: {table.num_rows} rows; orders {totals['orders']}, "
          f"claims {totals['claims']}, benefits shown by type {by_type} fen — CSV and Parquet agree")


def main():
    directory = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / ".local" / "demo")
    files = sorted(directory.glob("statistics-*.parquet"))
    if not files:
        sys.exit(f"no statistics-*.parquet in {directory}: run `make demo` first")
    columns = documented_columns()
    for parquet in files:
        check(parquet, columns)


if __name__ == "__main__":
    main()
