"""A small sqllogictest parser and runner for SQLite's corpus, driven through a DB-API cursor.

The format (SQLite's `sqllogictest`, https://sqlite.org/sqllogictest): records are separated by
blank lines; lines starting with `#` are comments and are dropped wherever they are. A record is
one of

    statement ok|error          then the SQL on the following lines
    query <types> [nosort|rowsort|valuesort] [label]
                                then the SQL, a `----` line and the expected values, one per
                                line, or one line `<n> values hashing to <md5>`
    hash-threshold <n>          results with more than n values are compared by their hash
    halt                        stop reading the file

optionally preceded by `skipif <engine>` / `onlyif <engine>` lines (anything after the engine
name is a comment). We are engine `sqlite`.

Values are rendered as SQLite's reference runner (src/slt_sqlite.c) renders them, one string
each: NULL is `NULL`; type `I` is the value as sqlite3_column_int() gives it (an integer as is,
a real truncated toward zero, a text's leading integer else 0; like that function, the low 32
bits of the 64-bit value); `R` is `%.3f` of the value as a double (a text's leading number,
else 0.0) printed as SQLite's printf prints it (at most 16 significant digits, ties rounded away
from zero, no `-` on zero); `T` is the text (a real as SQLite turns it into text, `%!.15g`),
`(empty)` for an empty string, each byte outside printable ASCII (< 0x20 or > 0x7e) replaced
by `@`. A bytes value from the driver is taken as its text.

`rowsort` sorts the rows and `valuesort` all values, comparing the rendered strings byte-wise;
the md5 is over each rendered value followed by a newline, in that order. A query with a label
must give the same hash as every earlier query with that label in the file.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Callable, Iterable

try:
    import sqlite3  # only for sqlite3.complete_statement()
except ImportError:  # a Python built without it: statements are sent as they are
    sqlite3 = None

ENGINE = "sqlite"
DEFAULT_HASH_THRESHOLD = 8  # the reference runner's default
MAX_FAILURES = 10  # per file: a run stops after this many, so one run shows several

_HASH_LINE = re.compile(r"^(\d+) values hashing to ([0-9a-f]{32})$")
_LEADING_INT = re.compile(rb"^[ \t\n\f\r\v]*([+-]?[0-9]+)")
_LEADING_REAL = re.compile(
    rb"^[ \t\n\f\r\v]*([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class ParseError(Exception):
    pass


@dataclass
class Record:
    line: int  # line number of its `statement`/`query`/... line (after any conditions)
    kind: str  # "statement", "query", "hash-threshold" or "halt"
    conditions: list[tuple[str, str]] = field(default_factory=list)  # ("skipif", "mysql")
    sql: str = ""
    expect_error: bool = False  # statement error
    types: str = ""  # query: one of I, R, T per column
    sort: str = "nosort"
    label: str | None = None
    expected: list[str] | None = None  # query: the values, or None if given as a hash
    expected_hash: str | None = None  # query: "<n> values hashing to <md5>"
    threshold: int = 0  # hash-threshold

    def applies(self, engine: str = ENGINE) -> bool:
        for kind, name in self.conditions:
            match = name.lower() == engine
            if (kind == "skipif" and match) or (kind == "onlyif" and not match):
                return False
        return True


def parse(text: str) -> list[Record]:
    """Splits a sqllogictest file into records (raises ParseError on a malformed one)."""
    records = []
    block: list[tuple[int, str]] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip("\r")
        if line.startswith("#"):
            continue
        if line.strip():
            block.append((number, line))
        elif block:
            records.append(_parse_record(block))
            block = []
    if block:
        records.append(_parse_record(block))
    return records


def _parse_record(block: list[tuple[int, str]]) -> Record:
    first = block[0][0]
    conditions = []
    while block and block[0][1].split()[0] in ("skipif", "onlyif"):
        words = block[0][1].split()
        if len(words) < 2:
            raise ParseError(f"line {block[0][0]}: {words[0]} without an engine")
        conditions.append((words[0], words[1]))
        block = block[1:]
    if not block:
        raise ParseError(f"line {first}: conditions without a record")
    number, head = block[0]
    words = head.split()
    body = [text for _, text in block[1:]]
    record = Record(line=number, kind=words[0], conditions=conditions)
    if words[0] == "statement":
        if len(words) < 2 or words[1] not in ("ok", "error"):
            raise ParseError(f"line {number}: statement must be 'ok' or 'error': {head!r}")
        record.expect_error = words[1] == "error"
        record.sql = "\n".join(body)
    elif words[0] == "query":
        if len(words) < 2 or not re.fullmatch(r"[IRT]+", words[1]):
            raise ParseError(f"line {number}: bad query type string: {head!r}")
        record.types = words[1]
        record.sort = words[2] if len(words) > 2 else "nosort"
        if record.sort not in ("nosort", "rowsort", "valuesort"):
            raise ParseError(f"line {number}: unknown sort mode {record.sort!r}")
        record.label = words[3] if len(words) > 3 else None
        if "----" in body:
            split = body.index("----")
            sql, results = body[:split], body[split + 1:]
        else:
            sql, results = body, []
        record.sql = "\n".join(sql)
        if len(results) == 1 and _HASH_LINE.match(results[0]):
            record.expected_hash = results[0]
        else:
            record.expected = results
    elif words[0] == "hash-threshold":
        if len(words) < 2 or not words[1].isdigit():
            raise ParseError(f"line {number}: bad hash-threshold: {head!r}")
        record.threshold = int(words[1])
    elif words[0] == "halt":
        pass
    else:
        raise ParseError(f"line {number}: unknown record type {words[0]!r}")
    if record.kind in ("statement", "query") and not record.sql.strip():
        raise ParseError(f"line {number}: {record.kind} without SQL")
    return record


def split_statements(sql: str) -> list[str]:
    """The statements of `sql`, cut where SQLite's sqlite3_complete() sees one end (so a
    trigger's body stays whole). The reference runner runs a statement record with
    sqlite3_exec(), which takes several statements; the extended protocol takes one at a time.
    """
    if sqlite3 is None or ";" not in sql.rstrip().rstrip(";"):
        return [sql]
    parts, start = [], 0
    for i, c in enumerate(sql):
        if c == ";" and sqlite3.complete_statement(sql[start:i + 1]):
            parts.append(sql[start:i + 1])
            start = i + 1
    parts.append(sql[start:])
    return [p.strip() for p in parts if p.strip(" \t\r\n;")]


# Rendering values as SQLite's reference runner does.

def _as_bytes(value) -> bytes:
    """The value as sqlite3_column_text() would give it (UTF-8), up to its first NUL."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
    elif isinstance(value, bool):
        data = b"1" if value else b"0"
    elif isinstance(value, int):
        data = str(value).encode()
    elif isinstance(value, float):
        data = _real_as_text(value).encode()
    else:
        data = str(value).encode("utf-8")
    return data.split(b"\0", 1)[0]


