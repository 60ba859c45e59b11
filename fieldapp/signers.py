"""Who made a revision, in words: the inspector and the laptop, from the devices this vault knows
('Amara Okafor, on ‘Amara's laptop’'; 'you, on this laptop'), never a device id."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from fieldapp.revisions import revision
from fieldapp.storage.models import Device

_DEVICES = sa.select(Device.id, Device.label, Device.inspector)


@dataclass(frozen=True)
class Signer:
    device_id: str
    inspector: str = ""  # the colleague's name, once the service has said it
    laptop: str = ""  # the laptop's label; from older services, "Inspector – laptop" as one
    ours: bool = False  # this vault's own device
    automatic: bool = False  # an auto-merge: signed by no device, made alike everywhere

    def words(self) -> str:
        """Who, in the middle of a sentence: 'Amara Okafor, on ‘Amara's laptop’', 'you, on this laptop'."""
        if self.automatic:
            return "an automatic merge"
        if self.ours:
            return "you, on this laptop"
        if self.inspector and self.laptop:
            return f"{self.inspector}, on ‘{self.laptop}’"
        return self.inspector or self.laptop or "someone on another laptop"

    def heading(self) -> str:
        """Who, at the start of a line: 'You, on this laptop'."""
        words = self.words()
        return words[:1].upper() + words[1:]


def signers(session: Session, own_device_id: str) -> dict[str, Signer]:
    """Every device this vault holds revisions of, by id, with this laptop and auto-merges marked."""
    found = {row.id: Signer(row.id, row.inspector, row.label) for row in session.execute(_DEVICES)}
    found[own_device_id] = Signer(own_device_id, ours=True)
    found[revision.AUTO_MERGE_DEVICE] = Signer(revision.AUTO_MERGE_DEVICE, automatic=True)
    return found


def signer_of(known: dict[str, Signer], device_id: str) -> Signer:
    """The signer of device_id, or an unnamed one (a device the service has not introduced)."""
    return known.get(device_id) or Signer(device_id)
