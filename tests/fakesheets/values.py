"""Cell values in and out: USER_ENTERED parsing, formula arithmetic, render options, formats."""

from __future__ import annotations

import ast
import datetime as dt
import math
import operator
import re
from typing import Any

from .model import SERIAL_EPOCH, Cell, Formula, Sheet

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_PERCENT = re.compile(r"^([+-]?\d+(\.\d+)?)%$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_DATE_TOKENS = re.compile(r'yyyy|yy|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|ss|s|am/pm|"[^"]*"|.', re.I)
_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}

DATE_TYPES = ("DATE", "DATE_TIME", "TIME")


def to_serial(value: dt.date | dt.datetime) -> float | int:
    """A date or date-time as a Sheets serial number (days since 1899-12-30)."""
    if isinstance(value, dt.datetime):
        delta = value - dt.datetime.combine(SERIAL_EPOCH, dt.time())
        return delta.days + delta.seconds / 86400
    return (value - SERIAL_EPOCH).days


def from_serial(serial: float) -> dt.datetime:
    return dt.datetime.combine(SERIAL_EPOCH, dt.time()) + dt.timedelta(days=serial)


def parse_user_entered(raw: Any) -> tuple[Any, dict[str, Any] | None]:
    """What the Sheets UI would store for typed text: (value, numberFormat or None)."""
    if not isinstance(raw, str):
        return raw, None
    text = raw.strip()
    if raw.startswith("="):
        return Formula(raw), None
    if raw.startswith("'"):
        return raw[1:], None
    if text.upper() in ("TRUE", "FALSE"):
        return text.upper() == "TRUE", None
    if _NUMBER.match(text):
        number = float(text)
        return (int(number) if number.is_integer() and "." not in text else number), None
    match = _PERCENT.match(text)
    if match:
        decimals = len(match.group(2) or "") - 1 if match.group(2) else 0
        pattern = "0." + "0" * decimals + "%" if decimals > 0 else "0%"
        return float(match.group(1)) / 100, {"type": "PERCENT", "pattern": pattern}
    match = _ISO_DATE.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        try:
            return to_serial(dt.date(year, month, day)), {"type": "DATE", "pattern": "yyyy-mm-dd"}
        except ValueError:
            return raw, None
    match = _US_DATE.match(text)
    if match:
        month, day, year = (int(g) for g in match.groups())
        try:
            return to_serial(dt.date(year, month, day)), {"type": "DATE", "pattern": "M/d/yyyy"}
        except ValueError:
            return raw, None
    return raw, None


def _arith(node: ast.AST) -> float:
    if isinstance(node, ast.Expression):
        return _arith(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_arith(node.left), _arith(node.right))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _arith(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    raise ValueError("not arithmetic")


def evaluate(formula: str) -> Any:
    """The computed value of a formula. The fake knows arithmetic only; anything else is #NAME?."""
    try:
        value = _arith(ast.parse(formula[1:].replace("^", "**"), mode="eval"))
    except ZeroDivisionError:
        return "#DIV/0!"
    except (SyntaxError, ValueError, TypeError):
        return "#NAME?"
    return value


def effective(cell: Cell | None) -> Any:
    if cell is None:
        return None
    if isinstance(cell.value, Formula):
        return evaluate(cell.value)
    return cell.value


def json_number(value: float | int) -> float | int:
    """Google prints integral numbers without a fraction (``43831``, ``2``)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def general_number(value: float | int) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return "#NUM!"
    value = json_number(value)
    if isinstance(value, int):
        return str(value)
    text = f"{value:.15g}"
    if "e" in text:
        mantissa, exp = text.split("e")
        return f"{mantissa}E{'+' if int(exp) >= 0 else '-'}{abs(int(exp)):02d}"
    return text


def format_date(serial: float, pattern: str) -> str:
    moment = from_serial(serial)
    out = []
    tokens = _DATE_TOKENS.findall(pattern)
    for i, token in enumerate(tokens):
        low = token.lower()
        if low == "yyyy":
            out.append(f"{moment.year:04d}")
        elif low == "yy":
            out.append(f"{moment.year % 100:02d}")
        elif low == "mmmm":
            out.append(moment.strftime("%B"))
        elif low == "mmm":
            out.append(moment.strftime("%b"))
        elif low in ("mm", "m"):
            after_hour = any(t.lower() in ("h", "hh") for t in tokens[:i][-2:])
            number = moment.minute if after_hour else moment.month
            out.append(f"{number:02d}" if low == "mm" else str(number))
        elif low == "dddd":
            out.append(moment.strftime("%A"))
        elif low == "ddd":
            out.append(moment.strftime("%a"))
        elif low == "dd":
            out.append(f"{moment.day:02d}")
        elif low == "d":
            out.append(str(moment.day))
        elif low == "hh":
            out.append(f"{moment.hour:02d}")
        elif low == "h":
            out.append(str(moment.hour))
        elif low == "ss":
            out.append(f"{moment.second:02d}")
        elif low == "s":
            out.append(str(moment.second))
        elif token.startswith('"'):
            out.append(token[1:-1])
        else:
            out.append(token)
    return "".join(out)


def format_number(value: float | int, number_format: dict[str, Any] | None) -> str:
    """FORMATTED_VALUE of a number under a cell's number format (a useful subset)."""
    if not number_format:
        return general_number(value)
    kind = number_format.get("type", "NUMBER")
    pattern = number_format.get("pattern") or ""
    if kind in DATE_TYPES:
        default = {"DATE": "M/d/yyyy", "DATE_TIME": "M/d/yyyy H:mm:ss", "TIME": "h:mm:ss"}[kind]
        return format_date(float(value), pattern or default)
    if kind == "PERCENT":
        decimals = pattern.split(".")[1].count("0") if "." in pattern else 0
        return f"{value * 100:.{decimals}f}%"
    if kind == "TEXT":
        return general_number(value)
    if pattern and set(pattern) <= set("#,0."):
        decimals = pattern.split(".")[1].count("0") if "." in pattern else 0
        grouped = "," in pattern
        return f"{value:,.{decimals}f}" if grouped else f"{value:.{decimals}f}"
    return general_number(value)


def number_format_of(cell: Cell | None) -> dict[str, Any] | None:
    if cell is None or not cell.fmt:
        return None
    return cell.fmt.get("numberFormat")


def render(cell: Cell | None, value_render: str, datetime_render: str) -> Any:
    """One cell as values.get renders it; "" for an empty cell."""
    if cell is None or cell.value is None:
        return ""
    if value_render == "FORMULA" and isinstance(cell.value, Formula):
        return str(cell.value)
    value = effective(cell)
    if value is None:
        return ""
    number_format = number_format_of(cell)
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE") if value_render == "FORMATTED_VALUE" else value
    if isinstance(value, int | float):
        if value_render == "FORMATTED_VALUE":
            return format_number(value, number_format)
        is_date = bool(number_format) and number_format.get("type") in DATE_TYPES
        if is_date and datetime_render == "FORMATTED_STRING":
            return format_number(value, number_format)
        return json_number(value)
    return value


def formatted(cell: Cell | None) -> str | None:
    if cell is None or cell.value is None:
        return None
    return str(render(cell, "FORMATTED_VALUE", "FORMATTED_STRING"))


def extended_value(value: Any) -> dict[str, Any]:
    """A Python value as the API's ExtendedValue."""
    if isinstance(value, Formula):
        return {"formulaValue": str(value)}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int | float):
        return {"numberValue": json_number(value)}
    return {"stringValue": value}


FORMULA_ERRORS = {"#NAME?": "NAME", "#DIV/0!": "DIVIDE_BY_ZERO", "#NUM!": "NUM"}


def effective_value(cell: Cell) -> dict[str, Any]:
    """The ExtendedValue of what a cell shows (a formula's result, or an error)."""
    value = effective(cell)
    if isinstance(cell.value, Formula) and value in FORMULA_ERRORS:
        return {"errorValue": {"type": FORMULA_ERRORS[value], "message": value}}
    return extended_value(value)


def read_values(
    sheet: Sheet,
    bounds: tuple[int, int, int, int],
    major: str = "ROWS",
    value_render: str = "FORMATTED_VALUE",
    datetime_render: str = "SERIAL_NUMBER",
) -> list[list[Any]]:
    """The ``values`` of a range: trailing blanks trimmed per line, blank lines inside as []."""
    r0, r1, c0, c1 = bounds
    lines: list[list[Any]] = []
    if major == "COLUMNS":
        for c in range(c0, c1):
            lines.append(
                [render(sheet.cell(r, c), value_render, datetime_render) for r in range(r0, r1)]
            )
    else:
        for r in range(r0, min(r1, len(sheet.rows))):
            line = sheet.rows[r]
            lines.append(
                [
                    render(line[c] if c < len(line) else None, value_render, datetime_render)
                    for c in range(c0, min(c1, len(line)))
                ]
            )
    for line in lines:
        while line and line[-1] == "":
            line.pop()
    while lines and not lines[-1]:
        lines.pop()
    return lines