def _real_as_text(r: float) -> str:
    """SQLite's text of a REAL: printf("%!.15g") (a ".0" when there is no point or exponent)."""
    if math.isnan(r):
        return "NaN"
    if math.isinf(r):
        return "Inf" if r > 0 else "-Inf"
    s = "%.15g" % r
    mantissa, e, exponent = s.partition("e")
    if "." not in mantissa:
        mantissa += ".0"
    return mantissa + e + exponent


def _as_int(value) -> int:
    if isinstance(value, bool):
        n = int(value)
    elif isinstance(value, int):
        n = value
    elif isinstance(value, float):
        if math.isnan(value):
            n = 0
        elif value <= _INT64_MIN:
            n = _INT64_MIN
        elif value >= _INT64_MAX:
            n = _INT64_MAX
        else:
            n = int(value)  # toward zero
    else:
        m = _LEADING_INT.match(_as_bytes(value))
        n = max(_INT64_MIN, min(_INT64_MAX, int(m.group(1)))) if m else 0
    # sqlite3_column_int(): the low 32 bits of the 64-bit value.
    return (n + 2**31) % 2**32 - 2**31


def _as_real(value) -> float:
    if isinstance(value, (bool, int, float)):
        return float(value)
    m = _LEADING_REAL.match(_as_bytes(value))
    return float(m.group(1)) if m else 0.0


