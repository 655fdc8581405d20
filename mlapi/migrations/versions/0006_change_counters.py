"""change counters: the access cache's invalidation counter

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 15:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    counters = op.create_table('change_counters',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_change_counters'))
    )
    op.bulk_insert(counters, [{'name': 'access', 'value': 0}])


def downgrade():
    op.drop_table('change_counters')
