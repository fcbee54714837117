"""Parameter specifications of the book's experiments, and their validation.

An :class:`Experiment` names a chapter notebook, the knobs of its ``parameters`` cell (each a
:class:`Param`) and its presets. :func:`validate_parameters` checks values against the
specification before any compute, both in the runner (before a kernel starts) and in the
chapter's own second cell; :func:`parse_value` turns the command line's strings into values of
a parameter's kind.
"""

from __future__ import annotations

import difflib
import math
import numbers
import re
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = [
    "COMMON_PARAMETERS",
    "KINDS",
    "PRESETS",
    "Experiment",
    "ExperimentError",
    "Param",
    "check_device",
    "common_params",
    "parse_value",
    "resolve_device",
]

#: The kinds a parameter can have. ``device`` is a string naming a torch device.
KINDS = ("int", "float", "str", "bool", "device", "list[int]", "list[float]")

#: Parameters every experiment declares.
COMMON_PARAMETERS = ("seed", "device", "results_dir")

#: Presets every experiment defines: the notebook's own defaults and the paper's scale.
PRESETS = ("book", "paper")

_DEVICE_PATTERN = re.compile(r"cpu|auto|cuda(:\d+)?")
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


class ExperimentError(ValueError):
    """A request that does not fit an experiment's specification (name, preset or value)."""


def _kind_name(kind: Any) -> str:
    """The kind's name: accepts ``int``, ``float``, ``str``, ``bool``, ``list[int]`` or a name."""
    if isinstance(kind, types.GenericAlias):
        name = str(kind)
    elif isinstance(kind, type):
        name = kind.__name__
    else:
        name = str(kind)
    if name not in KINDS:
        raise ValueError(f"unknown parameter kind {kind!r}; valid kinds: {', '.join(KINDS)}")
    return name


def _format_number(value: float) -> str:
    """``1000000`` as ``1_000_000`` so that bounds stay readable."""
    if isinstance(value, int) and abs(value) >= 10_000:
        return f"{value:_}"
    return repr(value)


