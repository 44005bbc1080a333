"""Policy enforcement: oslo.policy rules (defaults in `rules.py`, overrides in policy.yaml).

`PolicyEnforcer` wraps one `oslo_policy.policy.Enforcer`, which parses the defaults and the
operator's override file (`[oslo_policy] policy_file`, plus `policy_dirs`). Evaluating an oslo
check tree costs ~200 µs per call (oslo runs `inspect.getfullargspec` on every node), too slow
for every request, so each loaded rule is compiled once into plain closures with the same
semantics. Check kinds we do not know (`http:`, plug-ins, subclasses) are evaluated by oslo.

Oslo re-reads the policy file on every `enforce`; here the file is re-checked at most once per
`reload_interval` seconds and the rules are recompiled only when oslo reports a change.
"""

from __future__ import annotations

import ast
import logging
import threading
import time
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import Any

from oslo_config import cfg
from oslo_policy import _checks
from oslo_policy import policy as oslo_policy

from dockyard.common.context import RequestContext
from dockyard.common.exceptions import PolicyNotAuthorized
from dockyard.services.policy import rules as policy_rules

__all__ = ["PolicyEnforcer"]

LOG = logging.getLogger(__name__)

# (target, creds, name of the rule being enforced) -> allowed
_Compiled = Callable[[Mapping[str, Any], MutableMapping[str, Any], str], bool]


def _always(result: bool) -> _Compiled:
    def check(target: Mapping[str, Any], creds: MutableMapping[str, Any], rule: str) -> bool:
        return result

    return check


class _Compiler:
    """Turns oslo check trees into closures; one instance per rule set."""

    def __init__(self, enforcer: oslo_policy.Enforcer) -> None:
        self._enforcer = enforcer
        self._source: Mapping[str, _checks.BaseCheck] = enforcer.rules
        self.compiled: dict[str, _Compiled] = {}

    def compile_all(self) -> dict[str, _Compiled]:
        for name, check in list(self._source.items()):
            self.compiled[name] = self.compile(check)
        return self.compiled

    def compile(self, check: _checks.BaseCheck) -> _Compiled:
        """Closure for one check tree; exact built-in types only (subclasses go to oslo)."""
        exact = type(check)
        if exact is _checks.TrueCheck:
            return _always(True)
        if exact is _checks.FalseCheck:
            return _always(False)
        if exact is _checks.NotCheck and isinstance(check, _checks.NotCheck):
            inner = self.compile(check.rule)
            return lambda target, creds, rule: not inner(target, creds, rule)
        if exact is _checks.AndCheck and isinstance(check, _checks.AndCheck):
            parts = tuple(self.compile(c) for c in check.rules)
            return lambda target, creds, rule: all(p(target, creds, rule) for p in parts)
        if exact is _checks.OrCheck and isinstance(check, _checks.OrCheck):
            parts = tuple(self.compile(c) for c in check.rules)
            return lambda target, creds, rule: any(p(target, creds, rule) for p in parts)
        if exact is _checks.RuleCheck and isinstance(check, _checks.RuleCheck):
            return self._rule_ref(check.match)
        if exact is _checks.RoleCheck and isinstance(check, _checks.RoleCheck):
            return self._role(check.match)
        if exact is _checks.GenericCheck and isinstance(check, _checks.GenericCheck):
            generic = self._generic(check.kind, check.match)
            if generic is not None:
                return generic
        return self._fallback(check)

    def _fallback(self, check: _checks.BaseCheck) -> _Compiled:
        enforcer = self._enforcer

        def evaluate(target: Mapping[str, Any], creds: MutableMapping[str, Any], rule: str) -> bool:
            return bool(_checks._check(check, target, creds, enforcer, rule))

        return evaluate

    def _rule_ref(self, name: str) -> _Compiled:
        """`rule:<name>`: resolved when called (forward references, default_rule fallback)."""
        compiled = self.compiled
        source = self._source

        def evaluate(target: Mapping[str, Any], creds: MutableMapping[str, Any], rule: str) -> bool:
            fn = compiled.get(name)
            if fn is None:
                try:
                    # Rules.__missing__ applies [oslo_policy] policy_default_rule.
                    fn = self.compile(source[name])
                except KeyError:
                    return False
            return fn(target, creds, rule)

        return evaluate

    @staticmethod
    def _role(match: str) -> _Compiled:
        """`role:<name>`: case-insensitive membership in creds["roles"]."""
        static = match.lower() if "%" not in match else None

        def evaluate(target: Mapping[str, Any], creds: MutableMapping[str, Any], rule: str) -> bool:
            if static is not None:
                wanted = static
            else:
                try:
                    wanted = (match % target).lower()
                except KeyError:
                    return False
            if "roles" not in creds:
                return False
            return wanted in [r.lower() for r in creds["roles"]]

        return evaluate

    @staticmethod
    def _generic(kind: str, match: str) -> _Compiled | None:
        """`<cred key or literal>:<match>`; None when oslo itself should evaluate it."""
        try:
            literal: Any = ast.literal_eval(kind)
        except ValueError:
            pass
        except Exception:
            return None
        else:
            text = str(literal)

            def literal_check(
                target: Mapping[str, Any], creds: MutableMapping[str, Any], rule: str
            ) -> bool:
                try:
                    return bool(match % target == text)
                except KeyError:
                    return False

            return literal_check

        if "." in kind:
            return None  # nested credential paths: rare, leave to oslo
        key = kind
        missing = object()

        def evaluate(target: Mapping[str, Any], creds: MutableMapping[str, Any], rule: str) -> bool:
            try:
                wanted = match % target
            except KeyError:
                return False
            value = creds.get(key, missing)
            if value is missing:
                return False
            if isinstance(value, list):
                return any(wanted == str(v) for v in value)
            return bool(wanted == str(value))

        return evaluate


