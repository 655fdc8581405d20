"""teams, aliases, audit

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 19:45:06

Every existing username claims its name in ``namespaces``; every existing model was
uploaded by its owner.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def _ml_models(with_team_columns: bool, uploaded_by_nullable: bool = True) -> sa.Table:
    """ml_models as it stands, for batch mode on SQLite without reflection (``--sql``)."""
    columns = [
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
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name='fk_ml_models_owner_id_users'),
        sa.PrimaryKeyConstraint('id', name='pk_ml_models'),
        sa.Index('ix_ml_models_owner_id', 'owner_id'),
        sa.Index('uq_ml_models_default', 'is_default', unique=True,
                 sqlite_where=sa.text('is_default'), postgresql_where=sa.text('is_default')),
    ]
    if with_team_columns:
        columns += [
            sa.Column('team_id', sa.Integer(), nullable=True),
            sa.Column('uploaded_by_id', sa.Integer(), nullable=uploaded_by_nullable),
            sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'],
                                    name='fk_ml_models_uploaded_by_id_users'),
            sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name='fk_ml_models_team_id_teams'),
            sa.Index('ix_ml_models_team_id', 'team_id'),
            sa.Index('uq_ml_models_team_name_version', 'team_id', 'name', 'version', unique=True,
                     sqlite_where=sa.text('team_id IS NOT NULL'),
                     postgresql_where=sa.text('team_id IS NOT NULL')),
            sa.Index('uq_ml_models_user_name_version', 'owner_id', 'name', 'version', unique=True,
                     sqlite_where=sa.text('team_id IS NULL'),
                     postgresql_where=sa.text('team_id IS NULL')),
        ]
    else:
        columns.append(sa.UniqueConstraint('owner_id', 'name', 'version',
                                           name='uq_ml_models_owner_name_version'))
    return sa.Table('ml_models', sa.MetaData(), *columns)


def upgrade():
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_kind', sa.String(length=8), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_username', sa.String(length=32), nullable=True),
    sa.Column('api_key_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('target_type', sa.String(length=16), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('request_id', sa.String(length=128), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)
        batch_op.create_index('ix_audit_events_actor_at', ['actor_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_at'), ['at'], unique=False)
        batch_op.create_index('ix_audit_events_target', ['target_type', 'target_id'], unique=False)

    op.create_table('namespaces',
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_namespaces'))
    )
    op.execute("INSERT INTO namespaces (key, kind) SELECT username_key, 'user' FROM users")
    op.create_table('teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('name_key', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['name_key'], ['namespaces.key'], name=op.f('fk_teams_name_key_namespaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams')),
    sa.UniqueConstraint('name_key', name=op.f('uq_teams_name_key'))
    )
    op.create_table('team_members',
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_team_members_team_id_teams')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_team_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'user_id', name=op.f('pk_team_members'))
    )
    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_members_user_id'), ['user_id'], unique=False)

    op.create_table('model_aliases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name_id', sa.Integer(), nullable=False),
    sa.Column('alias', sa.String(length=32), nullable=False),
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['model_id'], ['ml_models.id'], name=op.f('fk_model_aliases_model_id_ml_models')),
    sa.ForeignKeyConstraint(['name_id'], ['ml_models.id'], name=op.f('fk_model_aliases_name_id_ml_models')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_aliases')),
    sa.UniqueConstraint('name_id', 'alias', name='uq_model_aliases_name_alias')
    )
    with op.batch_alter_table('model_aliases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_aliases_model_id'), ['model_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_model_aliases_name_id'), ['name_id'], unique=False)

    with op.batch_alter_table('ml_models', copy_from=_ml_models(False)) as batch_op:
        batch_op.add_column(sa.Column('team_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('uploaded_by_id', sa.Integer(), nullable=True))
        batch_op.drop_constraint('uq_ml_models_owner_name_version', type_='unique')
        batch_op.create_index(batch_op.f('ix_ml_models_team_id'), ['team_id'], unique=False)
        batch_op.create_index('uq_ml_models_team_name_version', ['team_id', 'name', 'version'], unique=True, sqlite_where=sa.text('team_id IS NOT NULL'), postgresql_where=sa.text('team_id IS NOT NULL'))
        batch_op.create_index('uq_ml_models_user_name_version', ['owner_id', 'name', 'version'], unique=True, sqlite_where=sa.text('team_id IS NULL'), postgresql_where=sa.text('team_id IS NULL'))
        batch_op.create_foreign_key(batch_op.f('fk_ml_models_uploaded_by_id_users'), 'users', ['uploaded_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_ml_models_team_id_teams'), 'teams', ['team_id'], ['id'])
    op.execute("UPDATE ml_models SET uploaded_by_id = owner_id")  # every model so far
    with op.batch_alter_table('ml_models', copy_from=_ml_models(True)) as batch_op:
        batch_op.alter_column('uploaded_by_id', existing_type=sa.Integer(), nullable=False)

def downgrade():
    with op.batch_alter_table('ml_models', copy_from=_ml_models(True, False)) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_ml_models_team_id_teams'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_ml_models_uploaded_by_id_users'), type_='foreignkey')
        batch_op.drop_index('uq_ml_models_user_name_version', sqlite_where=sa.text('team_id IS NULL'), postgresql_where=sa.text('team_id IS NULL'))
        batch_op.drop_index('uq_ml_models_team_name_version', sqlite_where=sa.text('team_id IS NOT NULL'), postgresql_where=sa.text('team_id IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_ml_models_team_id'))
        batch_op.create_unique_constraint(batch_op.f('uq_ml_models_owner_name_version'), ['owner_id', 'name', 'version'])
        batch_op.drop_column('uploaded_by_id')
        batch_op.drop_column('team_id')

    with op.batch_alter_table('model_aliases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_aliases_name_id'))
        batch_op.drop_index(batch_op.f('ix_model_aliases_model_id'))

    op.drop_table('model_aliases')
    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_members_user_id'))

    op.drop_table('team_members')
    op.drop_table('teams')
    op.drop_table('namespaces')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_target')
        batch_op.drop_index(batch_op.f('ix_audit_events_at'))
        batch_op.drop_index('ix_audit_events_actor_at')
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))

    op.drop_table('audit_events')