@dataclass(frozen=True)
class Param:
    """One knob of a chapter notebook's ``parameters`` cell.

    Args:
        kind: ``int``, ``float``, ``str``, ``bool``, ``list[int]``, ``list[float]`` (the types
            themselves or their names) or ``"device"`` (``"cpu"``, ``"cuda"``, ``"cuda:N"`` or
            ``"auto"``). Stored as its name.
        default: the value in the notebook's ``parameters`` cell (a tuple for list kinds).
        low: smallest valid value (each element's, for list kinds), inclusive; ``None``: no bound.
        high: largest valid value, inclusive; ``None``: no bound.
        choices: the only valid values, if given.
        help: what the parameter controls, in a few words.

    Example:
        >>> Param(int, 300, low=1, high=1_000_000, help="random corpora").describe()
        'an integer in [1, 1_000_000]'
    """

    kind: Any
    default: Any
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] | None = None
    help: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", _kind_name(self.kind))
        if self.choices is not None:
            object.__setattr__(self, "choices", tuple(self.choices))
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"Param bounds are empty: low={self.low!r} > high={self.high!r}")
        if isinstance(self.default, list):
            object.__setattr__(self, "default", tuple(self.default))
        problem = self.problem(self.default)
        if problem is not None:
            raise ValueError(f"Param default {self.default!r} is invalid: {problem}")

    @property
    def is_list(self) -> bool:
        """Whether the parameter holds a list of numbers."""
        return self.kind.startswith("list[")

    @property
    def element_kind(self) -> str:
        """The kind of one value (of one element, for list kinds)."""
        return self.kind[5:-1] if self.is_list else self.kind

    def range_text(self) -> str:
        """The bounds or choices in a few characters (``[1, 1000]``, ``>= 0``), or ``""``."""
        if self.choices is not None:
            return ", ".join(repr(choice) for choice in self.choices)
        if self.kind == "device":
            return "cpu, cuda, cuda:N, auto"
        if self.low is not None and self.high is not None:
            return f"[{_format_number(self.low)}, {_format_number(self.high)}]"
        if self.low is not None:
            return f">= {_format_number(self.low)}"
        if self.high is not None:
            return f"<= {_format_number(self.high)}"
        return ""

    def describe(self) -> str:
        """The valid values in words, as error messages print them."""
        if self.kind == "device":
            return "'cpu', 'cuda', 'cuda:N' or 'auto'"
        if self.choices is not None:
            return "one of " + ", ".join(repr(choice) for choice in self.choices)
        noun = {"int": "an integer", "float": "a number", "str": "a string", "bool": "true/false"}
        if self.is_list:
            text = f"a comma-separated list of {self.element_kind}s"
            bounds = self.range_text()
            return f"{text}, each in {bounds}" if bounds.startswith("[") else text
        text = noun[self.kind]
        bounds = self.range_text()
        if bounds.startswith("["):
            return f"{text} in {bounds}"
        return f"{text} {bounds}" if bounds else text

    def normalise(self, value: Any) -> Any:
        """``value`` as the plain Python value of this kind, or raise ``ExperimentError``."""
        problem = self.problem(value)
        if problem is not None:
            raise ExperimentError(problem)
        if self.is_list:
            return [_as_scalar(self.element_kind, item) for item in value]
        return _as_scalar(self.kind, value)

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is invalid for this parameter, or ``None`` if it is valid."""
        if self.is_list:
            if isinstance(value, str) or not isinstance(value, Iterable):
                return f"expected {self.describe()}"
            for item in value:
                problem = self._scalar_problem(self.element_kind, item)
                if problem is not None:
                    return f"element {item!r}: {problem}"
            return None
        return self._scalar_problem(self.kind, value)

    def _scalar_problem(self, kind: str, value: Any) -> str | None:
        if not _has_kind(kind, value):
            return f"expected {self.describe()}"
        if kind == "device" and _DEVICE_PATTERN.fullmatch(value) is None:
            return f"expected {self.describe()}"
        if self.choices is not None and value not in self.choices:
            return f"expected {self.describe()}"
        if kind in ("int", "float"):
            if isinstance(value, numbers.Real) and math.isnan(value):
                return f"expected {self.describe()}, not NaN"
            too_low = self.low is not None and value < self.low
            too_high = self.high is not None and value > self.high
            if too_low or too_high:
                return f"out of range: expected {self.describe()}"
        return None


def _has_kind(kind: str, value: Any) -> bool:
    """Whether ``value`` is a plain value of ``kind`` (booleans are not integers here)."""
    is_bool = isinstance(value, bool | np.bool_)
    if kind == "bool" or is_bool:
        return kind == "bool" and is_bool
    if kind == "int":
        return isinstance(value, numbers.Integral)
    if kind == "float":
        return isinstance(value, numbers.Real)
    return isinstance(value, str)


def _as_scalar(kind: str, value: Any) -> Any:
    """A valid value of ``kind`` as a builtin Python value (numpy scalars become numbers)."""
    return {"int": int, "float": float, "bool": bool}.get(kind, str)(value)


def check_device(device: str) -> str | None:
    """Why ``device`` cannot be used here, or ``None`` if it can.

    Valid names are ``"cpu"``, ``"auto"`` (CUDA when available), ``"cuda"`` and ``"cuda:N"``;
    the CUDA ones only when ``torch.cuda.is_available()`` and ``N`` is a present device.
    """
    if not isinstance(device, str) or _DEVICE_PATTERN.fullmatch(device) is None:
        return "expected 'cpu', 'cuda', 'cuda:N' or 'auto'"
    if not device.startswith("cuda"):
        return None
    import torch

    if not torch.cuda.is_available():
        return (
            f"device {device!r} was requested but CUDA is not available here "
            f"(torch {torch.__version__}, torch.cuda.is_available() is False); "
            "use device 'cpu' or 'auto'"
        )
    index = int(device.partition(":")[2] or 0)
    count = torch.cuda.device_count()
    if index >= count:
        return f"device {device!r} does not exist: this machine has {count} CUDA device(s)"
    return None


def resolve_device(device: str) -> torch.device:
    """The torch device an experiment runs on: ``"auto"`` is CUDA when available, else CPU.

    Args:
        device: ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"``.

    Returns:
        The ``torch.device``.

    Raises:
        ExperimentError: if the name is not one of these, or names CUDA where there is none.

    Example:
        >>> resolve_device("cpu")
        device(type='cpu')
    """
    import torch

    problem = check_device(device)
    if problem is not None:
        raise ExperimentError(f"parameter 'device' = {device!r}: {problem}")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def parse_value(param: Param, text: str) -> Any:
    """Parse a command-line string as a value of ``param``'s kind (not yet range-checked).

    Booleans read ``true/false``, ``yes/no``, ``on/off`` or ``1/0``; lists are comma-separated,
    optionally in brackets.

    Raises:
        ExperimentError: if the string does not read as that kind.

    Example:
        >>> parse_value(Param("list[float]", (1.0,)), "[0.5, 2]")
        [0.5, 2.0]
    """
    if param.is_list:
        body = text.strip().removeprefix("[").removesuffix("]").strip()
        items = [item.strip() for item in body.split(",")] if body else []
        return [_parse_scalar(param, param.element_kind, item) for item in items]
    return _parse_scalar(param, param.kind, text)


def _parse_scalar(param: Param, kind: str, text: str) -> Any:
    try:
        if kind == "int":
            return int(text)
        if kind == "float":
            return float(text)
    except ValueError:
        raise ExperimentError(f"{text!r} is not {param.describe()}") from None
    if kind == "bool":
        word = text.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise ExperimentError(f"{text!r} is not true/false")
    return text


def _did_you_mean(name: str, valid: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(valid), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def common_params(*, seed: int = 0, device: str = "cpu") -> dict[str, Param]:
    """The parameters every experiment declares: ``seed``, ``device`` and ``results_dir``.

    Args:
        seed: the notebook's default random seed.
        device: the notebook's default device.
    """
    return {
        "seed": Param(int, seed, low=0, help="random seed"),
        "device": Param("device", device, help="torch device ('auto': CUDA if available)"),
        "results_dir": Param(
            str, "", help="folder the notebook writes results.json to ('' for none)"
        ),
    }


@dataclass(frozen=True)
class Experiment:
    """A chapter notebook the runner can execute, its parameters and its presets.

    Args:
        name: the name used on the command line and under ``book/results/``
            (lower case, digits and dashes).
        notebook: the notebook's path relative to the repository root.
        description: one line saying what the experiment shows.
        params: every knob of the notebook's ``parameters`` cell, including ``seed``,
            ``device`` and ``results_dir`` (see :func:`common_params`).
        presets: named parameter sets; ``book`` is ``{}`` (the notebook's own defaults) and
            ``paper`` is the paper's scale.
    """

    name: str
    notebook: str
    description: str
    params: dict[str, Param]
    presets: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", self.name) is None:
            raise ValueError(f"experiment name {self.name!r}: use lower case, digits and dashes")
        if not self.notebook.endswith(".ipynb") or self.notebook.startswith("/"):
            raise ValueError(f"{self.name}: notebook {self.notebook!r} must be a relative .ipynb")
        missing = [name for name in COMMON_PARAMETERS if name not in self.params]
        if missing:
            raise ValueError(f"{self.name}: missing parameters {missing} (see common_params())")
        missing = [name for name in PRESETS if name not in self.presets]
        if missing:
            raise ValueError(f"{self.name}: missing presets {missing}")
        if self.presets["book"]:
            raise ValueError(f"{self.name}: preset 'book' must be {{}} (the notebook's defaults)")
        for preset, values in self.presets.items():
            try:
                self.validate(values, hardware=False)
            except ExperimentError as error:
                raise ValueError(f"{self.name}: preset {preset!r}: {error}") from None

    def defaults(self) -> dict[str, Any]:
        """The notebook's defaults, as plain Python values."""
        return {name: param.normalise(param.default) for name, param in self.params.items()}

    def check_names(self, names: Iterable[str]) -> None:
        """Raise ``ExperimentError`` if any of ``names`` is not a parameter of this experiment."""
        unknown = [name for name in names if name not in self.params]
        if unknown:
            first = unknown[0]
            raise ExperimentError(
                f"experiment {self.name!r} has no parameter {first!r}"
                f"{_did_you_mean(first, self.params)}; valid parameters: "
                f"{', '.join(sorted(self.params))}"
            )

    def validate(self, params: Mapping[str, Any], *, hardware: bool = True) -> dict[str, Any]:
        """Check ``params`` against the specification and fill in the defaults.

        Args:
            params: some or all of the parameters.
            hardware: also check that a requested CUDA device exists on this machine.

        Returns:
            Every parameter, in the specification's order, as plain Python values.

        Raises:
            ExperimentError: naming the parameter, the value and the valid values.
        """
        self.check_names(params)
        resolved = self.defaults()
        for name, value in params.items():
            param = self.params[name]
            try:
                resolved[name] = param.normalise(value)
            except ExperimentError as error:
                raise ExperimentError(
                    f"experiment {self.name!r}: parameter {name!r} = {value!r} is invalid: {error}"
                ) from None
        if hardware:
            for name, param in self.params.items():
                problem = check_device(resolved[name]) if param.kind == "device" else None
                if problem is not None:
                    raise ExperimentError(
                        f"experiment {self.name!r}: parameter {name!r}: {problem}"
                    )
        return resolved

    def parse(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        """Parse the string values of ``overrides`` by their parameter's kind.

        Values that are not strings are kept as they are (:meth:`validate` checks them).
        """
        self.check_names(overrides)
        parsed: dict[str, Any] = {}
        for name, value in overrides.items():
            param = self.params[name]
            if isinstance(value, str) and param.element_kind not in ("str", "device"):
                try:
                    value = parse_value(param, value)
                except ExperimentError as error:
                    raise ExperimentError(
                        f"experiment {self.name!r}: parameter {name!r}: {error}"
                    ) from None
            parsed[name] = value
        return parsed

    def preset(self, preset: str) -> dict[str, Any]:
        """The values preset ``preset`` sets, or ``ExperimentError`` listing the presets."""
        if preset not in self.presets:
            valid = "; ".join(
                f"{name} ({_preset_text(self.presets[name])})" for name in self.presets
            )
            raise ExperimentError(
                f"experiment {self.name!r} has no preset {preset!r}"
                f"{_did_you_mean(preset, self.presets)}; valid presets: {valid}"
            )
        return dict(self.presets[preset])

    def resolve(
        self, preset: str = "book", overrides: Mapping[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Every parameter for ``preset`` with ``overrides`` applied, validated.

        Args:
            preset: a preset name.
            overrides: values replacing the preset's; strings are parsed by the kind.

        Returns:
            ``(parameters, changed)``: all parameters, and those overrides that differ from
            the preset's value (what names the run's results folder).
        """
        base = self.validate(self.preset(preset), hardware=False)
        parameters = self.validate({**self.preset(preset), **self.parse(overrides or {})})
        changed = {name: value for name, value in parameters.items() if value != base[name]}
        return parameters, changed


def _preset_text(values: Mapping[str, Any]) -> str:
    """A preset's values as ``key=value`` pairs, or a note that it keeps the defaults."""
    if not values:
        return "the notebook's defaults"
    return " ".join(f"{name}={value}" for name, value in values.items())
