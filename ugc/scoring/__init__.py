"""Asset scoring and gallery ordering as pure math (NumPy/SciPy, no Django).

- `priors`: Beta priors for click-through and conversion rates, fitted per group
  (platform x product line) by the method of moments, and the posteriors.
- `parts`: each part of the score mapped to 0..1 over arrays (NaN: no data), and their
  weighted mean over the parts with data.
- `ordering`: Thompson sampling with a seeded generator per gallery and time bucket,
  exploration slots, pins, and the diversity re-rank.

Everything works on whole arrays, so a full rescoring of the library is a few
vectorised passes (bench/scoring.py).
"""

MODEL_VERSION = "score-v2"
