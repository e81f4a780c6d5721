"""Policy: composable rules over a triaged scan, the gate that turns them into a verdict, the baseline of what
production already runs, and promotion — the only way into production."""

from seawall.policy.gate import GateInputs, Judged, judge, run_gate
from seawall.policy.rules import AllOf, AnyOf, Rule, all_of, any_of
from seawall.policy.schema import Policy, PolicyError, load_policy

__all__ = ["AllOf", "AnyOf", "GateInputs", "Judged", "Policy", "PolicyError", "Rule", "all_of", "any_of", "judge",
           "load_policy", "run_gate"]
