"""Agent keys at rest, the SQL side (collector.agent_keys is the cipher): whether sealed keys exist,
checking that the collector holds the key that opens them, and sealing the plain keys a database
kept before revision 0010."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from collector.agent_keys import PREFIX, AgentKeyVault, is_plain, key_id_of, lost_key_error, vault_of
from collector.models.enrollment import Agent

_SEALED = Agent.key.startswith(f"{PREFIX}.")


def any_sealed_key(session: Session) -> bool:
    return session.scalar(select(Agent.id).where(_SEALED).limit(1)) is not None


def seal_for(session: Session, agent_id: str, key: str) -> str:
    """``key`` sealed for storing in ``agent_id``'s row. The vault's secret is created on the first
    enrollment, unless keys sealed under another secret are already stored (a lost secret)."""
    return vault_of(session).seal(agent_id, key, may_create=lambda: not any_sealed_key(session))


@dataclass(frozen=True)
class KeysChecked:
    sealed: int
    newly_sealed: int


def check_and_seal(session: Session, vault: AgentKeyVault | None = None) -> KeysChecked:
    """What a collector does as it starts (serve, import, the demo): the stored keys' secret must
    be the one it holds (AgentKeysUnavailable otherwise: the documented lost-key error), and every
    plain key left from before revision 0010 is sealed now."""
    vault = vault or vault_of(session)
    key_ids = {value.split(".")[1] for value in session.scalars(
        select(func.substr(Agent.key, 1, len(PREFIX) + 10)).where(_SEALED).distinct())}
    if key_ids:
        held = key_id_of(vault.secret_for(sorted(key_ids)[0]))  # never creates a secret: sealed keys exist
        foreign = sorted(key_ids - {held})
        if foreign:
            raise lost_key_error(vault.path, foreign[0], found=held, source=vault.source)
    plain = [(agent_id, key) for agent_id, key in session.execute(select(Agent.id, Agent.key).where(~_SEALED))
             if is_plain(key)]
    for agent_id, key in plain:
        session.execute(update(Agent).where(Agent.id == agent_id).values(
            key=vault.seal(agent_id, key, may_create=lambda: not key_ids)))
    total = session.scalar(select(func.count()).select_from(Agent).where(_SEALED)) or 0
    return KeysChecked(sealed=total, newly_sealed=len(plain))
