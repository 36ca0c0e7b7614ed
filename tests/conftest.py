"""Session-wide fixtures.  Building every derivation (each step checked) takes a few seconds;
``derive.get`` memoises, so each is built once per session, on first use."""
from __future__ import annotations

import pytest

import derive
from tests.helpers import LEMMAS, UNIVARIATE


@pytest.fixture(scope="session")
def rendered():
    """Every generated file, rendered in memory once: {relative path: text}."""
    from derive import generate

    return generate.render_all()


@pytest.fixture(params=UNIVARIATE)
def univariate(request):
    """Each of the five univariate derivations of the contract."""
    return derive.get(request.param)


@pytest.fixture(params=UNIVARIATE + LEMMAS)
def any_derivation(request):
    return derive.get(request.param)