def _format_real(r: float) -> str:
    """printf("%.3f") as SQLite's own printf does it."""
    if math.isnan(r):
        return "NaN"
    if math.isinf(r):
        return "Inf" if r > 0 else "-Inf"
    if r == 0:
        return "0.000"
    d = Decimal(r)  # exact
    # Three decimals, but never more than 16 significant digits (the rest print as zeros).
    exponent = max(-3, d.adjusted() - 15)
    rounded = d.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP)
    return f"{rounded:.3f}"


def format_value(value, type_char: str) -> str:
    if value is None:
        return "NULL"
    if type_char == "I":
        return str(_as_int(value))
    if type_char == "R":
        return _format_real(_as_real(value))
    text = _as_bytes(value)
    if not text:
        return "(empty)"
    return "".join(chr(b) if 0x20 <= b <= 0x7E else "@" for b in text)


def _digest(values: list[str]) -> str:
    md5 = hashlib.md5()
    for v in values:
        md5.update(v.encode("latin-1"))  # rendered values are printable ASCII only
        md5.update(b"\n")
    return f"{len(values)} values hashing to {md5.hexdigest()}"


def render(rows: Iterable[tuple], record: Record) -> list[str]:
    """The rendered, sorted values of a query's rows."""
    formatted = [[format_value(v, t) for v, t in zip(row, record.types)] for row in rows]
    if record.sort == "rowsort":
        formatted.sort(key=lambda row: [v.encode("latin-1") for v in row])
    values = [v for row in formatted for v in row]
    if record.sort == "valuesort":
        values.sort(key=lambda v: v.encode("latin-1"))
    return values


# Running a file.

@dataclass
class Failure:
    line: int
    sql: str
    expected: str
    actual: str

    def describe(self, name: str) -> str:
        return (f"{name}:{self.line}\n  sql:      {_indent(self.sql)}\n"
                f"  expected: {_indent(self.expected)}\n  actual:   {_indent(self.actual)}")


@dataclass
class Report:
    name: str
    mode: str
    ran: int = 0
    skipped: int = 0
    failures: list[Failure] = field(default_factory=list)
    halted_at: int | None = None
    # (line, error) of queries that failed while running where no values were expected
    errors_as_empty: list[tuple[int, str]] = field(default_factory=list)
    stopped_early: bool = False
    seconds: float = 0.0

    def summary(self) -> str:
        s = (f"{self.name} [{self.mode}]: {self.ran} records ran, {self.skipped} skipped, "
             f"{len(self.failures)} failed, {self.seconds:.1f}s")
        if self.errors_as_empty:
            s += (" (failed while running where no values were expected, which the reference"
                  " runner takes as no values: "
                  + "; ".join(f"line {line}: {error}" for line, error in self.errors_as_empty)
                  + ")")
        if self.halted_at is not None:
            s += f" (halt at line {self.halted_at})"
        if self.stopped_early:
            s += f" (stopped after {MAX_FAILURES} failures)"
        return s

    def failure_text(self) -> str:
        head = self.summary()
        return head + "\n" + "\n".join(f.describe(self.name) for f in self.failures)


def _indent(text: str) -> str:
    return text.replace("\n", "\n            ")


def _show_values(values: list[str]) -> str:
    if len(values) > 40:
        shown = " ".join(values[:40]) + f" ... ({len(values)} values)"
    else:
        shown = " ".join(values) if values else "(no values)"
    return f"{shown}\n[{_digest(values)}]"


# execute(sql) runs one statement and returns (column count, rows) — rows is None for a
# statement without a result set — or raises the driver's error.
Execute = Callable[[str], "tuple[int, list[tuple] | None]"]


