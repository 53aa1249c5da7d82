"""The live link's timings, declared once (seconds unless the name says otherwise).

Every module of the live link reads its deadlines and intervals here, so a
number cannot disagree with itself: the engine, the session, the autopilot,
the phone server, the simulated phone and the tests. Limits that are counts
or sizes stay beside the guard that enforces them (``server.guards``,
``ratelimit``, ``peer``).

:class:`LiveTimings` holds the ones an :class:`~inspector.live.engine.Engine`
may be given other values for (tests shorten them, the demo hurries its
autopilot); its defaults are the constants below.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AUTOPILOT_SAMPLE_HZ",
    "CONNECTION_LIFETIME",
    "CONTROLLER_FRAME_INTERVAL",
    "DRAIN_TIMEOUT",
    "ENGINE_START_TIMEOUT",
    "ENGINE_STOP_TIMEOUT",
    "FRAME_EVENT_RETRY",
    "GRACE_SECONDS",
    "HEARTBEAT_INTERVAL",
    "HEARTBEAT_TIMEOUT",
    "HINT_INTERVAL",
    "IDLE_TIMEOUT",
    "OFFER_TIMEOUT",
    "SETTLE_SECONDS",
    "SIGNALING_PING",
    "SPOOL_RETRY",
    "STATS_INTERVAL",
    "STEADY_SECONDS",
    "STILL_PROGRESS_INTERVAL",
    "STILL_STALL_LIMIT",
    "STILL_TIMEOUT",
    "STILL_TRANSFER_LIMIT",
    "TLS_HANDSHAKE_TIMEOUT",
    "TOKEN_RECHECK_SECONDS",
    "TOKEN_REFRESH_SECONDS",
    "WATCH_INTERVAL",
    "WRITE_TIMEOUT",
    "LiveTimings",
]

# -- the phone link (data channel); part of the protocol: protocol.js mirrors them ---------

#: The engine and the phone each send a heartbeat this often ...
HEARTBEAT_INTERVAL = 1.0
#: ... and declare the link dead after this long without a message from the other side.
HEARTBEAT_TIMEOUT = 4.0

# -- the engine -------------------------------------------------------------------------

#: start() gives up (and says why) when the server is not listening by then.
ENGINE_START_TIMEOUT = 15.0
#: stop() returns within about this long whatever hangs.
ENGINE_STOP_TIMEOUT = 10.0
#: A graceful shutdown (SIGTERM) waits at most this long for the stills on their way
#: (a still's own deadline and a live store write's, with a margin).
DRAIN_TIMEOUT = 15.0
#: An offer not answered by then is refused (the phone tries again).
OFFER_TIMEOUT = 10.0
#: How often link statistics (fps, RTT, bitrate) are reported.
STATS_INTERVAL = 1.0
#: How often writes kept in the spool (database locked) are tried again.
SPOOL_RETRY = 1.0
#: How often a running engine applies the recordings' retention again (as well as when
#: it starts): a team server runs for weeks, and a recording is deleted on the day due.
RETENTION_INTERVAL = 6 * 3600.0
#: How often a session feeds a frame to its controller (live hints, autopilot).
CONTROLLER_FRAME_INTERVAL = 0.2
#: A FrameAvailable nobody read is re-announced after this long.
FRAME_EVENT_RETRY = 1.0

# -- the session and the autopilot --------------------------------------------------------

#: A requested still not arrived by then is replaced by the newest video frame ...
STILL_TIMEOUT = 8.0
#: ... unless it is on its way: while its bytes keep coming (looked at this often; a
#: pause up to STILL_STALL_LIMIT is forgiven, as the link forgives twice its heartbeat
#: timeout while a still arrives), or it is whole and being handed on, it is waited for,
#: up to STILL_TRANSFER_LIMIT after the request. A busy server or a slow link delivers a
#: still in more than STILL_TIMEOUT, and the seller's full photo is worth more than a
#: video frame (which a 640x480 stream makes a rejected capture: a needless retake).
STILL_PROGRESS_INTERVAL = 2.0
STILL_STALL_LIMIT = 2 * HEARTBEAT_TIMEOUT
STILL_TRANSFER_LIMIT = 45.0
#: Live hints are sampled at most this often (a phone streams 30 fps).
HINT_INTERVAL = 0.25
#: Self-inspection captures once the picture has been steady and good this long ...
STEADY_SECONDS = 1.0
#: ... and not before this long after a new shot (or a retake): the seller moves first.
SETTLE_SECONDS = 1.5
#: How often (per second) the autopilot looks at the picture.
AUTOPILOT_SAMPLE_HZ = 5.0

# -- the phone server -----------------------------------------------------------------

#: A phone that left keeps its inspection this long before another device may take it.
GRACE_SECONDS = 10.0
#: On a shared database, each process renews its phones' claims this often
#: (``server.claims``); a claim not renewed for ``CLAIM_STALE`` seconds is free (its
#: process died), and an inspection left "live" without a claim for twice that is settled.
CLAIM_RENEW = 3.0
CLAIM_STALE = 15.0
#: How often a team server looks for inspections another process left "live" when it died.
ABANDONED_CHECK = 30.0
#: A connection is closed when it has not completed a request (or, between requests,
#: sent a new one) for this long: a client trickling header bytes cannot hold it open.
IDLE_TIMEOUT = 10.0
#: A connection with answer bytes waiting that the client has not taken any of for this
#: long is cut: a client that never reads cannot hold a slot with a stuck response.
WRITE_TIMEOUT = 10.0
#: A plain HTTP connection is closed after this long whatever it does (a phone's page
#: loads in seconds); a signaling WebSocket opened with a valid token is exempt.
CONNECTION_LIFETIME = 60.0
#: How often connections are checked against WRITE_TIMEOUT and CONNECTION_LIFETIME.
WATCH_INTERVAL = 0.5
TLS_HANDSHAKE_TIMEOUT = 5.0
#: How often an open signaling socket re-checks its token (revoked elsewhere, expired);
#: a check reads memory, which TOKEN_REFRESH_SECONDS keeps in step with the store.
TOKEN_RECHECK_SECONDS = 2.0
TOKEN_REFRESH_SECONDS = 1.0
#: WebSocket ping interval of the signaling socket (aiohttp closes it unanswered).
SIGNALING_PING = 20.0


@dataclass(frozen=True)
class LiveTimings:
    """The timings one engine runs with; frozen, so its sessions cannot disagree."""

    still_timeout: float = STILL_TIMEOUT
    heartbeat_timeout: float = HEARTBEAT_TIMEOUT
    grace_seconds: float = GRACE_SECONDS
    steady_seconds: float = STEADY_SECONDS
    settle_seconds: float = SETTLE_SECONDS
