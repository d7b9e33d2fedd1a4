"""Sentence splitting, boilerplate removal and speaker attribution on the real seeds."""

from __future__ import annotations

import hypothesis
import pytest
from hypothesis import strategies as st

from service.articles import read_articles
from service.claims import extract_claims, find_speaker, is_boilerplate, split_quotation


@pytest.fixture(scope="module")
def seed_claims(seeds_dir):
    return {a.source: (a, extract_claims(a.id, a.text)) for a in read_articles([seeds_dir])}


def test_offsets_slice_back_to_the_sentence(seed_claims):
    for article, claims in seed_claims.values():
        assert claims, article.source
        for claim in claims:
            assert article.text[claim.start : claim.end] == claim.text
            assert claim.text == claim.text.strip()
        assert [c.index for c in claims] == list(range(len(claims)))


@pytest.mark.parametrize(
    "fragment",
    [
        "Advertisement",
        "Image: AP",
        "Copyright IBTimes",
        "All rights reserved",
        "Leave a Reply",
        "Your email address will not be published",
        "Published September 10th",
        "Updated September 10th",
        "Reported by: Riya Baibhawi",
        "US Striking A Deal With Taliban?",
    ],
)
def test_boilerplate_is_dropped(seed_claims, fragment):
    texts = [c.text for _, claims in seed_claims.values() for c in claims]
    assert not [t for t in texts if fragment in t]


def test_repeated_headline_kept_once(seed_claims):
    _, claims = seed_claims["001_c5a0abc0f8fc496b.txt"]
    headline = "Russia offered Taliban-linked militants bounties to kill US troops in Afghanistan"
    assert sum(c.text.startswith(headline) for c in claims) == 1


def test_real_sentences_are_kept(seed_claims):
    _, claims = seed_claims["004_49b53d49fc7547ca.txt"]
    assert any("not sharing information or intelligence" in c.text for c in claims)
    assert any(
        c.text == "We have communication channels opened for sharing information." for c in claims
    )


def test_quotation_of_several_sentences_gives_one_claim_each(seed_claims):
    article, claims = seed_claims["003_d093af9fcdfad0bd.txt"]
    quoted = [c for c in claims if c.context and "A threat can potentially emanate" in c.context]
    assert [c.text for c in quoted] == [
        "A threat can potentially emanate from Afghanistan.",
        "We have talked about this many times.",
        'This is drug trafficking and the infiltration of terrorist groups there," '
        "Peskov pointed out.",
    ]
    # all attributed to the speaker named after the quotation, offsets into the article
    assert {c.speaker for c in quoted} == {"Peskov"}
    assert all(article.text[c.start : c.end] == c.text for c in quoted)
    assert all(article.text.count(c.context) == 1 for c in quoted)


def test_single_sentence_quotations_stay_whole(seed_claims):
    _, claims = seed_claims["001_c5a0abc0f8fc496b.txt"]
    claim = next(c for c in claims if "baseless and anonymous accusations" in c.text)
    assert claim.context is None
    assert claim.text.endswith("the Russian Embassy in Washington wrote on Twitter.")


@pytest.mark.parametrize(
    ("sentence", "parts"),
    [
        ("No quotation here. Or here.", ["No quotation here. Or here."]),
        ('He called it "baseless".', ['He called it "baseless".']),
        (
            "“We are ready. We will not wait,” the minister said.",
            ["We are ready.", "We will not wait,” the minister said."],
        ),
        (
            "“ We are ready. We will not wait,” he said.",
            ["We are ready.", "We will not wait,” he said."],
        ),
        # a quotation running on into the next paragraph has no closing mark
        (
            'She said: "Talks went well. More are planned',
            ['She said: "Talks went well.', "More are planned"],
        ),
    ],
)
def test_split_quotation(sentence, parts):
    assert [sentence[a:b] for a, b in split_quotation(sentence)] == parts


@pytest.mark.parametrize(
    ("source", "fragment", "speaker"),
    [
        ("000_c0d31df73a05e145.txt", "not been made aware", "Dmitry Peskov"),
        ("000_c0d31df73a05e145.txt", "denied any involvement", "Zabihullah Mujahid"),
        ("004_49b53d49fc7547ca.txt", "not sharing information", "a Taliban spokesperson"),
        ("004_49b53d49fc7547ca.txt", "communication channels opened", "the Russian diplomat"),
        ("003_d093af9fcdfad0bd.txt", "stated they have contacted", "Peskov"),
        ("002_38ac89ff238b6b08.txt", "commencement of US-Taliban", "Gohel and Bailey"),
    ],
)
def test_speakers_on_seeds(seed_claims, source, fragment, speaker):
    _, claims = seed_claims[source]
    claim = next(c for c in claims if fragment in c.text)
    assert claim.speaker == speaker


@pytest.mark.parametrize(
    ("sentence", "speaker"),
    [
        ("The talks will resume next week, Kabulov said.", "Kabulov"),
        ("Prices rose 4% in May, according to the central bank.", "the central bank"),
        ("Prices rose 4% in May.", None),
    ],
)
def test_find_speaker(sentence, speaker):
    assert find_speaker(sentence) == speaker


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Advertisement", True),
        ("© Copyright IBTimes 2024.", True),
        ("Photo by Jane Doe", True),
        ("By John Smith", True),
        ("The ministry said on Monday that it had opened an inquiry.", False),
    ],
)
def test_is_boilerplate(sentence, expected):
    assert is_boilerplate(sentence) is expected


_QUOTE_HEAVY_TEXT = st.lists(
    st.sampled_from(
        [
            "We said. ",
            "“Yes. No,” he said. ",
            '"',
            "“ ",
            " ”",
            "‘",
            "Mr. ",
            "U.S. ",
            "\n",
            "a",
            "B",
            ".",
            ",",
            "?",
        ]
    ),
    max_size=40,
).map("".join)


@hypothesis.settings(derandomize=True, max_examples=300, deadline=None)
@hypothesis.given(_QUOTE_HEAVY_TEXT)
def test_claims_slice_back_whatever_the_quotation_marks(text):
    for claim in extract_claims("x", text):
        assert claim.text and claim.text == claim.text.strip()
        assert text[claim.start : claim.end] == claim.text
        assert claim.context is None or claim.text in claim.context
