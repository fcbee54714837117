"""Chapter configurations: the parameters of the book's experiments, declared once.

Each chapter module (:mod:`beyond_mle.chapters`) declares one frozen :class:`ChapterConfig`
subclass. Its fields are the knobs of the chapter notebook's ``parameters`` cell, each declared
with :func:`param` (default, bounds or choices, help), and its class attributes give the
chapter's description and presets. The same class serves three readers:

* the notebook's second cell, ``config = Config.from_parameters(globals())``, which validates
  the values before any compute and passes ``config`` on to the chapter's functions;
* the runner, through :meth:`ChapterConfig.experiment`, the :class:`Experiment` that the
  registry lists (name, notebook, parameters as :class:`Param`, presets);
* the tests, which check the notebook's ``parameters`` cell against the fields.

:func:`parse_value` turns the command line's strings into values of a parameter's kind.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import numbers
import re
import types
from collections.abc import Iterable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = [
    "COMMON_PARAMETERS",
    "ChapterConfig",
    "KINDS",
    "PRESETS",
    "Experiment",
    "ExperimentError",
    "Param",
    "check_device",
    "common_params",
    "param",
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

    They are the fields of :class:`ChapterConfig`; an :class:`Experiment` declared by hand
    (without a chapter) starts from these.

    Args:
        seed: the notebook's default random seed.
        device: the notebook's default device.
    """
    common = ChapterConfig.params()
    defaults = {"seed": seed, "device": device}
    return {
        name: dataclasses.replace(spec, default=defaults.get(name, spec.default))
        for name, spec in common.items()
    }


@dataclass(frozen=True)
class Experiment:
    """A chapter notebook the runner can execute, its parameters and its presets.

    Args:
        name: the name used on the command line and under ``book/results/``: the chapter
            notebook's stem (lower case, digits and underscores).
        notebook: the notebook's path relative to the repository root.
        description: one line saying what the experiment shows.
        params: every knob of the notebook's ``parameters`` cell, including ``seed``,
            ``device`` and ``results_dir`` (see :func:`common_params`).
        presets: named parameter sets; ``book`` is ``{}`` (the notebook's own defaults) and
            ``paper`` is the paper's scale.
        config: the chapter's :class:`ChapterConfig`, whose checks across parameters (e.g.
            ``max_len >= min_len``) :meth:`validate` also runs; ``None`` for none.
    """

    name: str
    notebook: str
    description: str
    params: dict[str, Param]
    presets: dict[str, dict[str, Any]] = field(default_factory=dict)
    config: type[ChapterConfig] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", self.name) is None:
            raise ValueError(
                f"experiment name {self.name!r}: use lower case, digits and underscores"
            )
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
        if self.config is not None:
            try:
                self.config(**resolved)
            except ExperimentError as error:
                raise ExperimentError(f"experiment {self.name!r}: {error}") from None
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


_ANNOTATION_KINDS = {
    "int": "int",
    "float": "float",
    "str": "str",
    "bool": "bool",
    "tuple[int, ...]": "list[int]",
    "tuple[float, ...]": "list[float]",
}

_Config = TypeVar("_Config", bound="ChapterConfig")


def _annotation_text(annotation: Any) -> str:
    """A field's annotation as its source text (``int``, ``tuple[float, ...]``)."""
    if isinstance(annotation, type) and not isinstance(annotation, types.GenericAlias):
        return annotation.__name__
    return str(annotation)


def param(
    default: Any,
    *,
    help: str,
    low: float | None = None,
    high: float | None = None,
    choices: Iterable[Any] | None = None,
    kind: str | None = None,
) -> Any:
    """A field of a :class:`ChapterConfig`: one knob of the chapter's ``parameters`` cell.

    The field's annotation gives the kind (``int``, ``float``, ``str``, ``bool``,
    ``tuple[int, ...]`` or ``tuple[float, ...]``); ``kind="device"`` marks a device name.

    Args:
        default: the value in the notebook's ``parameters`` cell (a list becomes a tuple).
        help: what the parameter controls, in a few words (the cell's comment).
        low: smallest valid value (each element's, for tuples), inclusive.
        high: largest valid value, inclusive.
        choices: the only valid values, if given.
        kind: the kind, where the annotation does not give it (``"device"``).
    """
    if isinstance(default, list):
        default = tuple(default)
    spec: dict[str, Any] = {"low": low, "high": high, "help": help, "kind": kind}
    spec["choices"] = None if choices is None else tuple(choices)
    return field(default=default, metadata={"param": spec})


