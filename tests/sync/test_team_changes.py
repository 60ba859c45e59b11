"""Team changes reach laptops that have synced before: an inspector added to a team receives that
assessment with its whole history at the next sync, and every laptop's team list follows the
service's."""

from __future__ import annotations

from collections.abc import Callable

from sync_fixtures import Device, Service

from fieldapp import domain
from sync.client import engine
from sync.server import admin


def _team(device: Device, assessment_id: str) -> tuple[str, ...]:
    return next(a.team for a in device.vault.assessments.list() if a.id == assessment_id)


def test_an_inspector_added_to_a_team_later_receives_its_whole_history(service: Service, make_device: Callable[..., Device]) -> None:
    northshire, (amara, ben) = service.team("Northshire ICS", inspectors=2)
    with service.admin() as session:
        eastshire = admin.create_assessment(session, "Eastshire ICS", period_start="2026-12-01", period_end="2026-12-31").id
        admin.add_member(session, eastshire, ben)
    first, second = make_device(service, amara, "amara"), make_device(service, ben, "ben")
    first.sync()
    second.sync()
    records = [second.vault.records.create(eastshire, content).value.id for content in
               (domain.Observation(title="Place board"), domain.Interview(title="Carer", pseudonym="C1", notes="Waited"))]  # fmt: skip
    second.vault.records.cut_revision(records[1])
    second.vault.records.save(records[1], domain.Interview(title="Carer", pseudonym="C1", notes="Waited; then seen"))
    second.vault.records.cut_revision(records[1])
    second.sync()
    first.sync()
    assert [a.id for a in first.vault.assessments.list()] == [northshire]  # not in that team yet

    with service.admin() as session:
        admin.add_member(session, eastshire, amara)
    report = first.sync()
    assert report.problems == []
    assert sorted(a.id for a in first.vault.assessments.list()) == sorted([northshire, eastshire])
    assert {r.id for r in first.vault.records.list(eastshire)} == set(records)
    assert first.vault.records.get(records[1]).content.notes == "Waited; then seen"
    assert len(first.vault.history.revisions(records[1])) == 2  # its history, not only its latest state
    second.sync()
    assert _team(first, eastshire) == _team(second, eastshire) == ("Inspector A", "Inspector B")


def test_every_laptop_sees_a_team_shrink_at_its_next_sync(service: Service, make_device: Callable[..., Device]) -> None:
    northshire, (amara, ben) = service.team("Northshire ICS", inspectors=2)
    first = make_device(service, amara, "amara")
    first.sync()
    assert _team(first, northshire) == ("Inspector A", "Inspector B")
    with service.admin() as session:
        admin.remove_member(session, northshire, ben)
    first.sync()
    assert _team(first, northshire) == ("Inspector A",)


def test_a_push_mixing_a_team_left_and_a_team_kept_sends_the_kept_ones_and_keeps_the_others_for_later(
    service: Service, make_device: Callable[..., Device]
) -> None:
    """Taken off one of two teams with edits of both waiting: the other team's edits still go, the
    left team's wait on the laptop (neither sent nor refused for good), the sync says which
    assessment and what to do, and once the inspector is back in that team the next sync sends them."""
    northshire, (amara, ben) = service.team("Northshire ICS", inspectors=2)
    with service.admin() as session:
        eastshire = admin.create_assessment(session, "Eastshire ICS", period_start="2026-12-01", period_end="2026-12-31").id
        admin.add_member(session, eastshire, amara)
        admin.add_member(session, eastshire, ben)
    laptop, colleague = make_device(service, amara, "amara"), make_device(service, ben, "ben")
    laptop.sync()
    with service.admin() as session:
        admin.remove_member(session, eastshire, amara)
    left = laptop.vault.records.create(eastshire, domain.Observation(title="Place board")).value.id
    kept = laptop.vault.records.create(northshire, domain.Observation(title="ICB board")).value.id
    report = laptop.sync()
    assert report.pushed == 1 and report.refused == []
    assert len(report.problems) == 1 and "“Eastshire ICS”" in report.problems[0] and engine.FORBIDDEN_NEXT in report.problems[0]
    assert laptop.vault.replication.status().waiting == 1 and laptop.vault.replication.status().refused == 0
    colleague.sync()
    assert [r.id for r in colleague.vault.records.list(northshire)] == [kept]
    assert not colleague.vault.records.list(eastshire)

    with service.admin() as session:
        admin.add_member(session, eastshire, amara)
    report = laptop.sync()
    assert report.pushed == 1 and report.problems == [] and laptop.vault.replication.status().waiting == 0
    colleague.sync()
    assert [r.id for r in colleague.vault.records.list(eastshire)] == [left]
