"""Who saved a revision reaches colleagues as words: the service names each signer's inspector
apart from the laptop (protocol.F_DEVICE_INSPECTOR) to clients that ask, and as before to others."""

from __future__ import annotations

import pytest
from sync_fixtures import Service, colleagues, raw_device
from vault_fixtures import sample_contents

from sync import protocol
from sync.client import api


def _pulled_devices(service: Service, headers: dict[str, str]) -> list[dict]:
    assessment_id, (inspector_id,) = service.team()  # "Inspector A"
    writer = raw_device(service, inspector_id, label="Amara's laptop")
    assert writer.push(writer.revision(assessment_id)).status_code == 200
    reader = raw_device(service, inspector_id, label="spare laptop")
    answer = reader.request("POST", "/pull", json={"cursor": None}, headers=headers)
    assert answer.status_code == 200, answer.text
    return [d for d in answer.json()["devices"] if d["id"] == writer.device_id]


def test_a_client_that_asks_gets_the_inspector_apart_from_the_laptop(service: Service) -> None:
    (device,) = _pulled_devices(service, {protocol.FEATURES_HEADER: protocol.F_DEVICE_INSPECTOR})
    assert (device["inspector"], device["label"]) == ("Inspector A", "Amara's laptop")


def test_a_client_that_does_not_ask_gets_the_answer_older_clients_read(service: Service) -> None:
    (device,) = _pulled_devices(service, {})
    # Older clients refuse unknown fields: the answer has none, and the label reads as before.
    assert "inspector" not in device and device["label"] == "Inspector A – Amara's laptop"
    assert set(device) == {"id", "public_key", "label"}


def test_a_colleague_who_saved_a_record_is_named_with_their_laptop(service: Service, make_device) -> None:  # noqa: ANN001
    _assessment, first, second, record_id = colleagues(service, make_device, sample_contents()[0])
    (rev,) = second.vault.history.revisions(record_id)
    signers = second.vault.history.signers()
    assert signers[rev.device_id].words() == "Inspector A, on ‘first’"
    assert first.vault.history.signers()[rev.device_id].words() == "you, on this laptop"


def test_a_service_that_sends_no_inspector_leaves_the_label_it_sent_until_one_that_does(
    service: Service, make_device, monkeypatch: pytest.MonkeyPatch  # noqa: ANN001
) -> None:
    # A client that does not name the feature is answered exactly as an older service answers.
    without = {k: v for k, v in api._HEADERS.items() if k != protocol.FEATURES_HEADER}
    monkeypatch.setattr(api, "_HEADERS", without)
    assessment_id, first, second, record_id = colleagues(service, make_device, sample_contents()[0])
    signer = first.vault.history.revisions(record_id)[0].device_id
    assert second.vault.history.signers()[signer].words() == "Inspector A – first"
    monkeypatch.undo()
    first.vault.records.save(record_id, sample_contents()[0].__class__(title="ICB board, December"))
    first.sync()
    second.sync()
    assert second.vault.history.signers()[signer].words() == "Inspector A, on ‘first’"
