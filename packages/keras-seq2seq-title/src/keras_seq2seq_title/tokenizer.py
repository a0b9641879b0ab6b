"""Character-level, CJK-aware tokenizer with a vocabulary built from the training data.

Pure python (no Keras): the CLI and the data pipeline use it before a backend is imported. Its
whole state is ``get_config()`` (a JSON dict), which :class:`~keras_seq2seq_title.TitleGenerator`
stores in its own config, so a saved ``.keras`` file carries its tokenizer.
"""

from __future__ import annotations

import collections
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

#: Reserved tokens, always the first ids, in this order.
PAD, UNK, BOS, EOS = "[PAD]", "[UNK]", "[BOS]", "[EOS]"
RESERVED_TOKENS: tuple[str, ...] = (PAD, UNK, BOS, EOS)
SPLITS = ("char", "word")

_CJK_RANGES = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x2FA1F),  # ideographs
    (0x3040, 0x30FF),
    (0xAC00, 0xD7AF),  # kana, hangul syllables
    (0x3000, 0x303F),
    (0xFF00, 0xFFEF),  # CJK punctuation, full-width forms
)
_WORD = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def is_cjk(char: str) -> bool:
    """True for a CJK ideograph, kana, hangul syllable or CJK punctuation character.

    >>> is_cjk("汉"), is_cjk("a")
    (True, False)
    """
    code = ord(char)
    return any(low <= code <= high for low, high in _CJK_RANGES)


def contains_cjk(text: str) -> bool:
    """True if any character of ``text`` is CJK (used to pick char- vs word-level ROUGE)."""
    return any(is_cjk(c) for c in text)


def normalize(text: str, lowercase: bool = False) -> str:
    """NFKC-normalize, collapse whitespace runs to one space, drop spaces next to CJK."""
    text = unicodedata.normalize("NFKC", text)
    text = " ".join(text.split())
    # A space between two CJK characters carries no meaning in Chinese/Japanese text.
    text = re.sub(r"(?<=[\u3000-\u9fff\uf900-\ufaff]) (?=[\u3000-\u9fff\uf900-\ufaff])", "", text)
    return text.lower() if lowercase else text


def split_text(text: str, split: str = "char") -> list[str]:
    """Split normalized ``text`` into tokens.

    ``"char"``: every character (space included) is a token. ``"word"``: every CJK character
    is a token, runs of other word characters are one token, punctuation is one token each and
    spaces are dropped (they are restored by :meth:`CharTokenizer.decode`).

    >>> split_text("Hi 你好!", "word")
    ['Hi', '你', '好', '!']
    """
    if split == "char":
        return list(text)
    tokens: list[str] = []
    for piece in _WORD.findall(text):
        if contains_cjk(piece):
            run = ""
            for char in piece:  # a \w run may mix scripts: "Python3中文" -> Python3, 中, 文
                if is_cjk(char):
                    tokens.extend([run, char] if run else [char])
                    run = ""
                else:
                    run += char
            if run:
                tokens.append(run)
        else:
            tokens.append(piece)
    return tokens


