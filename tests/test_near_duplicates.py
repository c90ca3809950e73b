"""Near-duplicate check (UQ02): which backlogs make clusters, what a finding says, and that it scales."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from dataclasses import replace
from itertools import combinations
from pathlib import Path
from types import MappingProxyType

import pytest

from backlog_health.checks import ItemContext, duplicates, near_duplicates
from backlog_health.checks.near_duplicates import check, clusters, content_words, jaccard, similar_pairs
from backlog_health.model import BacklogItem
from backlog_health.nlp.story import find_story
from backlog_health.rules import load_rules

RULES = load_rules()
RULE = RULES.by_id["UQ02"]


def _contexts(titles: list[str]) -> list[ItemContext]:
    """Contexts as the engine builds them for UQ02 (no spaCy doc: the check does not read it)."""
    return [
        ItemContext(BacklogItem(str(number), title), find_story(title, ""), None, (), True)
        for number, title in enumerate(titles, 1)
    ]


def _rule(**params):
    return replace(RULE, params=MappingProxyType({**RULE.params, **params}))


def _clusters(titles: list[str], **params) -> list[set[int]]:
    """Clusters as sets of 1-based positions in `titles`."""
    found = clusters(_contexts(titles), _rule(**params).params)
    return sorted(({index + 1 for index in cluster} for cluster in found), key=min)


def _findings(titles: list[str], **params) -> dict[str, list]:
    """Findings by item key."""
    contexts = _contexts(titles)
    by_key: dict[str, list] = {}
    for index, finding in check(contexts, _rule(**params)):
        by_key.setdefault(contexts[index].item.key, []).append(finding)
    return by_key


# (case id, backlog, expected clusters as sets of 1-based positions)
CLUSTER_CASES = [
    (
        "one adds a word",
        [
            "As a shopper, I want to save my delivery address, so that checkout is faster next time.",
            "As a shopper, I want to save my default delivery address, so that checkout is faster next time.",
            "As a courier, I want to see my route on a map, so that I find the door.",
        ],
        [{1, 2}],
    ),
    (
        "only function words and plurals differ",
        ["Allow refunds for cancelled orders in the app", "Allow a refund for a cancelled order in app"],
        [{1, 2}],
    ),
    (
        "same story for another role",
        [
            "As a store manager, I want to export the weekly sales report as a spreadsheet, so that I can plan staff rotas.",
            "As a regional manager, I want to export the weekly sales report as a spreadsheet, so that I can plan staff rotas.",
        ],
        [{1, 2}],
    ),
    (
        "several near duplicates of one item make one cluster",
        [
            "Courier app crashes when uploading a delivery photo offline",
            "Courier app crashes when uploading a delivery photo",
            "Courier app crashes when uploading a blurry delivery photo offline",
            "Add a tip field to the checkout page",
        ],
        [{1, 2, 3}],
    ),
    (
        "stories alike only by their template",
        [
            "As a shopper, I want to reorder a previous basket, so that I save time.",
            "As a shopper, I want to track my courier on a map, so that I know when to be home.",
            "As a shopper, I want to pay with a voucher, so that I save money.",
            "As a shopper, I want to rate my order, so that the shop knows what I think.",
        ],
        [],
    ),
    (
        "deliberate variants each with words of their own",
        [
            "As a shopper, I want to pay with a credit card, so that I can check out quickly.",
            "As a shopper, I want to pay with PayPal, so that I can check out quickly.",
            "As a shopper, I want to pay with Apple Pay, so that I can check out quickly.",
        ],
        [],
    ),
    (
        "numbered or recurring work",
        [
            "Migrate the invoices to the new ledger service",
            "Migrate the invoices to the new ledger service, part 2",
            "Release notes for the mobile app 4.2.0",
            "Release notes for the mobile app 4.2.1",
            "Prepare the quarterly security review",
            "Prepare the quarterly security review again",
        ],
        [],
    ),
    (
        "the opposite",
        ["Show out-of-stock products in the search results", "Do not show out-of-stock products in the search results"],
        [],
    ),
    (
        "the other direction",
        [
            "Copy nightly exports from the archive bucket to the staging bucket",
            "Copy nightly exports from the staging bucket to the archive bucket",
        ],
        [],
    ),
    (
        "exact duplicates are UQ01's",
        ["As a shopper, I want to reorder a basket quickly.", "as a shopper, I want to reorder a basket quickly!"],
        [],
    ),
    (
        "British and American spellings of one story",
        [
            "As a shopper, I want to see the opening hours of the collection centres near me",
            "As a shopper, I want to see the opening hours of the collection centers near me",
            "As an admin, I want to organise the product catalogue by colour",
            "As an admin, I want to organize the product catalog by color",
            "Notify the customer when an order is cancelled",
            "Notify the customer when an order is canceled",
        ],
        [{1, 2}, {3, 4}, {5, 6}],
    ),
    (
        "texts too short to judge",
        ["Fix login", "Fix the login page", "Update docs", "Update the docs"],
        [],
    ),
    (
        "empty and odd texts",
        ["", "   ", "!!!", "—", "As a", "🙂🙂🙂", "Fix the login page", "Fix the login page button"],
        [{7, 8}],
    ),
]


@pytest.mark.parametrize(("titles", "expected"), [c[1:] for c in CLUSTER_CASES], ids=[c[0] for c in CLUSTER_CASES])
def test_clusters(titles, expected):
    assert _clusters(titles) == expected, f"backlog {titles!r}"


def test_exact_duplicates_join_the_cluster_but_are_not_named():
    titles = [
        "Send a receipt by email after every order",
        "send a receipt by e-mail after every order!",
        "Send a receipt by email after every order is paid",
    ]
    assert duplicates.normalize(titles[0]) != duplicates.normalize(titles[1])  # e-mail vs email: not UQ01's
    titles[1] = "Send a receipt by email after every order!"  # now an exact duplicate of the first
    assert _clusters(titles) == [{1, 2, 3}]
    found = _findings(titles)
    assert set(found) == {"1", "2", "3"}
    assert [f.message for f in found["1"]] == ["Merge or tell apart: nearly the same as 3"]
    assert [f.message for f in found["3"]] == ["Merge or tell apart: nearly the same as 1, 2"]


def test_uq01_and_uq02_never_report_the_same_pair():
    titles = [
        "Export the monthly invoices as PDF",
        "Export the monthly invoices as PDF.",
        "Export the monthly invoices as a PDF file",
        "Export monthly invoices as PDF",
        "Archive old invoices after a year",
        "Archive old invoices after a year",
    ]
    contexts = _contexts(titles)
    exact = {
        (contexts[i].item.key, message)
        for i, f in duplicates.check(contexts, RULES.by_id["UQ01"])
        for message in [f.message]
    }
    exact_pairs = {(key, other) for key, message in exact for other in message.split(" as ")[-1].split(", ")}
    near_pairs = set()
    for index, finding in check(contexts, RULE):
        named = finding.message.removeprefix("Merge or tell apart: nearly the same as ").split(" (")[0]
        near_pairs |= {(contexts[index].item.key, other) for other in named.split(", ")}
    assert near_pairs and exact_pairs, "both rules should fire on this backlog"
    assert not near_pairs & exact_pairs, f"pairs reported twice: {near_pairs & exact_pairs}"


def test_finding_names_the_closest_item_and_what_differs():
    titles = [
        "As a customer, I want to have a pick-up time, so that I can collect my order on the way home.",
        "As a customer, I want to choose a pick-up time, so that I can collect my order on the way home.",
    ]
    (finding,) = _findings(titles)["1"]
    assert finding.rule == "UQ02" and finding.criterion == "unique" and finding.severity == "warning"
    assert finding.message == "Merge or tell apart: nearly the same as 2"
    assert finding.excerpt == titles[0]
    assert finding.suggestion == (
        "Looks like 2 ('… to choose a pick-up …' there, '… to have a pick-up …' here): "
        "merge them or make the difference explicit."
    )


def test_same_story_for_another_role_says_so():
    titles = [
        "As a store manager, I want to export the weekly sales report, so that I can plan staff rotas.",
        "As a regional manager, I want to export the weekly sales report, so that I can plan staff rotas.",
    ]
    (finding,) = _findings(titles)["2"]
    assert finding.suggestion.startswith(
        "The same story as 1 for another role ('store manager' there, 'regional manager' here)"
    )


def test_a_general_item_links_its_specific_ones_without_calling_them_alike():
    titles = [
        "Update the Sources section of the user guide",
        "Update the Kafka Sources section of the user guide",
        "Update the HTTP Sources section of the user guide",
        "Update the Twitter Sources section of the user guide",
        "Update the Syslog Sources section of the user guide",
        "Update the TCP Sources section of the user guide",
        "Update the Files Sources section of the user guide",
    ]
    assert _clusters(titles) == [set(range(1, 8))]
    found = _findings(titles)
    assert found["1"][0].message == "Merge or tell apart: nearly the same as 2, 3, 4, 5, 6 and 1 more"
    assert found["2"][0].message == "Merge or tell apart: nearly the same as 1 (in a cluster of 7 items)"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, [{1, 2}]),
        ({"threshold": 0.9}, []),
        ({"threshold": 1}, []),
        ({"min_words": 20}, []),
        ({"variants": True}, [{1, 2}, {3, 4}]),
        ({"num_perm": 1, "bands": 1}, None),  # one hash: a candidate only by luck, but no error
        ({"num_perm": 16, "bands": 64}, [{1, 2}]),
        ({"num_perm": 0, "bands": 0, "threshold": -1}, None),
    ],
    ids=[
        "defaults",
        "threshold-0.9",
        "threshold-int",
        "min_words",
        "variants",
        "one-hash",
        "bands>num_perm",
        "nonsense",
    ],
)
def test_parameters(params, expected):
    titles = [
        "Send a weekly digest email of new offers to subscribers",
        "Send a weekly digest email of new offers to newsletter subscribers",
        "Export the monthly sales report as CSV for the finance team at month end",
        "Export the monthly sales report as PDF for the finance team at month end",
    ]
    found = _clusters(titles, **params)
    if expected is None:
        assert all(cluster in ({1, 2}, {3, 4}) for cluster in found), f"parameters {params}: {found}"
    else:
        assert found == expected, f"parameters {params}"


def test_every_parameter_is_declared_with_a_default_and_a_description():
    for name in ("threshold", "num_perm", "bands", "min_words", "variants"):
        spec = near_duplicates.PARAMS[name]
        assert spec.description and spec.default is not None, name
    assert RULE.kind == "near_duplicate" and RULE.criterion == "unique"


def test_content_words_drop_the_template_and_keep_the_role():
    words = content_words("As a returning customer, I'd like to re-order my last basket, so that I save time.")
    assert words == ["returning", "customer", "reorder", "last", "basket", "save", "time"]
    assert content_words("Release notes for 8.0.1.GA, don't ship v2") == [
        "release",
        "note",
        "8.0.1.ga",
        "not",
        "ship",
        "v2",
    ]


def test_british_spellings_are_compared_as_american_ones_and_no_two_words_become_one():
    assert content_words("Organise the colours of the centres' catalogues; analysed, travelling, grey") == (
        content_words("Organize the colors of the centers' catalogs; analyzed, traveling, gray")
    )
    for one, other in [("filled", "filed"), ("hour", "hor"), ("your", "yor"), ("labels", "labelled")]:
        assert content_words(one) != content_words(other)


def test_a_5_mb_title_is_capped():
    titles = ["Fix the login page " + "x" * 5_000_000, "Fix the login page button", "word " * 1_000_000]
    start = time.perf_counter()
    list(check(_contexts(titles), RULE))
    assert time.perf_counter() - start < 5, "a huge title must not be processed whole"


def _same_pairs_as_brute_force(contents: list[frozenset[str]], threshold: float) -> None:
    truth = {(i, j) for i, j in combinations(range(len(contents)), 2) if jaccard(contents[i], contents[j]) >= threshold}
    found = {(i, j) for i, j, _ in similar_pairs(contents, threshold)}
    assert found <= truth, "every pair MinHash+LSH returns is verified"
    assert len(found) >= 0.98 * len(truth), f"LSH missed {len(truth - found)} of {len(truth)} pairs"


def test_minhash_lsh_finds_what_comparing_every_pair_finds():
    rng = random.Random(7)
    vocabulary = [f"word{n}" for n in range(400)]
    contents = []
    for _ in range(300):
        base = rng.sample(vocabulary, rng.randint(3, 12))
        contents.append(frozenset(base))
        for _ in range(rng.randint(0, 2)):  # near copies: one word added, dropped or swapped
            edited = set(base)
            edited.add(rng.choice(vocabulary))
            if len(edited) > 4 and rng.random() < 0.5:
                edited.discard(rng.choice(sorted(edited)))
            contents.append(frozenset(edited))
    contents = list(dict.fromkeys(contents))
    _same_pairs_as_brute_force(contents, 0.75)
    _same_pairs_as_brute_force(contents, 0.6)


DETERMINISM = """
import sys
sys.path.insert(0, {tests!r})
from test_near_duplicates import _findings, _scale_backlog
titles = _scale_backlog(3000)
for key, findings in sorted(_findings(titles).items()):
    print(key, [(f.message, f.suggestion) for f in findings])
