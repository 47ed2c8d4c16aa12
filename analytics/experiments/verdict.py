"""An experiment's result in words, from experiment_results() (pure: no Django).

"Variant b raised click-through by 1.2 points (95 % CI 0.4 to 2.0 points). The sample ratio is
as planned." A difference whose interval holds zero is said to be unclear, not a
small effect; a sample-ratio mismatch is said before anything else, since it means
the split itself is broken and no difference can be trusted.
"""

from __future__ import annotations

METRIC_WORDS = {
    "click_through": "click-through",
    "conversion_rate": "conversion",
    "revenue_per_visitor": "revenue per visitor",
}
RATES = ("click_through", "conversion_rate")


def _amount(metric: str, value: float, currency: str) -> str:
    if metric in RATES:
        return f"{abs(value) * 100:.1f}"
    return f"{currency + ' ' if currency else ''}{abs(value):,.2f}"


def _unit(metric: str) -> str:
    return " points" if metric in RATES else " per visitor"


def _interval(metric: str, low: float, high: float) -> str:
    scale = 100 if metric in RATES else 1
    digits = 1 if metric in RATES else 2
    return f"{low * scale:.{digits}f} to {high * scale:.{digits}f}"


def comparison_words(metric: str, comparison: dict, currency: str = "") -> str:
    """One sentence for one variant against control."""
    variant, control = comparison["variant"], comparison["control"]
    result = comparison.get("result")
    words = METRIC_WORDS.get(metric, metric)
    if not result or result.get("ci_low") is None:
        return f"Not enough visitors yet to compare {variant} with {control}."
    low, high, difference = result["ci_low"], result["ci_high"], result["difference"]
    ci = f"95 % CI {_interval(metric, low, high)}{_unit(metric) if metric in RATES else ''}"
    if low > 0 or high < 0:
        moved = "raised" if difference > 0 else "lowered"
        amount = _amount(metric, difference, currency)
        return (
            f"Variant {variant} {moved} {words} by {amount}{_unit(metric)} against "
            f"{control} ({ci})."
        )
    return (
        f"No clear difference between {variant} and {control} in {words}: the interval "
        f"({ci}) holds zero."
    )


def ratio_words(srm: dict) -> str:
    if srm["mismatch"]:
        return (
            f"The sample ratio is off plan (p = {srm['p_value']:.2g}): visitors did not "
            "split as configured, so the differences cannot be trusted until the "
            "assignment or the logging is fixed."
        )
    return "The sample ratio is as planned."


def verdict(results: dict, *, running: bool, currency: str = "") -> str:
    """The whole verdict: the split first when broken, each comparison, then the split."""
    srm = results["sample_ratio_mismatch"]
    metric = results["metric"]
    sentences = [comparison_words(metric, c, currency) for c in results["comparisons"]]
    if srm["mismatch"]:
        sentences.insert(0, ratio_words(srm))
    else:
        sentences.append(ratio_words(srm))
    if running:
        sentences.insert(0, "Running: read this once at the planned end, not every day (peeking).")
    return " ".join(sentences)


def holdout_lift(results: dict) -> dict | None:
    """The gallery's lift over the holdout (the arm with no gallery): {"metric",
    "difference", "ci_low", "ci_high"} of gallery minus holdout, or None when there is
    no holdout, no gallery arm or no interval yet."""
    arms = results["variants"]
    holdout = next((a["name"] for a in arms if a["gallery"] is None), None)
    shown = next((a["name"] for a in arms if a["gallery"] is not None), None)
    if holdout is None or shown is None:
        return None
    for comparison in results["comparisons"]:
        result = comparison.get("result") or {}
        if result.get("ci_low") is None:
            continue
        pair = (comparison["control"], comparison["variant"])
        if pair == (holdout, shown):
            sign = 1.0
        elif pair == (shown, holdout):
            sign = -1.0
        else:
            continue
        low, high = sorted((sign * result["ci_low"], sign * result["ci_high"]))
        return {
            "metric": results["metric"],
            "difference": sign * result["difference"],
            "ci_low": low,
            "ci_high": high,
        }
    return None


def holdout_words(results: dict, currency: str = "") -> str:
    lift = holdout_lift(results)
    if lift is None:
        return ""
    metric = lift["metric"]
    words = METRIC_WORDS.get(metric, metric)
    sign = "+" if lift["difference"] >= 0 else "-"
    amount = _amount(metric, lift["difference"], currency)
    ci = _interval(metric, lift["ci_low"], lift["ci_high"])
    clear = lift["ci_low"] > 0 or lift["ci_high"] < 0
    judged = "" if clear else "; the interval holds zero, so no lift is shown yet"
    return (
        f"showing the gallery changed {words} by {sign}{amount}{_unit(metric)} against "
        f"the holdout (95 % CI {ci}){judged}."
    )
