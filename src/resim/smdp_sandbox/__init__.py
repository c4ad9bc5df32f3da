"""A stateful SM-DP+ for development and tests: ES2+ per GSMA SGP.22, plus a device to play.

It stands in for the certified SM-DP+ that cannot run on one machine. It keeps its own state
(its own SQLite file), separate from resim's database: it is another system.
"""
