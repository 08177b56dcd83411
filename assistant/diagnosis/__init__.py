"""Auxiliary diagnosis: triage now; ranking and assessment build on the model pack."""

from .triage import Reason, Triage, TriageCase, TriagePolicy, TriageRule, assign_triage, load_policy

__all__ = ["Reason", "Triage", "TriageCase", "TriagePolicy", "TriageRule", "assign_triage", "load_policy"]
