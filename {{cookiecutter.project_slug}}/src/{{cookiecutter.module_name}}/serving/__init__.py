"""Serving: the scoring API and the scorer that every target answers with (standard library only, so a
bundle stays small and starts fast), and the chosen target's runtime."""
