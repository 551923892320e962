"""The operators' actions come from the state table: labels here, moves in TRANSITIONS."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from peering.admin import moves
from peering.enums import ConnectionState as S
from peering.models import Actor
from peering.services.lifecycle import TRANSITIONS


def test_each_action_is_offered_exactly_where_the_table_allows_its_move():
    for move in moves.MOVES:
        for state in TRANSITIONS:
            allowed = TRANSITIONS[state].get(move.to_state) == Actor.OPERATOR
            if move.offered_from(state):
                assert allowed, f"{move.name} offered from {state}"


def test_active_from_a_type_change_request_is_the_reject_action_only():
    assert moves.MOVES_BY_NAME["reject_type_change"].from_states == {S.TYPE_CHANGE_REQUESTED}
    assert not moves.MOVES_BY_NAME["activate"].offered_from(S.TYPE_CHANGE_REQUESTED)
    assert moves.MOVES_BY_NAME["activate"].offered_from(S.VALIDATING)
    assert "decide the type change" in moves.MOVES_BY_NAME["activate"].refusal(
        S.TYPE_CHANGE_REQUESTED
    )
    assert "no type change request" in moves.MOVES_BY_NAME["reject_type_change"].refusal(
        S.PENDING_APPROVAL
    )


def test_a_move_added_to_the_table_without_a_label_stops_the_admin(monkeypatch):
    table = {state: dict(targets) for state, targets in TRANSITIONS.items()}
    table[S.PENDING_REMOVE] = {S.PROVISIONING_COMPLETED: Actor.OPERATOR}
    monkeypatch.setattr(moves, "TRANSITIONS", table)
    # A new edge to a labelled state is simply offered from its new state.
    derived = {move.name: move for move in moves._moves()}
    assert derived["complete_provisioning"].offered_from(S.PENDING_REMOVE)
    monkeypatch.setattr(
        moves, "_LABELS", [label for label in moves._LABELS if label.name != "approve"]
    )
    with pytest.raises(ImproperlyConfigured, match="Approved"):
        moves._moves()
