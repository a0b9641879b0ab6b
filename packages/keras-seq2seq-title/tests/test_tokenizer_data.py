import json

import pytest

from keras_seq2seq_title import CharTokenizer, DataFormatError, load_pairs
from keras_seq2seq_title.corpus import chinese_pairs, docstring_pair, split_pairs, stdlib_pairs
from keras_seq2seq_title.metrics import bleu, rouge_pair, rouge_scores
from keras_seq2seq_title.tokenizer import normalize, split_text


def test_vocabulary_min_count_reserved_and_order():
    tok = CharTokenizer.build(["aab", "ab标", "c"], min_count=2)
    assert tok.vocabulary == ["[PAD]", "[UNK]", "[BOS]", "[EOS]", "a", "b"]  # a:3, b:2
    assert tok.encode("ab标c", add_bos=True, add_eos=True) == [2, 4, 5, 1, 1, 3]
    assert tok.decode([4, 5, 3, 4]) == "ab"  # stops at [EOS]
    assert CharTokenizer.build(["aab"], min_count=1, max_size=5).vocabulary[4:] == ["a"]


def test_cjk_aware_splitting_and_round_trip():
    assert normalize("标 题\u3000生成  ok") == "标题生成 ok"  # NFKC; no spaces between CJK
    assert split_text("Python3中文 is fun!", "word") == ["Python3", "中", "文", "is", "fun", "!"]
    tok = CharTokenizer.build(["Python3中文 is fun!"], min_count=1, split="word")
    assert tok.decode(tok.encode("中文 is fun!")) == "中文 is fun!"
    assert tok.decode(tok.encode("fun Python3")) == "fun Python3"


def test_tokenizer_config_round_trip_and_misuse():
    tok = CharTokenizer.build(["标题 title"], min_count=1, lowercase=True)
    assert CharTokenizer.from_config(json.loads(json.dumps(tok.get_config()))) == tok
    with pytest.raises(ValueError, match="`min_count` must be an integer >= 1"):
        CharTokenizer.build(["x"], min_count=0)
    with pytest.raises(ValueError, match="`vocabulary` must start with the reserved tokens"):
        CharTokenizer(["a", "b"])
    with pytest.raises(ValueError, match="`split` must be one of"):
        CharTokenizer.build(["x"], split="bpe")


def test_load_jsonl_csl_and_lcsts_styles(tmp_path):
    csl = tmp_path / "csl.jsonl"
    csl.write_text('{"title": "T1", "abst": "C1"}\n\n{"title": "T2", "abst": "C2"}\n', "utf-8")
    assert [(p.title, p.content) for p in load_pairs(csl)] == [("T1", "C1"), ("T2", "C2")]
    lcsts = tmp_path / "lcsts.jsonl"
    lcsts.write_text('{"summary": "摘要", "content": "正文"}\n', "utf-8")
    assert load_pairs(lcsts)[0].title == "摘要"
    custom = tmp_path / "x.jsonl"
    custom.write_text('{"h": "T", "b": "C"}\n', "utf-8")
    assert load_pairs(custom, title_field="h", content_field="b")[0].content == "C"


def test_load_tsv_with_and_without_header(tmp_path):
    plain = tmp_path / "a.tsv"
    plain.write_text("T1\tC1\nT2\tC2\n", "utf-8")
    assert [p.title for p in load_pairs(plain)] == ["T1", "T2"]
    headed = tmp_path / "b.tsv"
    headed.write_text("content\ttitle\nC1\tT1\n", "utf-8")
    assert [(p.title, p.content) for p in load_pairs(headed)] == [("T1", "C1")]


@pytest.mark.parametrize(
    "name, text, message",
    [
        (
            "bad.jsonl",
            '{"title": "a", "content": "b"}\n{"title": oops}\n',
            r"bad\.jsonl:2: not valid JSON",
        ),
        (
            "missing.jsonl",
            '{"title": "a", "content": "b"}\n\n{"name": "x"}\n',
            r"missing\.jsonl:3: no title field",
        ),
        ("list.jsonl", "[1, 2]\n", r"list\.jsonl:1: expected a JSON object"),
        ("short.tsv", "T1\tC1\nonly-one-column\n", r"short\.tsv:2: expected at least 2"),
    ],
)
def test_malformed_line_names_file_and_line(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text, "utf-8")
    with pytest.raises(DataFormatError, match=message):
        load_pairs(path)


def test_embedded_corpus():
    pair = docstring_pair("Return x.\n\nThis is the long body of the docstring, it says more.")
    assert pair.title == "Return x." and pair.content.startswith("This is")
    assert docstring_pair("No body here.") is None
    assert docstring_pair("Two line\nsummary.\n\nBody body body body body body body body.") is None
    pairs = stdlib_pairs(limit=50)
    assert len(pairs) == 50 and all(p.title and len(p.content) >= 40 for p in pairs)
    zh = chinese_pairs()
    assert len(zh) == 120 and zh[0].title.startswith("宴桃园豪杰三结义")
    train, held = split_pairs(zh, 0.1, seed=3)
    assert len(held) == 12 and not set(train) & set(held)
    assert split_pairs(zh, 0.1, seed=3) == (train, held)


def test_rouge_and_bleu_by_hand():
    # words: hyp "the cat sat", ref "the cat ran": R1 = 2/3, R2 = 1/2 ("the cat"), RL = 2/3
    scores = rouge_pair("The cat sat.", "the cat ran")
    assert scores == pytest.approx({"rouge-1": 2 / 3, "rouge-2": 0.5, "rouge-l": 2 / 3})
    # CJK is scored per character: 标题生成 vs 标题模型 -> R1 = 2/4, R2 = 1/3, RL = 2/4
    assert rouge_pair("标题生成", "标题模型") == pytest.approx(
        {"rouge-1": 0.5, "rouge-2": 1 / 3, "rouge-l": 0.5}
    )
    assert rouge_scores(["a b", "x"], ["a b", "y"])["rouge-1"] == pytest.approx(0.5)
    # 1 of 2 words per precision order would give 0 at order 2 -> BLEU 0 (no smoothing)
    assert bleu(["a x"], ["a b"]) == 0.0
    # hyp 4 words all matching a 5-word ref prefix: precisions 1, brevity exp(1 - 5/4)
    assert bleu(["a b c d"], ["a b c d e"]) == pytest.approx(pytest.importorskip("math").exp(-0.25))
