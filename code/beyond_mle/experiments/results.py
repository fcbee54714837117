"""Results of experiments as data: JSON (and CSV) written atomically, read back by chapters."""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from beyond_mle.experiments.paths import find_root, results_folder

__all__ = ["load_provenance", "load_results", "save_results", "to_jsonable", "write_atomic"]


def to_jsonable(value: Any) -> Any:
    """``value`` as plain JSON data: dicts, lists, strings, numbers, booleans and ``None``.

    Torch tensors and numpy arrays become (nested) lists, their scalars numbers; tuples and
    sets become lists; dataclasses dicts; paths strings; a pandas DataFrame a list of row
    records and a Series a dict. Non-finite floats stay as they are (``NaN``, ``Infinity``).

    Raises:
        TypeError: for a value of another type.

    Example:
        >>> import numpy as np, torch
        >>> to_jsonable({"bleu": torch.tensor(0.5), "counts": np.arange(3), 1: (np.float32(2),)})
        {'bleu': 0.5, 'counts': [0, 1, 2], '1': [2.0]}
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Mapping):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    if isinstance(value, set | frozenset):
        return [to_jsonable(item) for item in sorted(value, key=repr)]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(dataclasses.asdict(value))
    if hasattr(value, "to_dict") and hasattr(value, "columns"):  # pandas DataFrame
        return to_jsonable(value.to_dict(orient="records"))
    if hasattr(value, "to_dict"):  # pandas Series
        return to_jsonable(value.to_dict())
    if hasattr(value, "detach"):  # torch tensor
        return to_jsonable(value.detach().cpu().tolist())
    if hasattr(value, "tolist"):  # numpy array or scalar
        return to_jsonable(value.tolist())
    raise TypeError(f"cannot store a {type(value).__name__} as JSON: {value!r}")


def write_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` so that readers see the old file or the whole new one.

    The text goes to a temporary file in the same folder, which then replaces ``path``.
    """
    path = Path(path)
    handle = tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return path


def save_results(
    results_dir: str | os.PathLike[str], results: Any, name: str = "results.json"
) -> Path | None:
    """Write an experiment's results into ``results_dir`` (nothing when it is ``""``).

    Chapters call this at their end with their ``results_dir`` parameter: empty when the
    notebook is read or tested, a folder when the runner executes it.

    Args:
        results_dir: the folder (created if missing), or ``""`` to write nothing.
        results: for a ``.json`` name, a dict of anything :func:`to_jsonable` converts; for a
            ``.csv`` name, a pandas DataFrame (written without its index; ``reset_index()``
            first to keep it).
        name: the file name, ending in ``.json`` or ``.csv``.

    Returns:
        The path written, or ``None`` when ``results_dir`` is ``""``.
    """
    if not os.fspath(results_dir):
        return None
    folder = Path(results_dir)
    if name.endswith(".json"):
        text = json.dumps(to_jsonable(results), indent=2) + "\n"
    elif name.endswith(".csv"):
        if not hasattr(results, "to_csv"):
            raise TypeError(f"{name}: CSV results must be a pandas DataFrame")
        text = results.to_csv(index=False)
    else:
        raise ValueError(f"results file {name!r}: the name must end in .json or .csv")
    folder.mkdir(parents=True, exist_ok=True)
    return write_atomic(folder / name, text)


def _load_json(
    experiment: str, preset: str, root: str | os.PathLike[str] | None, name: str
) -> dict[str, Any] | None:
    path = results_folder(find_root() if root is None else root, experiment, preset) / name
    if not path.is_file():
        return None
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def load_results(
    experiment: str, preset: str, root: str | os.PathLike[str] | None = None
) -> dict[str, Any] | None:
    """The committed ``results.json`` of a run, for a chapter to draw; ``None`` if absent.

    Args:
        experiment: the experiment's name, e.g. ``"differentiable_bleu"``.
        preset: the results folder: a preset name, or ``<preset>+<key>=<value>...``.
        root: the repository root; by default found from the current directory.
    """
    return _load_json(experiment, preset, root, "results.json")


def load_provenance(
    experiment: str, preset: str, root: str | os.PathLike[str] | None = None
) -> dict[str, Any] | None:
    """The ``provenance.json`` of a run (parameters, revision, device, date); ``None`` if absent.

    Args:
        experiment: the experiment's name.
        preset: the results folder, as for :func:`load_results`.
        root: the repository root; by default found from the current directory.
    """
    return _load_json(experiment, preset, root, "provenance.json")
