"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26 11:58:31.240072

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=32), nullable=False),
    sa.Column('username_key', sa.String(length=32), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('email_key', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('full_name', sa.String(length=100), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email_key', name=op.f('uq_users_email_key')),
    sa.UniqueConstraint('username_key', name=op.f('uq_users_username_key'))
    )
    op.create_table('ml_models',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('model_type', sa.String(length=32), nullable=False),
    sa.Column('task', sa.String(length=32), nullable=False),
    sa.Column('n_features', sa.Integer(), nullable=False),
    sa.Column('feature_names', sa.JSON(), nullable=True),
    sa.Column('classes', sa.JSON(), nullable=True),
    sa.Column('visibility', sa.String(length=16), nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_ml_models_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ml_models')),
    sa.UniqueConstraint('owner_id', 'name', 'version', name='uq_ml_models_owner_name_version')
    )
    with op.batch_alter_table('ml_models', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ml_models_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('uq_ml_models_default', ['is_default'], unique=True, sqlite_where=sa.text('is_default'), postgresql_where=sa.text('is_default'))

    op.create_table('revoked_logins',
    sa.Column('login_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_revoked_logins_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('login_id', name=op.f('pk_revoked_logins'))
    )
    with op.batch_alter_table('revoked_logins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revoked_logins_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_revoked_logins_user_id'), ['user_id'], unique=False)

    op.create_table('predictions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('model_name', sa.String(length=100), nullable=False),
    sa.Column('model_version', sa.Integer(), nullable=False),
    sa.Column('features', sa.JSON(), nullable=False),
    sa.Column('prediction', sa.JSON(), nullable=False),
    sa.Column('probabilities', sa.JSON(), nullable=True),
    sa.Column('cached', sa.Boolean(), nullable=False),
    sa.Column('latency_ms', sa.Float(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['model_id'], ['ml_models.id'], name=op.f('fk_predictions_model_id_ml_models')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_predictions_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_predictions'))
    )
    with op.batch_alter_table('predictions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_predictions_model_id'), ['model_id'], unique=False)
        batch_op.create_index('ix_predictions_owner_created', ['owner_id', 'created_at', 'id'], unique=False)



def downgrade():
    with op.batch_alter_table('predictions', schema=None) as batch_op:
        batch_op.drop_index('ix_predictions_owner_created')
        batch_op.drop_index(batch_op.f('ix_predictions_model_id'))

    op.drop_table('predictions')
    with op.batch_alter_table('revoked_logins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revoked_logins_user_id'))
        batch_op.drop_index(batch_op.f('ix_revoked_logins_expires_at'))

    op.drop_table('revoked_logins')
    with op.batch_alter_table('ml_models', schema=None) as batch_op:
        batch_op.drop_index('uq_ml_models_default', sqlite_where=sa.text('is_default'), postgresql_where=sa.text('is_default'))
        batch_op.drop_index(batch_op.f('ix_ml_models_owner_id'))

    op.drop_table('ml_models')
    op.drop_table('users')