def run(path: Path, execute: Execute, *, name: str, mode: str,
        error_types: tuple = (Exception,)) -> Report:
    """Runs every record of the file at `path` that applies to SQLite through `execute`
    (errors of `error_types` count as the statement failing); `name` and `mode` label the
    report."""
    report = Report(name=name, mode=mode)
    started = time.monotonic()
    threshold = DEFAULT_HASH_THRESHOLD
    labels: dict[str, str] = {}
    records = parse(path.read_text(encoding="utf-8", errors="surrogateescape"))
    for record in records:
        if not record.applies():
            if record.kind in ("statement", "query"):
                report.skipped += 1
            continue
        if record.kind == "halt":
            report.halted_at = record.line
            break
        if record.kind == "hash-threshold":
            threshold = record.threshold
            continue
        report.ran += 1
        if record.kind == "statement":
            failure = _run_statement(record, execute, error_types)
        else:
            failure = _run_query(record, execute, error_types, threshold, labels, report)
        if failure:
            report.failures.append(failure)
            if len(report.failures) >= MAX_FAILURES:
                report.stopped_early = True
                break
    report.seconds = time.monotonic() - started
    return report


def _error_text(e: BaseException) -> str:
    state = getattr(e, "sqlstate", None)
    message = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return f"error {type(e).__name__}" + (f" [{state}]" if state else "") + f": {message}"


def _run_statement(record: Record, execute: Execute, error_types: tuple) -> Failure | None:
    try:
        execute(record.sql)
    except error_types as e:
        if record.expect_error:
            return None
        return Failure(record.line, record.sql, "statement ok", _error_text(e))
    if record.expect_error:
        return Failure(record.line, record.sql, "statement error", "statement ok")
    return None


def _failed_while_running(e: BaseException) -> bool:
    """Whether an error is one SQLite raises while stepping a statement it could prepare
    (e.g. sum()'s "integer overflow"), not one of preparing it: SQLSTATE class 42 (syntax,
    unknown table, column or function) is the latter."""
    state = getattr(e, "sqlstate", None) or ""
    return not state.startswith("42")


def _run_query(record: Record, execute: Execute, error_types: tuple, threshold: int,
               labels: dict[str, str], report: Report) -> Failure | None:
    expected = (record.expected_hash if record.expected is None
                else _show_values(record.expected))
    try:
        columns, rows = execute(record.sql)
    except error_types as e:
        # The reference runner stops reading rows at an error of sqlite3_step() and compares
        # what it read: a query that fails while running expects no values. Over the wire a
        # failed query gives no rows, so such an error matches exactly that expectation.
        empty = _digest([])
        if _failed_while_running(e) and (record.expected == []
                                         or record.expected_hash == empty):
            report.errors_as_empty.append((record.line, _error_text(e)))
            return None
        return Failure(record.line, record.sql, expected, _error_text(e))
    if rows is None or columns != len(record.types):
        got = "no result set" if rows is None else f"{columns} columns"
        return Failure(record.line, record.sql, expected,
                       f"{got}; the query expects {len(record.types)} ({record.types})")
    try:
        values = render(rows, record)
    except (TypeError, ValueError) as e:
        return Failure(record.line, record.sql, expected,
                       f"unrenderable row values {rows[:5]!r}: {e}")
    digest = _digest(values)
    if record.label is not None:
        previous = labels.setdefault(record.label, digest)
        if previous != digest:
            return Failure(record.line, record.sql,
                           f"{previous} (as earlier queries labelled {record.label})",
                           _show_values(values))
    if record.expected is None:
        ok = digest == record.expected_hash  # a hash is compared as one, whatever the threshold
    elif threshold > 0 and len(values) > threshold:
        ok = record.expected == [digest]  # as the reference runner: over it, only the hash
    else:
        ok = values == record.expected
    if ok:
        return None
    return Failure(record.line, record.sql, expected, _show_values(values))
