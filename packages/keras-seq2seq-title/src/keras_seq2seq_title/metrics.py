"""ROUGE-1/2/L and BLEU, on characters for CJK text and on words otherwise (pure python)."""

from __future__ import annotations

import collections
import math
import re
from collections.abc import Sequence

from .tokenizer import contains_cjk, normalize

_WORD = re.compile(r"\w+", re.UNICODE)


def metric_units(text: str, cjk: bool | None = None) -> list[str]:
    """Units that metrics count: non-space characters for CJK text, lower-cased words otherwise.

    >>> metric_units("标题 生成"), metric_units("Return the Value.")
    (['标', '题', '生', '成'], ['return', 'the', 'value'])
    """
    text = normalize(text)
    if cjk if cjk is not None else contains_cjk(text):
        return [c for c in text if not c.isspace()]
    return _WORD.findall(text.lower())


def _ngrams(units: Sequence[str], n: int) -> collections.Counter:
    return collections.Counter(tuple(units[i : i + n]) for i in range(len(units) - n + 1))


def _f1(overlap: float, hyp_total: int, ref_total: int) -> float:
    if not overlap or not hyp_total or not ref_total:
        return 0.0
    precision, recall = overlap / hyp_total, overlap / ref_total
    return 2 * precision * recall / (precision + recall)


def _lcs(a: Sequence[str], b: Sequence[str]) -> int:
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b):
            current.append(previous[j] + 1 if x == y else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def rouge_pair(hypothesis: str, reference: str) -> dict[str, float]:
    """ROUGE-1, ROUGE-2 and ROUGE-L F1 of one hypothesis against one reference.

    >>> rouge_pair("the cat sat", "the cat ran")["rouge-1"]  # P = R = 2/3
    0.6666666666666666
    """
    cjk = contains_cjk(reference) or contains_cjk(hypothesis)
    hyp, ref = metric_units(hypothesis, cjk), metric_units(reference, cjk)
    scores = {}
    for n in (1, 2):
        h, r = _ngrams(hyp, n), _ngrams(ref, n)
        scores[f"rouge-{n}"] = _f1(sum((h & r).values()), sum(h.values()), sum(r.values()))
    scores["rouge-l"] = _f1(_lcs(hyp, ref), len(hyp), len(ref))
    return scores


def rouge_scores(hypotheses: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """Mean ROUGE-1/2/L F1 (in [0, 1]) over pairs.

    >>> rouge_scores(["the cat sat", "标题"], ["the cat sat", "标签"])
    {'rouge-1': 0.75, 'rouge-2': 0.5, 'rouge-l': 0.75}
    """
    if len(hypotheses) != len(references) or not references:
        raise ValueError(
            "`hypotheses` and `references` must be non-empty and equally long. "
            f"Received: {len(hypotheses)} hypotheses, {len(references)} references"
        )
    totals: collections.Counter[str] = collections.Counter()
    for hyp, ref in zip(hypotheses, references):
        totals.update(rouge_pair(hyp, ref))
    return {k: totals[k] / len(references) for k in ("rouge-1", "rouge-2", "rouge-l")}


def bleu(hypotheses: Sequence[str], references: Sequence[str], max_order: int = 4) -> float:
    """Corpus BLEU (Papineni et al., 2002) in [0, 1]: clipped n-gram precisions up to
    ``max_order`` pooled over the corpus, geometric mean, brevity penalty; no smoothing.

    >>> round(bleu(["the cat sat on the mat"], ["the cat sat on the mat"]), 6)
    1.0
    """
    if len(hypotheses) != len(references) or not references:
        raise ValueError(
            "`hypotheses` and `references` must be non-empty and equally long. "
            f"Received: {len(hypotheses)} hypotheses, {len(references)} references"
        )
    matches, totals = [0] * max_order, [0] * max_order
    hyp_length = ref_length = 0
    for hypothesis, reference in zip(hypotheses, references):
        cjk = contains_cjk(reference) or contains_cjk(hypothesis)
        hyp, ref = metric_units(hypothesis, cjk), metric_units(reference, cjk)
        hyp_length, ref_length = hyp_length + len(hyp), ref_length + len(ref)
        for n in range(1, max_order + 1):
            h, r = _ngrams(hyp, n), _ngrams(ref, n)
            matches[n - 1] += sum((h & r).values())
            totals[n - 1] += sum(h.values())
    if min(matches) == 0 or hyp_length == 0:
        return 0.0
    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals)) / max_order
    brevity = min(0.0, 1.0 - ref_length / hyp_length)
    return math.exp(log_precision + brevity)
