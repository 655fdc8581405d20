"""Teams, their members, and the one namespace users and teams share.

A model's full name is ``<user or team>/<name>``, so a team may not take a username and a
user may not register a team's name. Both claim their name in ``namespaces`` (lower-cased
key, primary key) in the transaction that creates them: two concurrent claims of one name
cannot both commit. A deleted team keeps its claim, so its old full names never come back
meaning something else.
"""

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, event, insert
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..access_cache import watch
from ..auth.models import User
from ..extensions import db
from ..timeutil import utcnow

ROLE_MAINTAINER = "maintainer"
ROLE_MEMBER = "member"
ROLES = (ROLE_MEMBER, ROLE_MAINTAINER)
KIND_USER = "user"
KIND_TEAM = "team"


class Namespace(db.Model):
    __tablename__ = "namespaces"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)  # the lower-cased name
    kind: Mapped[str] = mapped_column(String(8))  # "user" or "team"


class Team(db.Model):
    __tablename__ = "teams"
    policy_kind = "team"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    name_key: Mapped[str] = mapped_column(ForeignKey("namespaces.key"), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)

    members: Mapped[list["TeamMember"]] = relationship(
        back_populates="team", order_by="TeamMember.user_id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Team {self.id} {self.name}>"


class TeamMember(db.Model):
    __tablename__ = "team_members"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    added_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    team: Mapped[Team] = relationship(back_populates="members")
    user: Mapped[User] = relationship(lazy="joined")


@event.listens_for(User, "after_insert")
def _claim_username(_mapper, connection, user: User) -> None:
    """Every path that creates a user (register, CLI, bootstrap) claims its name here."""
    connection.execute(insert(Namespace).values(key=user.username_key, kind=KIND_USER))


# Membership decides access to team models, which callers' snapshots cache: any change
# drops them on every host (mlapi/access_cache.py).
watch(Team)
watch(TeamMember)
