"""A run's configuration: defaults, then a YAML file, then command-line options, in that order."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from alcore import yamlio
from alcore.sdk.errors import ConfigError
from alcore.sdk.limits import check_yaml

#: inclusive bounds of the numeric settings; a model derives per-cycle seeds as seed * 1000 + cycle,
#: which must stay below 2**32
BOUNDS = {"cycles": (1, 1000), "initial": (1, 10_000_000), "budget": (1, 10_000_000),
          "seed": (0, 4_000_000)}


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
        for name in BOUNDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"--{name} must be an integer, got {value!r}")
            _check_range(name, value)
        for name in ("dataset", "model", "ssl", "acq"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ConfigError(f"--{name} must be a name, got {getattr(self, name)!r}")
        for name in ("dataset_options", "model_options", "ssl_options", "acq_options"):
            bad = next((k for k in getattr(self, name) if not isinstance(k, str)), None)
            if bad is not None:
                raise ConfigError(f"'{name}' has a key {bad!r} that is not a name")
        if self.pool_file is not None and not isinstance(self.pool_file, str):
            raise ConfigError(f"'pool_file' must be a path string, got {self.pool_file!r}")
        return self

    def option_sets(self) -> list[tuple[str, str, dict[str, Any]]]:
        """Each plugin kind and name this config uses, with the options it gives that plugin."""
        return [("acquisition", self.acq, self.acq_options), ("ssl", self.ssl, self.ssl_options),
                ("dataset", self.dataset, self.dataset_options), ("model", self.model, self.model_options)]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str) -> RunConfig:
        known = {f.name: f for f in dataclasses.fields(cls)}
        odd = next((k for k in data if not isinstance(k, str)), None)
        if odd is not None:
            raise ConfigError(f"{source}: key {odd!r} is not a name; keys are: {', '.join(known)}")
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
    text = read_config_text(path)
    try:
        data = yamlio.load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"config file '{path}' is not valid YAML{where}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file '{path}' must hold a mapping of key: value")
    return data


def read_config_text(path: Path) -> str:
    """A config file's text, checked for size and alias expansion before it is parsed."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"config file '{path}' is not UTF-8 text") from None
    check_yaml(text, path)
    return text


def check_bounds(values: dict[str, Any]) -> None:
    """Check the numeric settings given (None: not given) against :data:`BOUNDS`, at parse time."""
    for name, value in values.items():
        if value is not None:
            _check_range(name, value)


def _check_range(name: str, value: int) -> None:
    low, high = BOUNDS[name]
    if value < low:
        raise ConfigError(f"--{name} must be at least {low}, got {value}")
    if value > high:
        raise ConfigError(f"--{name} must be at most {high}, got {value}")


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


def check_code_consent(model_options: dict[str, Any], named: Path | None, source: str) -> None:
    """Refuse a Python model config the user did not name on this command line.

    A Python config is executed when the model is built, so one named only inside a YAML run
    config, or inside a run directory being resumed (perhaps made by someone else), needs the
    user to name the same file with ``--model-config``; a different file would change the run.
    """
    config = model_options.get("config")
    if named is not None and (not isinstance(config, str) or Path(named).resolve() != Path(config).resolve()):
        raise ConfigError(f"--model-config {named} differs from the model config ({config or 'none'}) in "
                          f"{source}; a resumed run keeps its model")
    if not isinstance(config, str) or not config.endswith(".py"):
        return
    if named is None:
        raise ConfigError(
            f"{source} names the Python model config '{config}', and Python configs run code",
            hint=f"to trust it, name it on the command line: --model-config {config}",
        )
