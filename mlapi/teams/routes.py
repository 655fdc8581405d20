"""Teams: create them, see them, set their members, delete them."""

from flask import url_for
from flask.views import MethodView

from ..api import ApiBlueprint
from ..auth.credentials import current_caller
from ..database import MAX_ID
from ..document import LOCATION
from ..pagination import PageQuery, page_of
from . import service
from .schemas import MEMBER_EXAMPLE, TEAM_EXAMPLE, MemberRoleRequest, TeamRequest, TeamSchema

blp = ApiBlueprint(
    "teams",
    __name__,
    url_prefix="/api/v1",
    description="Teams share models: members use them, maintainers manage them and the team.",
)

TEAM = f"/teams/<int(min=1, max={MAX_ID}):team_id>"


def _member_to_set(team_id: int, username: str) -> None:
    """The lookups of a member change, before its body is validated: the team (404),
    the caller's right to manage it (403), the user (404)."""
    service.managed_team(current_caller, team_id)
    service.find_person(username)


@blp.route("/teams")
class Teams(MethodView):
    @blp.doc(operationId="createTeam")
    @blp.authenticated(budget="default")
    @blp.arguments(TeamRequest, example=TEAM_EXAMPLE)
    @blp.response(201, TeamSchema, headers=LOCATION)
    @blp.problems(409)
    def post(self, body):
        """Create a team, with you as its first maintainer

        Users and teams share one namespace: a name a user or another team has (in any
        letter case; a deleted team's too) is 409 `conflict`.
        """
        team = service.create_team(current_caller, body["name"])
        return team, 201, {"Location": url_for("teams.TeamItem", team_id=team.id)}

    @blp.doc(operationId="listTeams")
    @blp.authenticated(budget="default")
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, page_of(TeamSchema))
    def get(self, query):
        """The teams you belong to (an admin: every team), newest first"""
        return service.list_teams(current_caller, **query)


@blp.route(TEAM)
class TeamItem(MethodView):
    @blp.doc(operationId="getTeam")
    @blp.authenticated(budget="default")
    @blp.response(200, TeamSchema)
    @blp.problems(404)
    def get(self, team_id):
        """A team you belong to, with its members (another team is 404)"""
        return service.find_team(current_caller, team_id)

    @blp.doc(operationId="deleteTeam")
    @blp.authenticated(budget="default")
    @blp.response(204)
    @blp.problems(403, 404, 409)
    def delete(self, team_id):
        """Delete a team (maintainers): only once it owns no live model (else 409)

        Its name stays reserved: no user or team can take it afterwards.
        """
        service.delete_team(current_caller, team_id)


@blp.route(f"{TEAM}/members/<username>")
class Member(MethodView):
    @blp.doc(operationId="setTeamMember")
    @blp.authenticated(budget="default")
    @blp.path_object(_member_to_set)
    @blp.arguments(MemberRoleRequest, example=MEMBER_EXAMPLE)
    @blp.response(200, TeamSchema)
    @blp.problems(403, 404, 409)
    def put(self, body, team_id, username):
        """Add a user to a team or change their role (maintainers)

        Demoting the team's last active maintainer is 409 `conflict`.
        """
        return service.set_member(current_caller, team_id, username, body["role"])

    @blp.doc(operationId="deleteTeamMember")
    @blp.authenticated(budget="default")
    @blp.response(204)
    @blp.problems(403, 404, 409)
    def delete(self, team_id, username):
        """Remove a member (maintainers), or leave a team yourself

        Removing the team's last active maintainer is 409 `conflict`.
        """
        service.remove_member(current_caller, team_id, username)
