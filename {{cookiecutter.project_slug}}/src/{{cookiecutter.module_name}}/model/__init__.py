"""The model: trained on one node, evaluated on the holdout against a baseline, its run recorded."""
