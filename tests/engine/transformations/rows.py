"""Collected rows as plain tuples, for comparing with literal expected rows."""


def rows(df):
    return [tuple(row) for row in df.collect()]


def sorted_rows(df):
    """Rows in a stable order (nulls first in each column), for steps that promise no order."""
    return sorted(
        rows(df), key=lambda row: tuple((v is not None, v if v is not None else 0) for v in row)
    )


def wide_schema(count=200):
    return ", ".join(f"c{i} int" for i in range(count))
