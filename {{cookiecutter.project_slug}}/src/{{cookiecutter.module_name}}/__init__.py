"""The pipeline's stages, each a plain function that an orchestrator only wires together."""
