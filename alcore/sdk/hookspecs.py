"""The extension contract: pluggy hook specifications, in the order a run calls them.

Each ``register_*`` hook receives a ``register`` callback. A plugin calls it once per name it
provides::

    @hookimpl
    def register_acquisitions(register):
        register("mine", MyStrategy, help="one line", params=[Param("k", int, 10)])

``register(name, factory, help="", params=())`` records the factory under ``name`` for that kind.
A name registered twice is an error naming both plugins. Hooks only ever gain arguments.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("alcore")
hookimpl = pluggy.HookimplMarker("alcore")


@hookspec
def register_datasets(register: Any) -> None:
    """Register dataset factories.

    Called once, when a run (or ``alcore plugins``) first needs the registry.

    :param register: ``register(name, factory, help, params)``; ``factory(**options)`` returns an
        object with ``info`` (:class:`alcore.sdk.dataset.DatasetInfo`), ``pool()`` and ``val()``.
    :return: nothing; registration happens through the callback.
    """


@hookspec
def register_models(register: Any) -> None:
    """Register model factories.

    Called once, when the registry is first needed.

    :param register: ``register(name, factory, help, params)``; ``factory(info=DatasetInfo,
        quantities=Registry, seed=int, **options)`` returns an :class:`alcore.sdk.model.Model`.
    :return: nothing.
    """


@hookspec
def register_ssl_methods(register: Any) -> None:
    """Register semi-supervised learning methods.

    Called once, when the registry is first needed.

    :param register: ``register(name, factory, help, params)``; ``factory(**options)`` returns an
        :class:`alcore.sdk.ssl.SSLMethod`, or None for purely supervised training.
    :return: nothing.
    """


@hookspec
def register_quantities(register: Any) -> None:
    """Register per-sample quantities a model computes during its single scoring pass.

    Called once, when the registry is first needed.

    :param register: ``register(name, fn, help)``; ``fn(out)`` receives the model plugin's
        forward output for a batch (``out.probs`` B×C×H×W, ``out.embedding`` B×D, ...) and
        returns an array with one row per image. A function that needs extra views of the batch
        declares them (``alcore_mmseg.quantities.needs("flip")`` or ``needs("mc_dropout")``), so
        the pass computes only what some requested quantity uses.
    :return: nothing.
    """


@hookspec
def register_acquisitions(register: Any) -> None:
    """Register acquisition functions.

    Called once, when the registry is first needed.

    :param register: ``register(name, factory, help, params)``; ``factory(**options)`` returns an
        :class:`alcore.sdk.acquisition.Acquisition`.
    :return: nothing.
    """


@hookspec
def on_cycle_end(run_dir: Any, cycle: int, record: dict) -> None:
    """Observe the end of an active-learning cycle, after its state is durable.

    Called once per cycle, after training, evaluation, and (except in the last cycle) selection.

    :param run_dir: the run directory (:class:`pathlib.Path`).
    :param cycle: the cycle number, starting at 0.
    :param record: what the cycle wrote: labeled count, metrics, selected ids, diagnostics.
    :return: ignored.
    """
