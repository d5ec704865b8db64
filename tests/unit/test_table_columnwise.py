"""The reference backend's rules column-wise, and rows without Decisions: as evaluate() says.

evaluate_table() decides the new classes of a batch on the reference backend
all at once (``table/_fired.py``) and builds output rows straight from the
fired rules (``pipeline.combine.decision_row``). Both are checked here
against evaluate() on every class of the second pack, on drawn profiles of
the clinical pack and of generated packs, and against the engine itself.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pa = pytest.importorskip("pyarrow")
np = pytest.importorskip("numpy")

from neurotriage import evaluate, evaluate_table, load_rules  # noqa: E402
from neurotriage.analysis import input_space  # noqa: E402
from neurotriage.engines.reference import ReferenceEngine  # noqa: E402
from neurotriage.pipeline import add_observer  # noqa: E402
from neurotriage.pipeline.combine import combine, decision_row  # noqa: E402
from neurotriage.strategies import profiles  # noqa: E402
from neurotriage.table._fired import Groups, fired_columnwise  # noqa: E402
from tests.conftest import ROOT, available_backends  # noqa: E402
from tests.generated_packs import write_generated_pack  # noqa: E402
from tests.tables import row_of  # noqa: E402

CALF = ROOT / "examples" / "packs" / "calf-check"
CLINICAL = ROOT / "packs" / "neuropathy-foot-care"


def test_every_class_of_the_second_pack_decides_as_evaluate(backend: str) -> None:
    rules = load_rules(CALF)
    space = input_space(rules)
    table = pa.Table.from_pylist([profile.model_dump() for profile in space])
    out = evaluate_table(table, rules=rules, backend=backend).to_pylist()
    assert out == [row_of(evaluate(p, rules=rules, backend=backend)) for p in space]


def test_fired_columnwise_is_the_reference_engine_on_every_class_of_the_second_pack() -> None:
    """One group per class, each field's values as codes: the same rules fire."""
    rules = load_rules(CALF)
    space = list(input_space(rules))
    engine = ReferenceEngine(rules)
    values: dict[str, list[Any]] = {}
    codes: dict[str, Any] = {}
    for name in rules.pack.fields:
        seen: dict[str, int] = {}
        column = [p.__dict__[name] for p in space]
        codes[name] = np.array([seen.setdefault(repr(v), len(seen)) for v in column])
        by_code = dict.fromkeys(range(len(seen)))
        for code, value in zip(codes[name].tolist(), column, strict=True):
            by_code[code] = value
        values[name] = [by_code[code] for code in range(len(seen))]
    matrix = fired_columnwise(rules, Groups(len(space), codes, values), np)
    ids = [rule.id for rule in rules.rules]
    for row, profile in zip(matrix.tolist(), space, strict=True):
        assert {i for i, fires in zip(ids, row, strict=True) if fires} == engine.fired(profile)


def test_decision_row_is_combine_on_every_class_of_the_default_pack() -> None:
    rules = load_rules(ROOT / "rules")
    engine = ReferenceEngine(rules)
    for profile in input_space(rules):
        fired = engine.fired(profile)
        expected = row_of(combine(rules, profile, fired, cache=False))
        del expected["error"]
        row = decision_row(rules, profile.__dict__, fired)
        assert dict(zip(expected, row, strict=True)) == {
            name: tuple(value) if isinstance(value, list) else value
            for name, value in expected.items()
        }


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_drawn_profiles_of_the_clinical_pack_decide_as_evaluate(data: st.DataObject) -> None:
    rules = clinical_rules()
    drawn = data.draw(st.lists(profiles(rules), min_size=1, max_size=60))
    dumped = [p.model_dump() for p in drawn]
    for backend in available_backends():
        out = evaluate_table(pa.Table.from_pylist(dumped), rules=rules, backend=backend)
        assert out.to_pylist() == [row_of(evaluate(p, rules=rules, backend=backend)) for p in drawn]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return load_rules(
        write_generated_pack(tmp_path_factory.mktemp("gen") / "pack", fields=12, rules=40)
    )


def test_drawn_profiles_of_a_generated_pack_decide_as_evaluate(generated: Any) -> None:
    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(profiles(generated), min_size=1, max_size=80))
    def check(drawn: list[Any]) -> None:
        dumped = [p.model_dump() for p in drawn]
        out = evaluate_table(pa.Table.from_pylist(dumped), rules=generated, backend="reference")
        assert out.to_pylist() == [row_of(evaluate(p, rules=generated)) for p in drawn]

    check()


def test_observers_see_a_decision_for_each_new_effect_of_a_table() -> None:
    """A table shows its decisions to observers (the pytest plugin's rule coverage), so a
    rule that fires only in a table is still covered."""
    rules = load_rules(ROOT / "rules")
    seen: list[Any] = []
    remove = add_observer(lambda _rules, decision: seen.append(decision))
    try:
        rows = [{"open_wounds": True}, {"pain_level": 8}, {"open_wounds": True}]
        out = evaluate_table(pa.Table.from_pylist(rows), rules=rules, backend="reference")
    finally:
        remove()
    fired = {rule for decision in seen for rule in decision.fired_rules}
    assert fired == {rule for row in out.to_pylist() for rule in row["fired_rules"]}
    assert [row_of(d) for d in seen[:1]] == [out.to_pylist()[0]]


_clinical: list[Any] = []


def clinical_rules() -> Any:
    """The clinical pack, loaded once for the drawn examples."""
    if not _clinical:
        _clinical.append(load_rules(CLINICAL))
    return _clinical[0]
