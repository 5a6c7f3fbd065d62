"""Sales teams: admins create them and say who is in each; a salesperson is in one team at most.
Reports group salespeople by the team they are in now."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal, Role, User
from server.catalog.rules import code_problem, name_problem, raise_problems
from server.db import Database
from server.errors import Duplicate, InvalidInput, NotFound, Problem
from server.sales.models import SalesTeam, SalesTeamMember

TEAM_EDITORS = (Role.ADMIN,)
TEAM_READERS = (Role.ADMIN, Role.FINANCE_DIRECTOR, Role.SALES)
MAX_MEMBERS = 500


@dataclass(frozen=True, slots=True)
class TeamMember:
    username: str
    display_name: str


@dataclass(frozen=True, slots=True)
class Team:
    code: str
    name: str
    members: list[TeamMember]


def team_problems(code: str, name: str) -> list[Problem]:
    return [p for p in (code_problem(code, "code"), name_problem(name)) if p]


def member_problems(usernames: Sequence[str]) -> list[Problem]:
    seen: set[str] = set()
    problems = []
    for index, username in enumerate(usernames):
        if username in seen:
            problems.append(Problem(InvalidInput.code, f"{username!r} is listed twice",
                                    f"usernames.{index}"))
        seen.add(username)
    if len(usernames) > MAX_MEMBERS:
        problems.append(Problem(InvalidInput.code, f"a team has at most {MAX_MEMBERS} members",
                                "usernames"))
    return problems


def _member_problem(user: User | None, username: str, field: str) -> Problem | None:
    if user is None:
        return Problem(NotFound.code, f"no user {username!r}", field)
    if user.supplier_id is not None:
        return Problem(InvalidInput.code, f"{username!r} is a supplier's user, not staff", field)
    return None


async def _team(session: AsyncSession, code: str) -> SalesTeam:
    team = await session.scalar(select(SalesTeam).where(SalesTeam.code == code))
    if team is None:
        raise NotFound(f"no sales team {code!r}", field="code")
    return team


async def create_team(db: Database, principal: Principal, code: str, name: str) -> Team:
    principal.require(*TEAM_EDITORS)
    code, name = code.strip(), name.strip()
    raise_problems(*team_problems(code, name))
    async with db.transaction() as session:
        if await session.scalar(select(SalesTeam.id).where(SalesTeam.code == code)):
            raise Duplicate(f"sales team {code!r} exists", field="code")
        session.add(SalesTeam(code=code, name=name))
    return Team(code, name, [])


async def rename_team(db: Database, principal: Principal, code: str, name: str) -> Team:
    principal.require(*TEAM_EDITORS)
    name = name.strip()
    raise_problems(name_problem(name))
    async with db.transaction() as session:
        team = await _team(session, code)
        team.name = name
        return (await _teams(session, [team]))[0]


async def set_members(db: Database, principal: Principal, code: str,
                      usernames: Sequence[str]) -> Team:
    """The team's members become exactly these salespeople, who leave any team they were in."""
    principal.require(*TEAM_EDITORS)
    raise_problems(*member_problems(usernames))
    async with db.transaction() as session:
        team = await _team(session, code)
        users = {user.username: user for user in await session.scalars(
            select(User).where(User.username.in_(usernames)))} if usernames else {}
        raise_problems(*(_member_problem(users.get(name), name, f"usernames.{index}")
                         for index, name in enumerate(usernames)))
        user_ids = [users[name].id for name in usernames]
        await session.execute(delete(SalesTeamMember).where(
            (SalesTeamMember.team_id == team.id) | SalesTeamMember.user_id.in_(user_ids)))
        session.add_all(SalesTeamMember(user_id=user_id, team_id=team.id)
                        for user_id in user_ids)
        await session.flush()
        return (await _teams(session, [team]))[0]


async def _teams(session: AsyncSession, teams: Sequence[SalesTeam]) -> list[Team]:
    rows = await session.execute(
        select(SalesTeamMember.team_id, User.username, User.display_name)
        .join(User, User.id == SalesTeamMember.user_id)
        .where(SalesTeamMember.team_id.in_([team.id for team in teams]))
        .order_by(User.username))
    members: dict[int, list[TeamMember]] = {team.id: [] for team in teams}
    for team_id, username, display_name in rows:
        members[team_id].append(TeamMember(username, display_name))
    return [Team(team.code, team.name, members[team.id]) for team in teams]


async def list_teams(session: AsyncSession, principal: Principal) -> list[Team]:
    principal.require(*TEAM_READERS)
    teams = list(await session.scalars(select(SalesTeam).order_by(SalesTeam.code)))
    return await _teams(session, teams)
