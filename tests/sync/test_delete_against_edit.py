"""A record deleted on one laptop after its last edit there, and edited on another from an older
version: keeping the edited version keeps the deleting inspector's last words too."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from sync_fixtures import Device, Service, colleagues
from vault_fixtures import sample_contents

from fieldapp import domain


def test_keeping_the_edit_against_a_delete_keeps_what_the_deleter_wrote_before_deleting(
    service: Service, make_device: Callable[..., Device]
) -> None:
    _assessment_id, amara, ben, record_id = colleagues(service, make_device, sample_contents()[2])
    assert record_id is not None
    case = amara.vault.records.get(record_id).content
    assert isinstance(case, domain.CaseTracking)
    last = case.contacts[-1]
    told = dataclasses.replace(last, persons_account="Daughter: nobody rang back")
    amara.vault.records.save(record_id, dataclasses.replace(case, contacts=(*case.contacts[:-1], told)))
    amara.vault.records.cut_revision(record_id)
    amara.sync()
    amara.vault.records.delete(record_id)
    amara.sync()

    older = ben.vault.records.get(record_id).content  # Ben never saw Amara's edit
    ben.vault.records.save(record_id, dataclasses.replace(older, notes=older.notes + "\nGP letter arrived a week late"))
    ben.sync()
    (conflict,) = ben.vault.replication.conflicts()
    edited = next(head for head in conflict.heads if not head.fields()["deleted"])
    ben.vault.replication.resolve(record_id, take=edited.id)

    kept = ben.vault.records.get(record_id).content
    assert isinstance(kept, domain.CaseTracking)
    assert kept.notes.endswith("GP letter arrived a week late")
    assert kept.contacts[-1].persons_account == "Daughter: nobody rang back"
    ben.sync()
    amara.sync()
    assert amara.vault.records.get(record_id).content == kept  # the same on both laptops
