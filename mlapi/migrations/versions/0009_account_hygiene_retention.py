"""account hygiene and retention

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 23:10:00

``users.kept_login_id``: the sign-in a password change kept while moving the session
generation on. ``api_keys.replaced_by_id``: the key a rotation made (a key with one is in
its grace period or past it, and cannot be rotated again). ``ix_predictions_created_at``:
the retention purge finds old history without reading the table.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kept_login_id', sa.String(length=64), nullable=True))

    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replaced_by_id', sa.Integer(), nullable=True))

    with op.batch_alter_table('predictions', schema=None) as batch_op:
        batch_op.create_index('ix_predictions_created_at', ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('predictions', schema=None) as batch_op:
        batch_op.drop_index('ix_predictions_created_at')

    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_column('replaced_by_id')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('kept_login_id')
