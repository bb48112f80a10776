"""YAML as users mean it: ``20180925_112730`` is a name, not the integer 20180925112730.

PyYAML follows YAML 1.1, where digits with underscores (and ``1:30``-style sexagesimals) are
numbers and ``yes``/``no``/``on``/``off`` are booleans. alcore's configs name drives, sequences
and runs with exactly such strings, so here numbers and booleans are the YAML 1.2 core forms
only; everything else stays the string it reads as.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9]*|0x[0-9a-fA-F]+|0o[0-7]+)$")
_FLOAT = re.compile(
    r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$"
)


class Loader(yaml.SafeLoader):
    """SafeLoader whose implicit ints and floats are YAML 1.2's (no underscores, no base 60)."""


_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool")
Loader.yaml_implicit_resolvers = {
    first: [
        (tag, rx) for tag, rx in resolvers if tag not in _NUMBER_TAGS
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Loader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))
Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _int(loader: Loader, node: yaml.Node) -> int:
    return int(loader.construct_scalar(node), 0)


Loader.add_constructor("tag:yaml.org,2002:int", _int)


def load(text: str) -> Any:
    """Parse YAML text with :class:`Loader`."""
    return yaml.load(text, Loader=Loader)  # noqa: S506 - a SafeLoader subclass


def scalar(text: str) -> Any:
    """A ``key=value`` value as typed on a command line: number, boolean, null or the string itself."""
    try:
        value = load(text)
    except yaml.YAMLError:
        return text
    return value if isinstance(value, (int, float, bool)) or value is None else text