"""


def test_deterministic_across_runs_and_hash_seeds():
    tests = str(Path(__file__).parent)
    outputs = set()
    for seed in ("0", "1", "12345"):
        result = subprocess.run(
            [sys.executable, "-c", DETERMINISM.format(tests=tests)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        assert result.stdout.strip(), result.stderr
        outputs.add(result.stdout)
    assert len(outputs) == 1, "findings differ between hash seeds"


def _scale_backlog(n: int, seed: int = 11) -> list[str]:
    """A synthetic backlog of `n` titles; every 50th title has a near duplicate (a word added) later on."""
    rng = random.Random(seed)
    verbs = ["add", "fix", "show", "export", "import", "remove", "update", "allow", "track", "sort", "filter"]
    nouns = [
        f"{a}{b}"
        for a in ("pay", "ship", "cart", "user", "stock", "price", "order", "tax")
        for b in ("ment", "ping", "list", "board", "view", "rule", "log", "card", "flow", "item", "note", "zone")
    ]
    extras = ["quickly", "mobile", "nightly", "bulk", "safely", "offline", "shared", "draft"]
    titles = []
    for _ in range(n):
        titles.append(" ".join([rng.choice(verbs), *rng.sample(nouns, rng.randint(3, 7))]))
    for index in range(0, n // 2, 50):
        titles[n // 2 + index] = titles[index] + " " + rng.choice(extras)
    return titles


def test_a_20000_item_backlog_runs_in_seconds():
    titles = _scale_backlog(20_000)
    start = time.perf_counter()
    found = _findings(titles)
    seconds = time.perf_counter() - start
    planted = {(index + 1, 10_000 + index + 1) for index in range(0, 10_000, 50)}
    missed = [pair for pair in planted if str(pair[0]) not in found or str(pair[1]) not in found]
    assert not missed, f"planted near duplicates not found: {missed[:5]}"
    assert seconds < 30, f"20,000 items took {seconds:.1f} s"


# ------------------------------------------------------------------------------------- what a rerun remembers


class DictMemory:
    """A rule's memory in a dict, counting what is written."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}
        self.writes = 0

    def get(self, name):
        return self.texts.get(name)

    def put(self, name, text) -> None:
        self.writes += 1
        self.texts[name] = text


