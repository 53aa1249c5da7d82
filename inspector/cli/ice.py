"""The ICE options (STUN/TURN) shared by ``serve``, ``server`` and ``console``.

Where the seller's phone and this computer cannot reach each other directly
(carrier-grade NAT, a company firewall), the media goes through a TURN relay:
static credentials (``--ice-server turn:USER:PASS@host``) or credentials minted
per peer from a secret shared with coturn (``--turn-url`` with
``$INSPECTOR_TURN_SECRET`` or ``--turn-secret-file``).
"""

from __future__ import annotations

import argparse

from inspector.config import (
    TURN_CREDENTIAL_TTL,
    TURN_SECRET_ENV,
    IceServer,
    TurnRest,
    resolve_turn_secret,
)

__all__ = ["add_ice_options", "ice_argv", "ice_servers", "turn_rest"]


def add_ice_options(p: argparse.ArgumentParser) -> None:
    """``--ice-server``, ``--turn-url``, ``--turn-secret-file``, ``--turn-ttl``."""
    p.add_argument(
        "--ice-server",
        action="append",
        default=[],
        metavar="SPEC",
        help="STUN/TURN server for both peers, e.g. stun:stun.example.org:3478 or "
        "turn:USER:PASS@turn.example.org:3478 (repeatable; none by default: no outside "
        "server is contacted)",
    )
    p.add_argument(
        "--turn-url",
        action="append",
        default=[],
        metavar="URL",
        help="TURN server whose credentials are minted per peer from a secret shared with it "
        "(coturn's use-auth-secret), e.g. turn:turn.example.org:3478 or "
        f"turns:turn.example.org:5349 (repeatable; the secret from ${TURN_SECRET_ENV} or "
        "--turn-secret-file)",
    )
    p.add_argument(
        "--turn-secret-file",
        default=None,
        metavar="PATH",
        help="file whose first line is the TURN shared secret (coturn's static-auth-secret)",
    )
    p.add_argument(
        "--turn-ttl",
        type=int,
        default=TURN_CREDENTIAL_TTL,
        metavar="SECONDS",
        help="how long minted TURN credentials are valid (default: %(default)s)",
    )


def ice_servers(args: argparse.Namespace) -> tuple[IceServer, ...]:
    """The static ICE servers given (``ValueError`` for a malformed one)."""
    return tuple(IceServer.parse(spec) for spec in getattr(args, "ice_server", []))


def turn_rest(args: argparse.Namespace) -> TurnRest | None:
    """TURN credentials minted per peer, or None; ``ValueError`` says what is missing."""
    secret_file = getattr(args, "turn_secret_file", None)
    urls = tuple(getattr(args, "turn_url", []))
    secret = resolve_turn_secret(secret_file)
    if not urls:
        if secret_file:
            raise ValueError("--turn-secret-file needs --turn-url")
        return None
    if secret is None:
        raise ValueError(
            f"--turn-url needs the shared secret: ${TURN_SECRET_ENV} or --turn-secret-file"
        )
    ttl = getattr(args, "turn_ttl", TURN_CREDENTIAL_TTL)
    return TurnRest(secret=secret, urls=urls, ttl_seconds=ttl)


def ice_argv(args: argparse.Namespace) -> list[str]:
    """The same options as arguments, to hand them on to another process (the console).

    The shared secret itself is never put on a command line (other users can read
    those): it travels as the file's path, or in the environment the child inherits.
    """
    argv: list[str] = []
    for spec in getattr(args, "ice_server", []):
        argv += ["--ice-server", spec]
    for url in getattr(args, "turn_url", []):
        argv += ["--turn-url", url]
    if getattr(args, "turn_secret_file", None):
        argv += ["--turn-secret-file", str(args.turn_secret_file)]
    ttl = getattr(args, "turn_ttl", TURN_CREDENTIAL_TTL)
    if ttl != TURN_CREDENTIAL_TTL:
        argv += ["--turn-ttl", str(ttl)]
    return argv