class CharTokenizer:
    """Maps text to ids one character (or one CJK character / other-script word) at a time.

    Args:
        vocabulary: list of tokens; the first ones must be ``reserved_tokens``. Build one from
            data with :meth:`build`.
        split: ``"char"`` (default, every character) or ``"word"`` (CJK characters one by one,
            other scripts word by word).
        lowercase: lower-case text before splitting. Defaults to False.
        reserved_tokens: padding, unknown, begin and end tokens, in that order; padding must
            have id 0 because the loss ignores class 0.

    >>> tok = CharTokenizer.build(["标题生成", "a title"], min_count=1)
    >>> tok.decode(tok.encode("标题 title"))
    '标题 title'
    """

    def __init__(
        self,
        vocabulary: Sequence[str],
        split: str = "char",
        lowercase: bool = False,
        reserved_tokens: Sequence[str] = RESERVED_TOKENS,
    ) -> None:
        if split not in SPLITS:
            raise ValueError(f"`split` must be one of {SPLITS}. Received: split={split!r}")
        if len(reserved_tokens) != 4 or len(set(reserved_tokens)) != 4:
            raise ValueError(
                "`reserved_tokens` must be 4 distinct tokens (pad, unknown, begin, end). "
                f"Received: reserved_tokens={list(reserved_tokens)!r}"
            )
        vocabulary = list(vocabulary)
        if vocabulary[:4] != list(reserved_tokens):
            raise ValueError(
                "`vocabulary` must start with the reserved tokens "
                f"{list(reserved_tokens)}. Received: vocabulary[:4]={vocabulary[:4]!r}"
            )
        if len(set(vocabulary)) != len(vocabulary):
            raise ValueError(
                "`vocabulary` must not contain duplicates. Received duplicates: "
                f"{sorted(t for t, n in collections.Counter(vocabulary).items() if n > 1)[:5]}"
            )
        self.vocabulary = vocabulary
        self.split = split
        self.lowercase = bool(lowercase)
        self.reserved_tokens = tuple(reserved_tokens)
        self.pad_id, self.unk_id, self.bos_id, self.eos_id = 0, 1, 2, 3
        self._ids = {token: i for i, token in enumerate(vocabulary)}

    @classmethod
    def build(
        cls,
        texts: Iterable[str],
        min_count: int = 2,
        max_size: int | None = None,
        split: str = "char",
        lowercase: bool = False,
        reserved_tokens: Sequence[str] = RESERVED_TOKENS,
    ) -> CharTokenizer:
        """Build the vocabulary from ``texts``: tokens seen at least ``min_count`` times.

        Args:
            texts: training titles and contents.
            min_count: minimum occurrences, >= 1. Defaults to 2.
            max_size: keep at most this many tokens (reserved included), most frequent first.
            split, lowercase, reserved_tokens: as in the constructor.

        Returns:
            a ``CharTokenizer``; ties in frequency are broken by the token, so the vocabulary is
            deterministic.
        """
        if not isinstance(min_count, int) or min_count < 1:
            raise ValueError(
                f"`min_count` must be an integer >= 1. Received: min_count={min_count!r}"
            )
        if max_size is not None and max_size <= len(reserved_tokens):
            raise ValueError(
                f"`max_size` must exceed the {len(reserved_tokens)} reserved tokens. "
                f"Received: max_size={max_size!r}"
            )
        if split not in SPLITS:
            raise ValueError(f"`split` must be one of {SPLITS}. Received: split={split!r}")
        counts: collections.Counter[str] = collections.Counter()
        for text in texts:
            counts.update(split_text(normalize(text, lowercase), split))
        for token in reserved_tokens:
            counts.pop(token, None)
        kept = sorted(
            (t for t, n in counts.items() if n >= min_count), key=lambda t: (-counts[t], t)
        )
        if max_size is not None:
            kept = kept[: max_size - len(reserved_tokens)]
        return cls(list(reserved_tokens) + kept, split, lowercase, reserved_tokens)

    @property
    def vocabulary_size(self) -> int:
        return len(self.vocabulary)

    def tokenize(self, text: str) -> list[str]:
        return split_text(normalize(text, self.lowercase), self.split)

    def encode(
        self, text: str, max_length: int | None = None, add_bos: bool = False, add_eos: bool = False
    ) -> list[int]:
        """Token ids of ``text``, truncated to ``max_length`` ids (markers included)."""
        ids = [self._ids.get(token, self.unk_id) for token in self.tokenize(text)]
        if max_length is not None:
            ids = ids[: max(0, max_length - add_bos - add_eos)]
        return [self.bos_id] * add_bos + ids + [self.eos_id] * add_eos

    def decode(self, ids: Iterable[int]) -> str:
        """Text of ``ids``: stops at the end token, skips the other reserved tokens."""
        tokens: list[str] = []
        for i in ids:
            i = int(i)
            if i == self.eos_id:
                break
            if i in (self.pad_id, self.bos_id) or not 0 <= i < len(self.vocabulary):
                continue
            tokens.append(self.vocabulary[i])
        if self.split == "char":
            return "".join(tokens)
        text = ""
        for token in tokens:
            # a space before words, none before punctuation or between two CJK characters
            glue = text and token[0].isalnum() and not (is_cjk(token[0]) and is_cjk(text[-1]))
            text += (" " if glue else "") + token
        return text

    def get_config(self) -> dict[str, Any]:
        return {
            "vocabulary": list(self.vocabulary),
            "split": self.split,
            "lowercase": self.lowercase,
            "reserved_tokens": list(self.reserved_tokens),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> CharTokenizer:
        return cls(**config)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CharTokenizer) and self.get_config() == other.get_config()

    def __repr__(self) -> str:
        return f"CharTokenizer(vocabulary_size={self.vocabulary_size}, split={self.split!r})"
