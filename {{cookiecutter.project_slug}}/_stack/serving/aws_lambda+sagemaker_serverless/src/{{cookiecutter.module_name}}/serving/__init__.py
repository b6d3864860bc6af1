"""The serving runtime: standard library only, so the deployment bundle is small and starts fast."""