def _edited(titles: list[str], rng: random.Random, share: float) -> list[str]:
    """The backlog a week later: some titles edited, some gone, some new (near duplicates of others among
    them), and some moved."""
    titles = list(titles)
    for _ in range(max(1, int(len(titles) * share))):
        action = rng.choice(["edit", "drop", "add", "twin", "move"])
        index = rng.randrange(len(titles))
        if action == "edit":
            words = titles[index].split()
            words[rng.randrange(len(words))] = rng.choice(["invoice", "report", "quickly", "login", "export"])
            titles[index] = " ".join(words)
        elif action == "drop" and len(titles) > 10:
            titles.pop(index)
        elif action == "add":
            titles.insert(index, f"As a clerk, I want to file report {rng.randrange(10**6)} by mail")
        elif action == "twin":
            titles.insert(rng.randrange(len(titles)), titles[index] + " " + rng.choice(["again", "now", "twice"]))
        else:
            titles.insert(rng.randrange(len(titles)), titles.pop(index))
    return titles


def _findings_with(titles: list[str], memory, **params) -> list[tuple[str, str, str]]:
    contexts = _contexts(titles)
    rule = _rule(**params)
    prepared = [near_duplicates.prepare(ctx, rule) for ctx in contexts]
    return [
        (contexts[index].item.key, finding.message, finding.suggestion)
        for index, finding in check(contexts, rule, prepared, memory)
    ]


