"""jeffreys-normal-normal against independent routes: mpmath quadrature of its definition
∫ q log(q/p) + ∫ p log(p/q), with the densities typed in here, and the published KL formula
KL = log(σ₂/σ₁) + (σ₁² + (μ₁ − μ₂)²)/(2σ₂²) − ½ taken both ways."""
from __future__ import annotations

import random

import mpmath as mp
import pytest
import sympy as sp

import derive
from derive.models import mu1, mu2, sigma1, sigma2


def _log_normal(x, m, s):
    return -(x - m) ** 2 / (2 * s**2) - mp.log(mp.sqrt(2 * mp.pi) * s)


def _kl(m1, s1, m2, s2):
    return mp.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - mp.mpf(1) / 2


def _points(count=3):
    rng = random.Random("jeffreys")
    return [(rng.uniform(-2, 2), 4 ** rng.uniform(-1, 1), rng.uniform(-2, 2), 4 ** rng.uniform(-1, 1))
            for _ in range(count)]


def _at(expr, point):
    values = dict(zip((mu1, sigma1, mu2, sigma2), point))
    return mp.mpf(sp.N(expr.xreplace({k: sp.Float(v, 40) for k, v in values.items()}), 35))


@pytest.mark.parametrize("point", _points())
def test_every_line_equals_quadrature_of_the_definition(point):
    m1, s1, m2, s2 = map(mp.mpf, point)
    with mp.workdps(30):
        def half(ma, sa, mb, sb):  # ∫ a log(a/b), z = ma + sa t
            return mp.quad(lambda t: mp.exp(-t * t / 2) / mp.sqrt(2 * mp.pi)
                           * (_log_normal(ma + sa * t, ma, sa) - _log_normal(ma + sa * t, mb, sb)),
                           [-mp.inf, 0, mp.inf])
        expected = half(m1, s1, m2, s2) + half(m2, s2, m1, s1)
        derivation = derive.get("jeffreys-normal-normal")
        assert mp.almosteq(_at(derivation.closed_form, point), expected, rel_eps=1e-25)
        assert mp.almosteq(_at(derivation.explicit_result, point), expected, rel_eps=1e-25)
        assert mp.almosteq(expected, _kl(m1, s1, m2, s2) + _kl(m2, s2, m1, s1), rel_eps=1e-25)


def test_cites_kl_both_ways_and_cancels_the_logs():
    derivation = derive.get("jeffreys-normal-normal")
    rules = [step.rule.name for step in derivation.steps]
    assert rules[:2] == ["result of kl-normal-normal", "result of kl-normal-normal"]
    assert not derivation.closed_form.has(sp.log)
    assert derivation.explicit_result.subs({mu2: mu1, sigma2: sigma1}) == 0  # q = p
