from __future__ import annotations

from coach.analysis import BigramFigures, Confusion, Snapshot, findings
from courses.layouts import LAYOUTS
from stats.aggregates import KeyFigures

QWERTY = LAYOUTS["qwerty"]


def test_a_weak_key_is_explained_with_its_evidence_and_the_finger_that_reaches():
    snapshot = Snapshot(
        keys=[KeyFigures("t", hits=140, errors=29)],
        confusions=[Confusion("t", "r", 18), Confusion("t", "y", 4)],
    )
    [finding] = findings(snapshot, QWERTY)
    assert finding.kind == "weak_key"
    assert finding.message == (
        "t: 21 % errors over 140 presses, most often typed as r — left index finger, reach up."
    )
    assert finding.focus_keys == ("t",)


def test_a_key_needs_20_samples_before_the_coach_judges_it():
    few = Snapshot(keys=[KeyFigures("q", hits=19, errors=10)])
    assert [f.kind for f in findings(few, QWERTY)] == ["too_little_data"]
    enough = Snapshot(keys=[KeyFigures("q", hits=20, errors=10)])
    assert [f.kind for f in findings(enough, QWERTY)] == ["weak_key"]


def test_slow_keys_and_slow_pairs_are_found_and_practisable():
    snapshot = Snapshot(
        keys=[KeyFigures("j", hits=50, errors=0, time_sum_ms=50 * 520, time_count=50)],
        bigrams=[
            BigramFigures("th", count=40, errors=0, time_sum_ms=40 * 610, time_count=40),
            BigramFigures("he", count=40, errors=0, time_sum_ms=40 * 200, time_count=40),
        ],
    )
    kinds = {f.kind: f for f in findings(snapshot, QWERTY)}
    assert kinds["slow_pair"].focus_bigrams == ("th",)
    assert "610 ms on average over 40 times" in kinds["slow_pair"].message
    assert kinds["slow_key"].focus_keys == ("j",)
    assert "right index finger, home row" in kinds["slow_key"].message


def test_the_balance_rule_says_slow_down_below_92_and_push_above_97():
    slow = findings(Snapshot(keys=[], recent_accuracy=91.9, recent_wpm=30, target_wpm=40), QWERTY)
    assert slow[0].kind == "slow_down"
    push = findings(Snapshot(keys=[], recent_accuracy=97.0, recent_wpm=30, target_wpm=40), QWERTY)
    assert push[0].kind == "push_speed"
    assert "from 30 towards 40 WPM" in push[0].message
    neither = findings(
        Snapshot(
            keys=[KeyFigures("f", hits=40, errors=1)],
            recent_accuracy=95.0,
            recent_wpm=30,
            target_wpm=40,
        ),
        QWERTY,
    )
    assert [f.kind for f in neither] == ["keep_going"]


def test_findings_are_ranked_by_weight():
    snapshot = Snapshot(
        keys=[KeyFigures("t", hits=100, errors=40), KeyFigures("e", hits=100, errors=16)],
        recent_accuracy=80,
    )
    assert [f.kind for f in findings(snapshot, QWERTY)] == ["slow_down", "weak_key", "weak_key"]
    assert findings(snapshot, QWERTY)[1].focus_keys == ("t",)