@pytest.mark.parametrize("big_buckets", [False, True])
def test_a_rerun_that_remembers_finds_what_a_fresh_run_finds(monkeypatch, big_buckets):
    if big_buckets:  # NOTE: small limits make buckets big enough to be compared along a window
        monkeypatch.setattr(near_duplicates, "MAX_BUCKET", 4)
        monkeypatch.setattr(near_duplicates, "BUCKET_WINDOW", 2)
    rng = random.Random(5)
    titles = _scale_backlog(1500, seed=3) + [f"As a clerk, I want to export the {n} report" for n in range(40)]
    memory = DictMemory()
    for week in range(8):
        remembered = _findings_with(titles, memory)
        assert remembered == _findings_with(titles, None), f"week {week}: findings differ"
        assert remembered, "the backlog has near duplicates"
        titles = _edited(titles, rng, share=0.01 if week % 2 else 0.1)
    assert memory.writes >= 8


def test_pairs_remembered_equal_pairs_found_afresh_on_real_stories(shared_data):
    rng = random.Random(7)
    stories = [
        line.strip()
        for path in sorted((shared_data / "dalpiaz_user_stories" / "stories").glob("*.txt"))
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
        if line.strip()
    ]
    memory = DictMemory()
    params = {**RULE.params, "threshold": 0.5}
    for _ in range(6):
        contents = list(dict.fromkeys(frozenset(content_words(text)) for text in stories if content_words(text)))
        names = [" ".join(sorted(content)) for content in contents]
        fresh = similar_pairs(contents, 0.5, params["num_perm"], params["bands"])
        assert near_duplicates.remembered_pairs(contents, names, params, memory) == fresh
        assert fresh
        stories = _edited(stories, rng, share=0.02)


