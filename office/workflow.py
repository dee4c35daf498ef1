"""A workflow, pure: which state may follow which, what each move is called, who may
make it and what it needs. An app builds one `Workflow` per kind of record (the
enrollment app one per enrollment kind, claims one for a claim) and asks `check` before
every move; office.transitions writes the move. Nothing here reads the database, the
clock or the settings: a user is anything with `has_perm`."""

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from .errors import Refused

# what a guard is given: the record's facts, with at least `state`
Facts = Any
# "" when the move may go ahead, else why not, in the staff's words
Guard = Callable[[Facts], str]


class User(Protocol):
    def has_perm(self, perm: str) -> bool: ...


class TransitionRefused(Refused):
    """The move is not allowed; the message says why, in the staff's words."""


@dataclass(frozen=True)
class Transition:
    """One move, source → target. `permission` is a codename of the workflow's app
    ("change_enrollment"); `label` defaults to 变为「target」 (it may be a lazy
    translation: it is never evaluated here); `action` names the admin action when staff
    may make the move by hand on a selection of records (empty when the move comes only
    from a use case, such as an import or a payment)."""

    permission: str
    label: str | None = None
    guard: Guard | None = None
    needs_reason: bool = False
    action: str = ""
    source: str = ""
    target: str = ""


class Workflow:
    """`moves` maps every state of the kind to the states that may follow it (an end
    state maps to nothing). `transitions` describes the moves: keyed by a target, it
    applies to every move into that state; keyed by (source, target), to that one move
    only. Every move must be described."""

    def __init__(
        self,
        *,
        name: str,
        app_label: str,
        labels: Mapping[str, str],
        initial: str,
        moves: Mapping[str, Collection[str]],
        transitions: Mapping[str | tuple[str, str], Transition],
        noun: str = "记录",
    ):
        self.name = name
        self.app_label = app_label
        self.labels = labels
        self.initial = initial
        self.noun = noun
        states = set(moves)
        targets = {target for allowed in moves.values() for target in allowed}
        strays = ({initial} | targets) - states or (states - set(labels))
        if strays:
            raise ValueError(f"{name}: states without a label or a place in the map: {strays}")
        self._moves: dict[str, dict[str, Transition]] = {}
        for source, allowed in moves.items():
            self._moves[source] = {}
            for target in sorted(allowed, key=list(labels).index):
                described = transitions.get((source, target)) or transitions.get(target)
                if described is None:
                    raise ValueError(f"{name}: {source} → {target} is not described")
                self._moves[source][target] = replace(
                    described,
                    source=source,
                    target=target,
                    label=f"变为「{labels[target]}」"
                    if described.label is None
                    else described.label,
                )

    @property
    def states(self) -> list[str]:
        return list(self._moves)

    def allowed(self, state: str) -> set[str]:
        return set(self._moves.get(state, {}))

    def as_map(self) -> dict[str, set[str]]:
        return {state: self.allowed(state) for state in self._moves}

    def transition(self, source: str, target: str) -> Transition | None:
        return self._moves.get(source, {}).get(target)

    def transitions(self) -> Iterable[Transition]:
        for targets in self._moves.values():
            yield from targets.values()

    def label(self, state: str) -> str:
        return self.labels.get(state, state)

    def check(self, facts: Facts, target: str, *, reason: str = "") -> None:
        """Raise TransitionRefused unless `facts.state` → `target` is in the map, the
        reason it needs is given and its guard holds."""
        transition = self.transition(facts.state, target)
        if transition is None:
            raise TransitionRefused(
                f"「{self.label(facts.state)}」的{self.noun}不能变为「{self.label(target)}」。",
                code="not_allowed",
            )
        if transition.needs_reason and not reason.strip():
            raise TransitionRefused(f"变为「{self.label(target)}」必须填写原因。", code="reason")
        problem = transition.guard(facts) if transition.guard else ""
        if problem:
            raise TransitionRefused(problem, code="guard")

    def may(self, user: User, transition: Transition) -> bool:
        return user.has_perm(f"{self.app_label}.{transition.permission}")

    def available(self, facts: Facts, user: User) -> list[Transition]:
        """The moves `user` may make now on the record these facts describe (those that
        need a reason still need one)."""
        return [
            transition
            for transition in self._moves.get(facts.state, {}).values()
            if self.may(user, transition) and not (transition.guard and transition.guard(facts))
        ]

    def by_hand(self, user: User) -> list[Transition]:
        """The admin actions `user` may take on a selection: one per action name, whatever
        state the move starts from (each record is checked when the action runs)."""
        offered: dict[str, Transition] = {}
        for transition in self.transitions():
            if transition.action and self.may(user, transition):
                offered.setdefault(transition.action, transition)
        return list(offered.values())
