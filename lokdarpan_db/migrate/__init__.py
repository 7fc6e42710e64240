"""Sqitch-compatible migrations: the plan (plan.py), the registry and its lock (registry.py), and
the engine that deploys, reverts, verifies and checks (engine.py)."""