class PolicyEnforcer:
    """Checks Dockyard/Magnum policy rules for a `RequestContext`. Build one per process."""

    def __init__(self, conf: cfg.ConfigOpts, *, reload_interval: float | None = 1.0) -> None:
        """Register the defaults and load the override file now.

        `reload_interval`: seconds between checks of the policy file for changes (0 = on every
        call, as oslo does; None = never, only `reload()`).
        """
        self._enforcer = oslo_policy.Enforcer(conf, use_conf=True)
        self._enforcer.register_defaults(policy_rules.list_rules())
        self._enforcer.load_rules()
        self._reload_interval = reload_interval
        self._next_check = self._deadline()
        self._lock = threading.Lock()
        self._snapshot: dict[str, _checks.BaseCheck] = {}
        self._compiled: dict[str, _Compiled] = {}
        self._scoped: frozenset[str] = frozenset()
        self._recompile()

    @property
    def enforcer(self) -> oslo_policy.Enforcer:
        """The underlying oslo Enforcer (for tooling; do not enforce through it per request)."""
        return self._enforcer

    def reload(self, force: bool = False) -> bool:
        """Re-read the policy file(s) if changed (always when `force`); True if rules changed."""
        with self._lock:
            self._enforcer.load_rules(force_reload=force)
            rules = self._enforcer.rules
            if len(rules) == len(self._snapshot) and all(
                self._snapshot.get(name) is check for name, check in rules.items()
            ):
                return False
            self._recompile()
            return True

    def authorize(
        self, ctx: RequestContext, rule: str, target: Mapping[str, object] | None = None
    ) -> None:
        """Raise `PolicyNotAuthorized` unless `ctx` may perform `rule` on `target`.

        `target` defaults to the caller's own `{project_id, user_id}`.
        """
        if not self.check(ctx, rule, target):
            raise PolicyNotAuthorized(action=rule)

    def check(
        self, ctx: RequestContext, rule: str, target: Mapping[str, object] | None = None
    ) -> bool:
        """Whether `ctx` may perform `rule` on `target` (default: the caller's own project)."""
        if target is None:
            target = {"project_id": ctx.project_id, "user_id": ctx.user_id}
        return self._evaluate(rule, target, ctx.to_policy_credentials())

    def is_admin(self, project_id: str, user_id: str, roles: Sequence[str]) -> bool:
        """Evaluate `context_is_admin` for these credentials (the context's `is_admin`)."""
        creds: dict[str, Any] = {
            "project_id": project_id,
            "user_id": user_id,
            "roles": list(roles),
        }
        target = {"project_id": project_id, "user_id": user_id}
        return self._evaluate("context_is_admin", target, creds)

    # -- internals --------------------------------------------------------------------------
    def _deadline(self) -> float:
        if self._reload_interval is None:
            return float("inf")
        return time.monotonic() + self._reload_interval

    def _maybe_reload(self) -> None:
        if time.monotonic() < self._next_check:
            return
        self._next_check = self._deadline()
        try:
            self.reload()
        except Exception:
            # Keep enforcing the last good rules; a broken file is retried next interval.
            LOG.exception("Failed to reload the policy file; keeping the previous rules")

    def _recompile(self) -> None:
        enforcer = self._enforcer
        snapshot = dict(enforcer.rules)
        compiled = _Compiler(enforcer).compile_all()
        scoped = frozenset(
            name for name, default in enforcer.registered_rules.items() if default.scope_types
        )
        self._snapshot, self._compiled, self._scoped = snapshot, compiled, scoped

    def _evaluate(self, rule: str, target: Mapping[str, Any], creds: dict[str, Any]) -> bool:
        if self._reload_interval is not None:
            self._maybe_reload()
        if rule not in self._enforcer.registered_rules:
            raise oslo_policy.PolicyNotRegistered(rule)
        compiled = self._compiled.get(rule)
        if compiled is None or rule in self._scoped:
            # Not loaded yet or scope-typed: let oslo decide (and log) exactly as it would.
            return bool(self._enforcer.enforce(rule, target, creds))
        return compiled(target, creds, rule)
