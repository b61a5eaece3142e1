"""A run's user strategy function: found from a config reference, hashed, rebuilt from source.

Runs never call the live object a notebook or module holds: :func:`user_code` takes its source
(the ``code_hash`` goes into the ``run_key``), and every run and replay calls the function
:func:`function_from_source` rebuilds from that stored source.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..config import RunConfig
from ..errors import ConfigError, Interrupted
from ..identity import code_hash, function_source

__all__ = ["UserCode", "user_code", "function_from_source"]


@dataclass(frozen=True)
class UserCode:
    """A user strategy function as a run holds it: its source, its name, and their hash."""

    source: str
    entry_point: str
    code_hash: str


def function_from_source(source: str, entry_point: str, *, where: str) -> Callable[..., Any]:
    """Build the user's function from its stored source, in an isolated namespace.

    Runs always call the function rebuilt from the hashed source, never the live object, so
    what ran is exactly what was hashed and what a replay will run. The namespace provides
    ``np``/``numpy`` and ``math``; anything else must be imported inside the function.
    """
    ns: dict[str, Any] = {"np": np, "numpy": np, "math": math, "__name__": "qrp_user_strategy"}
    try:
        # Executing the user's own stored code is the point: it is what the run_key hashed.
        exec(compile(source, f"<qrp user strategy {entry_point}>", "exec"), ns)
    except SyntaxError as exc:
        raise ConfigError(f"user strategy source does not compile: {exc.msg}",
                          where=f"{where} line {exc.lineno}", fix="fix the function's syntax") \
            from None
    except KeyboardInterrupt:
        raise _interrupted(f"defining the user strategy {entry_point!r}", where) from None
    except BaseException as exc:  # a decorator or default argument that runs code, or exits
        raise ConfigError(f"defining the user strategy raised {type(exc).__name__}: {exc}",
                          where=where, fix="define the function without side effects") \
            from None
    func = ns.get(entry_point)
    if not callable(func):
        raise ConfigError(f"user strategy source defines no function {entry_point!r}",
                          where=where, fix="name the function defined in the source")
    return func


def _interrupted(doing: str, where: str) -> Interrupted:
    return Interrupted(f"{doing} was interrupted (KeyboardInterrupt); nothing was recorded",
                       where=where, fix="run again and let it finish (no run had started)")


def user_code(cfg: RunConfig, namespace: dict[str, Any] | None,
              base_dir: Path | None) -> UserCode:
    """The function ``strategy.function`` names: from ``namespace`` (a notebook's), a
    ``"module:function"`` import or a ``"file.py:function"`` path (relative to ``base_dir``)."""
    ref = cfg.values["strategy"]["function"]
    where = cfg.where("strategy.function")
    func: Any = None
    if namespace is not None and ref in namespace:
        func = namespace[ref]
    elif ":" in ref:
        mod_ref, _, attr = ref.rpartition(":")
        if mod_ref.endswith(".py"):
            path = Path(mod_ref)
            if not path.is_absolute() and base_dir is not None:
                path = base_dir / path
            if not path.is_file():
                raise ConfigError(f"strategy file {str(path)!r} does not exist", where=where,
                                  fix="give a path relative to the config file, e.g. "
                                      "\"signals.py:my_signal\"")
            spec = importlib.util.spec_from_file_location(f"qrp_user_{path.stem}", path)
            if spec is None or spec.loader is None:
                raise ConfigError(f"cannot load {str(path)!r} as Python", where=where,
                                  fix="point at a .py file defining the function")
            module = importlib.util.module_from_spec(spec)
            _import_user_file(spec, module, path, where)
        else:
            try:
                module = importlib.import_module(mod_ref)
            except ImportError as exc:
                raise ConfigError(f"cannot import module {mod_ref!r}: {exc}", where=where,
                                  fix="check the module name or use \"file.py:function\"") \
                    from None
            except SyntaxError as exc:
                raise ConfigError(f"module {mod_ref!r} does not compile: {exc.msg}",
                                  where=f"{exc.filename} line {exc.lineno}",
                                  fix="fix the syntax error") from None
            except KeyboardInterrupt:
                raise _interrupted(f"importing module {mod_ref!r}", where) from None
            except BaseException as exc:
                raise ConfigError(f"importing module {mod_ref!r} raised "
                                  f"{type(exc).__name__}: {exc}", where=where,
                                  fix="make the module importable without side effects") \
                    from None
        func = getattr(module, attr, None)
    if not callable(func):
        raise ConfigError(f"unknown strategy function {ref!r}", where=where,
                          fix="define it in the notebook before the run, or write "
                              "\"module:function\" / \"file.py:function\"")
    source = function_source(func)
    entry = func.__name__
    return UserCode(source=source, entry_point=entry, code_hash=code_hash(source,
                                                                          entry_point=entry))


def _import_user_file(spec: Any, module: Any, path: Path, where: str) -> None:
    """Run a strategy file as a module; its syntax errors, exceptions and exits become clear
    errors that name the file and line (nothing is recorded: no run has started)."""
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise ConfigError(f"strategy file {str(path)!r} does not compile: {exc.msg}",
                          where=f"{path} line {exc.lineno}", fix="fix the syntax error") \
            from None
    except KeyboardInterrupt:
        raise _interrupted(f"loading strategy file {str(path)!r}", where) from None
    except BaseException as exc:
        raise ConfigError(f"loading strategy file {str(path)!r} raised "
                          f"{type(exc).__name__}: {exc}", where=where,
                          fix="make the file importable without side effects (no code that "
                              "runs or exits at import)") from None
