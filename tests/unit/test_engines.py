"""engines: every backend's engine satisfies the Engine protocol."""

from __future__ import annotations

import pytest

from neurotriage import Profile, default_rules
from neurotriage.engines import BACKENDS, Engine, compile_engine
from tests.conftest import available_backends


@pytest.mark.parametrize("backend", available_backends())
def test_every_engine_is_an_engine(backend):
    """Each compiled engine is an Engine (runtime-checked), named after its backend."""
    engine = compile_engine(default_rules(), backend)
    assert isinstance(engine, Engine)
    assert engine.name == backend
    assert isinstance(engine.fired(Profile(open_wounds=True)), frozenset)


def test_an_object_without_fired_is_not_an_engine():
    """The protocol check can fail."""

    class Nameless:
        name = "nothing"

    assert not isinstance(Nameless(), Engine)


def test_backends_are_the_two_documented():
    """The backend names are exactly durable and reference."""
    assert BACKENDS == ("durable", "reference")
