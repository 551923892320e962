"""PUT on an existing resource whose service offers no update.

Registered ASNs and prefixes, Peering Service prefixes and (in the portal) Peer ASNs cannot be
modified, only deleted and created again (arm-api-facts.md §6). An ARM PUT that sends the
resource back as it is is a no-op that answers 200; one that asks for a change is refused with
409 and why.
"""

from __future__ import annotations

from peering.api.errors import ArmError


def unchanged_or_conflict(*, what: str, current: dict, wanted: dict) -> None:
    changed = sorted(key for key, value in wanted.items() if current.get(key) != value)
    if changed:
        raise ArmError(
            409,
            "Conflict",
            f"{what} cannot be modified ({', '.join(changed)} differ); delete it and create it "
            "again.",
            target=changed[0],
        )