@dataclass(frozen=True)
class ChapterConfig:
    """The parameters of one chapter, validated: the base of every chapter's ``Config``.

    A chapter module ``beyond_mle.chapters.<name>`` declares one frozen subclass whose fields
    (each a :func:`param`) are the knobs of the notebook ``<part>/<name>.ipynb``, after the
    three every chapter has: ``seed``, ``device`` and ``results_dir``. Class attributes:

    * ``NOTEBOOK``: the notebook's path from the repository root; its stem is the module's
      name, which is also the experiment's name;
    * ``DESCRIPTION``: one line saying what the experiment shows;
    * ``PRESETS``: named sets of values; ``book`` is ``{}`` (the defaults), ``paper`` the
      paper's scale, and others as the chapter needs (``cpu-paper``: a converged CPU run).

    Constructing one validates every value (kind, bounds, choices) and the checks across
    values of :meth:`check`, and raises :class:`ExperimentError` naming the parameter, the
    value and the valid range; lists become tuples and numpy scalars Python numbers.

    Example:
        >>> from dataclasses import dataclass
        >>> @dataclass(frozen=True)
        ... class Squares(ChapterConfig):
        ...     NOTEBOOK = "book/squares.ipynb"
        ...     n: int = param(3, low=1, high=100, help="how many squares")
        >>> Squares(n=5).n
        5
        >>> Squares(n=0)
        Traceback (most recent call last):
        ...
        beyond_mle.config.ExperimentError: Squares: parameter 'n' = 0 is invalid: out of range: \
expected an integer in [1, 100]
    """

    NOTEBOOK: ClassVar[str] = ""
    DESCRIPTION: ClassVar[str] = ""
    PRESETS: ClassVar[dict[str, dict[str, Any]]] = {"book": {}, "paper": {}}

    seed: int = param(0, low=0, help="random seed")
    device: str = param("cpu", kind="device", help="torch device: cpu, cuda, cuda:N or auto")
    results_dir: str = param("", help="folder the notebook writes results.json to ('' for none)")

    def __post_init__(self) -> None:
        for name, spec in type(self).params().items():
            value = getattr(self, name)
            try:
                value = spec.normalise(value)
            except ExperimentError as error:
                raise ExperimentError(
                    f"{type(self).__name__}: parameter {name!r} = {value!r} is invalid: {error}"
                ) from None
            object.__setattr__(self, name, tuple(value) if spec.is_list else value)
        self.check()

    def check(self) -> None:
        """Checks across parameters; a subclass raises :meth:`invalid` when one fails."""

    def invalid(self, name: str, requirement: str) -> ExperimentError:
        """The error for parameter ``name`` failing ``requirement`` (e.g. ``">= min_len"``)."""
        return ExperimentError(
            f"{type(self).__name__}: parameter {name!r} = {getattr(self, name)!r} is invalid: "
            f"expected {requirement}"
        )

    @classmethod
    def name(cls) -> str:
        """The chapter's name: its module's, its notebook's stem and its experiment's."""
        return cls.__module__.rpartition(".")[2]

    @classmethod
    def params(cls) -> dict[str, Param]:
        """Every parameter as a :class:`Param`, in the ``parameters`` cell's order."""
        cached = cls.__dict__.get("_param_cache")
        if cached is not None:
            return dict(cached)
        built: dict[str, Param] = {}
        for item in fields(cls):
            spec = dict(item.metadata.get("param") or {})
            if not spec:
                raise TypeError(f"{cls.__name__}.{item.name}: declare it with param()")
            annotation = item.type if isinstance(item.type, str) else _annotation_text(item.type)
            kind = spec.pop("kind") or _ANNOTATION_KINDS.get(annotation)
            if kind is None:
                raise TypeError(
                    f"{cls.__name__}.{item.name}: annotation {annotation!r} is not one of "
                    f"{', '.join(_ANNOTATION_KINDS)}"
                )
            default = item.default if item.default is not MISSING else None
            built[item.name] = Param(kind, default, **spec)
        type.__setattr__(cls, "_param_cache", built)
        return dict(built)

    @classmethod
    def experiment(cls) -> Experiment:
        """The chapter's :class:`Experiment`: what the runner and the registry use.

        Raises:
            ValueError: if the notebook's stem is not the module's name, or a preset is invalid.
        """
        name = cls.name()
        stem = cls.NOTEBOOK.rpartition("/")[2].removesuffix(".ipynb")
        if stem != name:
            raise ValueError(
                f"{cls.__name__}: notebook {cls.NOTEBOOK!r} must be named like its module "
                f"({name}.ipynb)"
            )
        return Experiment(
            name=name,
            notebook=cls.NOTEBOOK,
            description=cls.DESCRIPTION,
            params=cls.params(),
            presets={preset: dict(values) for preset, values in cls.PRESETS.items()},
            config=cls,
        )

    @classmethod
    def from_parameters(
        cls: type[_Config], namespace: Mapping[str, Any] | None = None, /, **values: Any
    ) -> _Config:
        """The configuration of a notebook's parameters, validated before any compute.

        A chapter's second cell calls ``config = Config.from_parameters(globals())``: every
        field found in ``namespace`` is read from it (other names are ignored), then
        ``values`` replace those; missing fields keep their defaults.

        Raises:
            ExperimentError: an unknown name in ``values``, an invalid value or a check
                across values that fails, or a CUDA device where there is none.
        """
        params = cls.params()
        unknown = [name for name in values if name not in params]
        if unknown:
            raise ExperimentError(
                f"{cls.__name__} has no parameter {unknown[0]!r}"
                f"{_did_you_mean(unknown[0], params)}; valid parameters: {', '.join(params)}"
            )
        chosen = {name: namespace[name] for name in params if namespace and name in namespace}
        config = cls(**{**chosen, **values})
        for name, spec in params.items():
            if spec.kind == "device":
                problem = check_device(getattr(config, name))
                if problem is not None:
                    raise ExperimentError(f"{cls.__name__}: parameter {name!r}: {problem}")
        return config

    @classmethod
    def preset(cls: type[_Config], preset: str, **values: Any) -> _Config:
        """The configuration of a preset, with ``values`` replacing some of its values."""
        return cls.from_parameters(cls.experiment().preset(preset), **values)
