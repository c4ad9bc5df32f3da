"""GSMA SGP.22 ES2+: the operator's interface to the SM-DP+."""
