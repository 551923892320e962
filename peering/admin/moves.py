"""The operators' moves of a connection, read from the state table.

`peering.services.lifecycle.TRANSITIONS` is the only table of allowed moves. This module gives
each move Microsoft makes there an admin action: a name, a label and, where the peer will read a
note, the help for it. Which states an action is offered from comes from the table, never from
here, so the admin cannot offer a move the service would refuse, nor miss one it allows (a move
added to the table without a label here stops the admin from loading).
"""

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from peering.enums import ConnectionState as S
from peering.models import Actor
from peering.services.lifecycle import NEEDS_NOTE, TRANSITIONS


@dataclass(frozen=True)
class Move:
    """One operator action: the state it moves to, the states the table allows it from, and
    how it asks for a note."""

    name: str
    to_state: str
    description: str
    from_states: frozenset
    note: str = ""  # "" (no page), "required" or "optional": a page with a note field
    note_help: str = ""
    # Why the admin refuses it from a state where another action with the same target fits.
    elsewhere: str = ""
    one_edge: bool = False  # the action is one edge of the table (from one state only)

    @property
    def is_type_change_reject(self) -> bool:
        return self.name == "reject_type_change"

    def offered_from(self, state: str) -> bool:
        return state in self.from_states

    def refusal(self, state: str) -> str | None:
        """The admin's own refusal, for a state where the table allows the target state through
        another action (e.g. Active from TypeChangeRequested is “Reject type change…”)."""
        if state in self.from_states or not self.elsewhere:
            return None
        if not self.one_edge and TRANSITIONS.get(state, {}).get(self.to_state) != Actor.OPERATOR:
            return None  # not a move at all: the service says why
        return f"it is {state}: {self.elsewhere}"


@dataclass(frozen=True)
class _Label:
    name: str
    to_state: str
    description: str
    only_from: str = ""  # this action is the one edge only_from → to_state
    note: str = ""
    note_help: str = ""
    elsewhere: str = ""


# The admin's words for each operator move, in the order the actions are listed.
_LABELS = [
    _Label("register", S.PENDING_APPROVAL, "Register request (PendingApproval)"),
    _Label("approve", S.APPROVED, "Approve"),
    _Label("start_provisioning", S.PROVISIONING_STARTED, "Start provisioning"),
    _Label("complete_provisioning", S.PROVISIONING_COMPLETED, "Complete provisioning"),
    _Label("start_validation", S.VALIDATING, "Start validation"),
    _Label(
        "activate",
        S.ACTIVE,
        "Activate",
        elsewhere=("decide the type change with “Approve type change” or “Reject type change…”."),
    ),
    _Label(
        "mark_provisioning_failed",
        S.PROVISIONING_FAILED,
        "Mark provisioning failed…",
        note_help=(
            "Becomes the connection's error message in the portal and is emailed to the Peer "
            "ASN's contacts, e.g. “No BGP session came up on 192.0.2.1; check the cross-connect.”"
        ),
    ),
    _Label(
        "mark_external_blocker",
        S.EXTERNAL_BLOCKER,
        "Mark external blocker…",
        note_help=(
            "What blocks progress outside Microsoft; the peer sees it as the error message, "
            "e.g. “The LOA for the cross-connect has expired; send a new one.”"
        ),
    ),
    _Label("approve_type_change", S.TYPE_CHANGE_IN_PROGRESS, "Approve type change"),
    _Label(
        "reject_type_change",
        S.ACTIVE,
        "Reject type change…",
        only_from=S.TYPE_CHANGE_REQUESTED,
        note="required",  # the service requires the reason: the peer is told why
        note_help=(
            "Why the request is refused; the connection goes back to Active and the peer is "
            "told, e.g. “No Peering Service agreement is signed for this subscription.”"
        ),
        elsewhere="there is no type change request to decide.",
    ),
    _Label(
        "mark_pending_remove",
        S.PENDING_REMOVE,
        "Remove connection (PendingRemove)…",
        note="optional",
        note_help="Optional: why Microsoft removes the connection; the peer sees it.",
    ),
]


def _operator_edges() -> set[tuple[str, str]]:
    return {
        (from_state, to_state)
        for from_state, moves in TRANSITIONS.items()
        for to_state, actor in moves.items()
        if actor == Actor.OPERATOR
    }


def _moves() -> list[Move]:
    edges = _operator_edges()
    claimed = {(label.only_from, label.to_state) for label in _LABELS if label.only_from}
    moves = []
    for label in _LABELS:
        if label.only_from:
            from_states = {label.only_from} if (label.only_from, label.to_state) in edges else set()
        else:
            from_states = {f for f, t in edges if t == label.to_state and (f, t) not in claimed}
        note = label.note or ("required" if label.to_state in NEEDS_NOTE else "")
        moves.append(
            Move(
                name=label.name,
                to_state=label.to_state,
                description=label.description,
                from_states=frozenset(from_states),
                note=note,
                note_help=label.note_help,
                elsewhere=label.elsewhere,
                one_edge=bool(label.only_from),
            )
        )
    covered = {(f, move.to_state) for move in moves for f in move.from_states}
    if missing := sorted(edges - covered):
        listed = ", ".join(f"{f} → {t}" for f, t in missing)
        raise ImproperlyConfigured(f"No admin action for the operator moves: {listed}.")
    return moves


MOVES: list[Move] = _moves()
MOVES_BY_NAME = {move.name: move for move in MOVES}
