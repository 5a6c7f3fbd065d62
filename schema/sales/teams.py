"""Sales teams as the API shows and edits them."""

from __future__ import annotations

import strawberry

from schema.context import Info
from schema.errors import UserError, attempt
from server.sales import teams


@strawberry.type
class SalesTeamMember:
    username: str
    display_name: str


@strawberry.type(description="Salespeople reported on together (salesPerformance by TEAM).")
class SalesTeam:
    code: str
    name: str
    members: list[SalesTeamMember]

    @classmethod
    def from_team(cls, team: teams.Team) -> SalesTeam:
        return cls(code=team.code, name=team.name,
                   members=[SalesTeamMember(username=m.username, display_name=m.display_name)
                            for m in team.members])


@strawberry.input
class CreateSalesTeamInput:
    code: str
    name: str


@strawberry.input
class RenameSalesTeamInput:
    code: str
    name: str


@strawberry.input
class SetSalesTeamMembersInput:
    code: str
    usernames: list[str] = strawberry.field(
        description="Every member: they leave any other team; whoever is not listed leaves this "
                    "one.")


@strawberry.type
class SalesTeamPayload:
    team: SalesTeam | None
    user_errors: list[UserError]


def _payload(team: teams.Team | None, errors: list[UserError]) -> SalesTeamPayload:
    return SalesTeamPayload(team=team and SalesTeam.from_team(team), user_errors=errors)


@strawberry.type
class SalesTeamQuery:
    @strawberry.field(description="Every sales team with its members, by code.")
    async def sales_teams(self, info: Info) -> list[SalesTeam]:
        found = await teams.list_teams(info.context.session, info.context.user())
        return [SalesTeam.from_team(team) for team in found]


@strawberry.type
class SalesTeamMutation:
    @strawberry.mutation(description="A new, empty sales team (admins).")
    async def create_sales_team(self, info: Info, input: CreateSalesTeamInput) -> SalesTeamPayload:
        return _payload(*await attempt(lambda: teams.create_team(
            info.context.db, info.context.user(), input.code, input.name)))

    @strawberry.mutation(description="Give a sales team a new name (admins).")
    async def rename_sales_team(self, info: Info, input: RenameSalesTeamInput) -> SalesTeamPayload:
        return _payload(*await attempt(lambda: teams.rename_team(
            info.context.db, info.context.user(), input.code, input.name)))

    @strawberry.mutation(description="Say exactly who is in a sales team (admins).")
    async def set_sales_team_members(self, info: Info,
                                     input: SetSalesTeamMembersInput) -> SalesTeamPayload:
        return _payload(*await attempt(lambda: teams.set_members(
            info.context.db, info.context.user(), input.code, input.usernames)))
