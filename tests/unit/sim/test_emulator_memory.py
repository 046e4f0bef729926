"""A process that runs thousands of simulations (a sweep worker) must not keep what each run left in
moto's bookkeeping: its URL routes in ``responses`` and its model-instance lists."""

from __future__ import annotations

from moto.core.models import responses_mock
from moto.dynamodb.models.table import Table

from sim import Simulation
from tests.unit.sim.conftest import make_stack

STACK = make_stack(tables=[{"name": "t", "hash_key": {"name": "pk"}}])


def _run_once() -> None:
    with Simulation(STACK) as sim:
        ddb = sim.emulator.client("dynamodb")
        for n in range(5):
            ddb.put_item(TableName="t", Item={"pk": {"S": str(n)}})
        assert ddb.scan(TableName="t")["Count"] == 5  # the data is there while the run is open
        assert len(responses_mock.registered()) > 0 and Table.instances_tracked


def test_moto_bookkeeping_does_not_grow_with_the_number_of_runs():
    for _ in range(3):
        _run_once()
        # moto added ~1,300 routes and tracked every table and item again at each start; all gone
        assert len(responses_mock.registered()) == 0
        assert Table.instances_tracked == []


def test_a_later_run_still_sees_a_clean_account():
    _run_once()
    with Simulation(STACK) as sim:
        assert sim.emulator.client("dynamodb").scan(TableName="t")["Count"] == 0
