"""portraitize-train: the PyTorch side that trains and exports the models the converter runs.

Run it from a source checkout as `python -m trainer --help` (installed with `pip install -e ".[train]"`).
"""