def test_an_unchanged_backlog_writes_no_memory_and_a_damaged_memory_is_no_answer():
    titles = _scale_backlog(600, seed=4)
    memory = DictMemory()
    first = _findings_with(titles, memory)
    assert memory.writes == 1
    moved = titles[300:] + titles[:300]
    assert sorted(_findings_with(moved, memory)) == sorted(_findings_with(moved, None))
    assert memory.writes == 1, "the same texts in another order: nothing new to remember"
    good = json.loads(next(iter(memory.texts.values())))
    version, setting, names, keys, big, pairs, similarities = good
    assert similarities, "the backlog has near duplicates to remember"
    wrong_types = [
        [version, setting, names, keys, big, pairs, 5],
        [version, setting, names, keys, big, pairs, [None] * len(similarities)],
        [version, setting, [[name] for name in names], keys, big, pairs, similarities],
        [version, setting, names, keys[:8], big, pairs, similarities],
    ]
    for damaged in ("", "[1, 2]", "not json", '[1, ["a"], 32, "AAAA", "", "", []]', *map(json.dumps, wrong_types)):
        memory.texts = dict.fromkeys(memory.texts, damaged)
        assert _findings_with(titles, memory) == first
        assert json.loads(next(iter(memory.texts.values()))) == good, "a damaged memory is replaced"


def test_remembered_pairs_follow_buckets_that_grow_big_and_shrink(monkeypatch):
    # NOTE: families of texts that all share most words fill the same buckets; with small limits, buckets cross
    # the size from which they are compared along a window, both ways, as texts come and go.
    monkeypatch.setattr(near_duplicates, "MAX_BUCKET", 3)
    monkeypatch.setattr(near_duplicates, "BUCKET_WINDOW", 1)
    rng = random.Random(9)
    base = [f"w{family}x{word}" for family in range(12) for word in range(8)]
    texts = [frozenset(base[f * 8 : f * 8 + 8]) | {f"own{n}"} for f in range(12) for n in range(rng.randint(2, 6))]
    params = {**RULE.params, "threshold": 0.75, "num_perm": 32, "bands": 16}
    memory = DictMemory()
    for _ in range(30):
        contents = list(dict.fromkeys(texts))
        names = [" ".join(sorted(content)) for content in contents]
        fresh = similar_pairs(contents, 0.75, 32, 16)
        assert near_duplicates.remembered_pairs(contents, names, params, memory) == fresh
        for _ in range(rng.randint(1, 4)):
            if rng.random() < 0.5 and len(texts) > 5:
                texts.pop(rng.randrange(len(texts)))
            else:
                family = rng.randrange(12)
                texts.insert(
                    rng.randrange(len(texts) + 1), frozenset(base[family * 8 : family * 8 + 8]) | {f"own{rng.random()}"}
                )
        if rng.random() < 0.3:
            rng.shuffle(texts)
