"""The inspector a device is enrolled for, apart from the laptop's label, so history can say
"Amara Okafor, on ‘Amara's laptop’".

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Empty until the service names the inspector on the device's next revision; until then the
    # label keeps what older services sent, "Inspector – laptop", which still reads as words.
    op.add_column("devices", sa.Column("inspector", sa.String(), nullable=False, server_default=""))
