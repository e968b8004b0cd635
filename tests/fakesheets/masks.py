"""Field masks (``fields=sheets(properties,basicFilter)``) parsed and applied to JSON."""

from __future__ import annotations

from typing import Any

#: a parsed mask: name -> sub-mask, or True for "everything below"
Mask = dict[str, Any] | bool


def parse(text: str) -> Mask:
    """Parse ``a.b,c(d,e/f)`` into a tree; ``*`` or an empty text selects everything."""
    text = text.strip()
    if text in ("", "*"):
        return True
    tree, pos = _parse_list(text, 0)
    if pos != len(text):
        raise ValueError(f"bad field mask {text!r}")
    return tree


def _parse_list(text: str, pos: int) -> tuple[dict[str, Any], int]:
    tree: dict[str, Any] = {}
    while pos < len(text):
        start = pos
        while pos < len(text) and text[pos] not in ",()":
            pos += 1
        path = [p for p in text[start:pos].strip().replace("/", ".").split(".") if p]
        if pos < len(text) and text[pos] == "(":
            sub, pos = _parse_list(text, pos + 1)
            if pos >= len(text) or text[pos] != ")":
                raise ValueError(f"bad field mask {text!r}")
            pos += 1
            leaf: Mask = sub
        else:
            leaf = True
        _merge(tree, path, leaf)
        if pos < len(text) and text[pos] == ",":
            pos += 1
            continue
        break
    return tree, pos


def _merge(tree: dict[str, Any], path: list[str], leaf: Mask) -> None:
    if not path:
        return
    node = tree
    for name in path[:-1]:
        existing = node.get(name)
        if existing is True:
            return
        node = node.setdefault(name, {})
    last = path[-1]
    if leaf is True or node.get(last) is True:
        node[last] = True
    elif isinstance(node.get(last), dict):
        for key, value in leaf.items():  # type: ignore[union-attr]
            _merge(node[last], [key], value)
    else:
        node[last] = leaf


def mentions(mask: Mask, *path: str) -> bool:
    """Does the mask select anything under ``path``?"""
    node = mask
    for name in path:
        if node is True:
            return True
        if not isinstance(node, dict) or name not in node:
            return False
        node = node[name]
    return True


def apply(value: Any, mask: Mask) -> Any:
    """Keep only what the mask selects; lists are masked element by element."""
    if mask is True:
        return value
    if isinstance(value, list):
        return [apply(item, mask) for item in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, sub in mask.items():  # type: ignore[union-attr]
        if key in value:
            masked = apply(value[key], sub)
            if masked in ({}, [], None) and sub is not True:
                continue
            out[key] = masked
    return out


def leaves(mask: Mask, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The paths an update mask sets: ``a.b,c`` -> [("a", "b"), ("c",)]; ``*`` -> [()]."""
    if mask is True:
        return [prefix]
    out: list[tuple[str, ...]] = []
    for key, sub in mask.items():  # type: ignore[union-attr]
        out.extend(leaves(sub, (*prefix, key)))
    return out
