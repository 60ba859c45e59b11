"""The service's routes by resource, one APIRouter each. `create_app` includes them in this order,
which is the order of the OpenAPI document."""

from __future__ import annotations

from fastapi import APIRouter

from sync.server.routes import assessments, audit, blobs, devices, frameworks, items, office, operations, pull, push, status

ROUTERS: tuple[APIRouter, ...] = (
    status.router,
    devices.router,
    assessments.router,
    push.router,
    pull.router,
    items.router,
    frameworks.router,
    blobs.router,
    office.router,
    audit.router,
    operations.router,
)
