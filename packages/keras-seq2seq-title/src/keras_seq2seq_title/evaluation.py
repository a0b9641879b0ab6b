"""Evaluation: ROUGE/BLEU of the model next to a lead-N and a retrieval baseline."""

from __future__ import annotations

import collections
import itertools
import math
import statistics

from .data import Pair
from .metrics import bleu, metric_units, rouge_scores
from .tokenizer import contains_cjk, normalize


def lead_n(content: str, n: int) -> str:
    """The first ``n`` metric units of ``content`` (characters for CJK, words otherwise).

    >>> lead_n("Return the value of the thing.", 3), lead_n("话说天下大势", 2)
    ('Return the value', '话说')
    """
    text = normalize(content)
    if contains_cjk(text):
        return "".join(c for c in text if not c.isspace())[:n]
    return " ".join(text.split()[:n])


class NearestNeighbourTitles:
    """Retrieval baseline: the title of the training article most similar to the input.

    Similarity is the cosine of TF-IDF vectors of metric units and unit bigrams.

    >>> nn = NearestNeighbourTitles([Pair("Open a file.", "open the file and read it"),
    ...                              Pair("Sort a list.", "sort the list in place")])
    >>> nn("read a file")
    'Open a file.'
    """

    def __init__(self, pairs: list[Pair]):
        self.titles = [p.title for p in pairs]
        vectors = [self._features(p.content) for p in pairs]
        frequency = collections.Counter(f for v in vectors for f in v)
        self.idf = {f: math.log((1 + len(vectors)) / (1 + c)) + 1 for f, c in frequency.items()}
        self.postings: dict[tuple, list[tuple[int, float]]] = collections.defaultdict(list)
        for i, vector in enumerate(vectors):
            weights = self._weigh(vector)
            for feature, weight in weights.items():
                self.postings[feature].append((i, weight))

    @staticmethod
    def _features(text: str) -> collections.Counter:
        units = metric_units(text)
        return collections.Counter([(u,) for u in units] + list(itertools.pairwise(units)))

    def _weigh(self, vector: collections.Counter) -> dict:
        weights = {f: c * self.idf.get(f, 0.0) for f, c in vector.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {f: w / norm for f, w in weights.items() if w}

    def __call__(self, content: str) -> str:
        scores: collections.Counter = collections.Counter()
        for feature, weight in self._weigh(self._features(content)).items():
            for i, other in self.postings.get(feature, ()):
                scores[i] += weight * other
        return self.titles[scores.most_common(1)[0][0]] if scores else self.titles[0]


def score_rows(name: str, hypotheses: list[str], references: list[str]) -> dict:
    return {
        "system": name,
        **{k: round(100 * v, 2) for k, v in rouge_scores(hypotheses, references).items()},
        "bleu": round(100 * bleu(hypotheses, references), 2),
    }


def evaluate(
    model, pairs: list[Pair], train_pairs: list[Pair], lead: int | None = None, **generate_kwargs
) -> tuple[list[dict], list[str]]:
    """Score the model, lead-N and nearest-neighbour retrieval on ``pairs``.

    Args:
        model: a :class:`~keras_seq2seq_title.TitleGenerator`.
        pairs: the evaluation pairs.
        train_pairs: the retrieval baseline's index (and lead-N's ``n``).
        lead: N for lead-N; defaults to the median training title length in metric units.
        **generate_kwargs: passed to :func:`~keras_seq2seq_title.generate`.

    Returns:
        ``(rows, model_titles)``: one row per system with ROUGE-1/2/L F1 and BLEU in percent.
    """
    references = [p.title for p in pairs]
    leads = {}
    for cjk in (False, True):  # CJK and other titles differ a lot in length (chars vs words)
        lengths = [len(metric_units(p.title)) for p in train_pairs if contains_cjk(p.title) == cjk]
        leads[cjk] = lead or max(1, round(statistics.median(lengths))) if lengths else lead or 8
    generated = model.generate([p.content for p in pairs], **generate_kwargs)
    nearest = NearestNeighbourTitles(train_pairs)
    name = f"lead-{lead}" if lead else "lead-N (N = median train title length)"
    rows = [
        score_rows("model", generated, references),
        score_rows(
            name, [lead_n(p.content, leads[contains_cjk(p.content)]) for p in pairs], references
        ),
        score_rows("nearest-neighbour", [nearest(p.content) for p in pairs], references),
    ]
    return rows, generated
