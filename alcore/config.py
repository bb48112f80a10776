"""A run's configuration: defaults, then a YAML file, then command-line options, in that order."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from alcore.sdk.errors import ConfigError


@dataclass
class RunConfig:
    """Everything that defines an active-learning experiment."""

    dataset: str = "drivesim"
    dataset_options: dict[str, Any] = field(default_factory=dict)
    model: str = "mmseg"
    model_options: dict[str, Any] = field(default_factory=dict)
    ssl: str = "none"
    ssl_options: dict[str, Any] = field(default_factory=dict)
    acq: str = "coreset"
    acq_options: dict[str, Any] = field(default_factory=dict)
    cycles: int = 4
    initial: int = 16
    budget: int = 16
    seed: int = 0
    pool_file: str | None = None

    def validate(self) -> RunConfig:
        for name in ("cycles", "budget"):
            if getattr(self, name) < 1:
                raise ConfigError(f"--{name} must be at least 1, got {getattr(self, name)}")
        if self.initial < 1:
            raise ConfigError(f"--initial must be at least 1, got {self.initial}")
        if self.pool_file is not None and not isinstance(self.pool_file, str):
            raise ConfigError(f"'pool_file' must be a path string, got {self.pool_file!r}")
        return self

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str) -> RunConfig:
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ConfigError(
                f"{source}: unknown key '{unknown[0]}'; known keys: {', '.join(known)}"
            )
        values: dict[str, Any] = {}
        for key, value in data.items():
            default = getattr(cls(), key)
            if isinstance(default, dict):
                if value is None:
                    value = {}
                if not isinstance(value, dict):
                    raise ConfigError(f"{source}: '{key}' must be a mapping of option: value")
            elif isinstance(default, int) and not isinstance(default, bool):
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ConfigError(f"{source}: '{key}' must be an integer, got {value!r}")
            elif isinstance(default, str) and not isinstance(value, str):
                raise ConfigError(f"{source}: '{key}' must be a string, got {value!r}")
            values[key] = value
        return cls(**values)


def load_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML run config as a dict, with errors that name the file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file '{path}' does not exist")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"config file '{path}' is not valid YAML{where}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file '{path}' must hold a mapping of key: value")
    return data


def resolve(config_file: Path | None, overrides: dict[str, Any]) -> RunConfig:
    """Defaults, updated by ``config_file``, updated by non-None ``overrides``; validated."""
    data: dict[str, Any] = load_yaml(config_file) if config_file else {}
    cfg = RunConfig.from_dict(data, str(config_file) if config_file else "config")
    for key, value in overrides.items():
        if value is None:
            continue
        if key.endswith("_options"):
            merged = dict(getattr(cfg, key))
            merged.update(value)
            value = merged
        setattr(cfg, key, value)
    return cfg.validate()
