"""The derivation engine: contexts, rules, the checker, and checked derivations."""
from derive.engine.check import StepRejected, Verdict
from derive.engine.context import Context
from derive.engine.derivation import Derivation, DerivationBuilder, Step
from derive.engine.rules import Rule

__all__ = ["Context", "Derivation", "DerivationBuilder", "Rule", "Step", "StepRejected", "Verdict"]
