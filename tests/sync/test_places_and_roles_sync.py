"""Places and organisations and the team's roles (issue 15) through the real service, on SQLite and
PostgreSQL: two laptops adding places offline both keep theirs; a name changed both ways collides on
both laptops and is resolved once for both; the service refuses a malformed places item and one under
an id that is not its derived one; roles set with `fieldapp-server admin team` reach the vault, and
only clients that name the feature are sent them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sync_fixtures import PROTOCOL_HEADERS, Device, Service, colleagues, raw_device

from fieldapp.ids import uuid7
from fieldapp.places import places_id
from sync import protocol
from sync.server import admin, errors
from sync.server.cli import main


def sync_both(first: Device, second: Device) -> None:
    first.sync()
    second.sync()
    first.sync()
    second.sync()


def names(device: Device, assessment_id: str) -> list[tuple[str, str, bool]]:
    return [(p.name, p.type, p.retired) for p in device.vault.places.list(assessment_id, include_retired=True)]


def test_two_laptops_adding_places_offline_both_keep_theirs(service: Service, make_device: Callable[..., Device]) -> None:
    assessment_id, amara, ben, _ = colleagues(service, make_device)
    amara.vault.places.add(assessment_id, "Northshire ICB", "icb")
    sync_both(amara, ben)
    amara.vault.places.add(assessment_id, "North Place", "locality")  # both offline, each adding their own
    ben.vault.places.add(assessment_id, "Riverside Trust", "provider")
    council = ben.vault.places.add(assessment_id, "Northshire Council", "local_authority").value
    ben.vault.places.retire(assessment_id, council.id)
    sync_both(amara, ben)

    expected = [("North Place", "locality", False), ("Northshire ICB", "icb", False),
                ("Northshire Council", "local_authority", True), ("Riverside Trust", "provider", False)]  # fmt: skip
    assert names(amara, assessment_id) == names(ben, assessment_id) == expected
    for device in (amara, ben):
        item = device.vault.places.item(assessment_id)
        assert item.id == places_id(assessment_id) and not item.conflict
        assert device.vault.records.list(assessment_id) == ()  # never evidence


def test_a_name_changed_both_ways_collides_on_both_laptops_and_is_resolved_once(service: Service, make_device: Callable[..., Device]) -> None:
    assessment_id, amara, ben, _ = colleagues(service, make_device)
    council = amara.vault.places.add(assessment_id, "Northshire Council", "local_authority").value
    sync_both(amara, ben)
    amara.vault.places.rename(assessment_id, council.id, "North Shire Council")
    ben.vault.places.rename(assessment_id, council.id, "Northshire County Council")
    sync_both(amara, ben)

    for device in (amara, ben):
        assert device.vault.places.item(assessment_id).conflict
        versions = device.vault.places.versions(assessment_id)
        assert sorted(e.name for _rev, c in versions for e in c.entries) == ["North Shire Council", "Northshire County Council"]
    (conflict,) = ben.vault.replication.conflicts()
    assert conflict.title == "Places and organisations"
    keep = next(rev for rev, c in ben.vault.places.versions(assessment_id) if c.entries[0].name == "Northshire County Council")
    ben.vault.replication.resolve_item(places_id(assessment_id), take=keep)
    sync_both(amara, ben)
    for device in (amara, ben):
        assert not device.vault.places.item(assessment_id).conflict
        assert names(device, assessment_id) == [("Northshire County Council", "local_authority", False)]


def test_the_service_refuses_a_malformed_places_item_and_one_not_under_its_derived_id(service: Service) -> None:
    assessment_id, (inspector,) = service.team()
    raw = raw_device(service, inspector)
    entry = {"id": uuid7(), "name": "North Place", "type": "locality", "retired": False}
    cases = [
        (places_id(assessment_id), {"entries": [{**entry, "type": "county"}]}, protocol.R_CONTENT, "not 'county'"),
        (places_id(assessment_id), {"entries": [{**entry, "name": "x" * 301}]}, protocol.R_CONTENT, "longer than 300 characters"),
        (places_id(assessment_id), {"entries": [entry], "owner": "me"}, protocol.R_CONTENT, "does not know: owner"),
        (uuid7(), {"entries": [entry]}, protocol.R_RECORD, "does not have the id its assessment gives it"),
        (places_id(uuid7()), {"entries": [entry]}, protocol.R_RECORD, "does not have the id its assessment gives it"),
    ]
    for record_id, content, code, words in cases:
        (ack,) = raw.push(raw.revision(assessment_id, record_id=record_id, kind="places", content=content)).json()["acks"]
        assert (ack["status"], ack["code"]) == ("rejected", code) and words in ack["reason"], ack
    good = raw.revision(assessment_id, record_id=places_id(assessment_id), kind="places", content={"entries": [entry]})
    assert raw.push(good).json()["acks"][0]["status"] == "accepted"
    gone = raw.revision(assessment_id, record_id=places_id(assessment_id), kind="places", content={"entries": []}, parents=(good.id,), deleted=True)
    (ack,) = raw.push(gone).json()["acks"]
    assert ack["status"] == "rejected" and "came deleted" in ack["reason"]


def team_cli(service: Service, *args: str) -> int:
    where = ["--data", str(service.settings.data_dir)]
    if service.settings.database_url:
        where += ["--database-url", service.settings.database_url]
    return main([*where, "admin", "team", *args])


def test_roles_set_with_the_admin_command_reach_the_vault_at_the_next_pull(service: Service, make_device: Callable[..., Device]) -> None:
    assessment_id, amara, ben, _ = colleagues(service, make_device)
    with service.admin() as session:
        a, b = sorted((m.inspector_id for m in admin.list_members(session, assessment_id)), key=lambda i: i)
        named = {m.inspector_id: m.name for m in admin.list_members(session, assessment_id)}
        adviser = admin.create_inspector(session, "Dr Cara Singh").id
    first, second = sorted((a, b), key=lambda i: named[i])  # Inspector A, Inspector B
    assert team_cli(service, "add", assessment_id, adviser, "--role", "specialist_adviser") == 0
    assert team_cli(service, "role", assessment_id, first, "lead") == 0
    assert team_cli(service, "role", assessment_id, second, "expert_by_experience") == 0
    amara.sync()
    ben.sync()
    for device in (amara, ben):
        row = device.vault.assessments.get(assessment_id)
        assert [(m.name, m.role_label) for m in row.members] == [
            ("Dr Cara Singh", "Specialist adviser"), ("Inspector A", "Lead inspector"), ("Inspector B", "Expert by Experience"),
        ]  # fmt: skip
        assert row.team == ("Dr Cara Singh", "Inspector A", "Inspector B") and row.lead == "Inspector A"

    assert team_cli(service, "role", assessment_id, first, "inspector") == 0  # the lead given another role: no lead now
    amara.sync()
    row = amara.vault.assessments.get(assessment_id)
    assert row.lead is None and [m.role for m in row.members] == ["specialist_adviser", "inspector", "expert_by_experience"]
    with pytest.raises(SystemExit):  # argparse refuses a role it does not know, naming the four
        team_cli(service, "role", assessment_id, first, "chair")
    with service.admin() as session, pytest.raises(errors.Invalid, match="'chair' is not a role"):
        admin.set_role(session, assessment_id, first, "chair")


def test_only_a_client_that_names_the_feature_is_sent_the_roles(service: Service) -> None:
    assessment_id, (a,) = service.team()
    with service.admin() as session:
        admin.set_role(session, assessment_id, a, "specialist_adviser")
    device = raw_device(service, a)
    older = device.pull().json()["assessments"][0]
    assert "members" not in older and older["team"] == ["Inspector A"]  # older clients refuse fields they do not know
    newer = device.request(
        "POST", "/pull", json={"cursor": None}, headers={**PROTOCOL_HEADERS, protocol.FEATURES_HEADER: protocol.F_TEAM_ROLES}
    ).json()["assessments"][0]
    assert newer["members"] == [{"name": "Inspector A", "role": "specialist_adviser"}] and "lead" not in newer


def test_a_pull_from_an_older_service_without_roles_still_reads_names_as_inspectors_and_its_lead(
    service: Service, make_device: Callable[..., Device]
) -> None:
    from fieldapp.replication.exchange import PulledAssessment

    assessment_id, amara, _ben, _ = colleagues(service, make_device)
    row = amara.vault.assessments.get(assessment_id)
    older = PulledAssessment(assessment_id, row.name, row.period_start, row.period_end, row.framework_key, ("Inspector A", "Inspector B"),
                             "0190b2c4-0000-7000-8000-000000000001", "Inspector B")  # fmt: skip
    with amara.vault.transaction("as an older service's pull") as session:
        from fieldapp.replication.exchange import _upsert_assessments

        _upsert_assessments(session, (older,))
    assert [(m.name, m.role) for m in amara.vault.assessments.get(assessment_id).members] == [("Inspector A", "inspector"), ("Inspector B", "lead")]
