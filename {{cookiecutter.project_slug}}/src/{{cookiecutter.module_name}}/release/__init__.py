"""Release: a trained model promoted, bundled for its serving target, proved and accepted in one step."""
