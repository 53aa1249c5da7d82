"""Live-link commands: ``serve``, the team ``server``, ``invite``, ``revoke``, ``demo``."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import logging
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from inspector.cli.common import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    AddCommand,
    CliError,
    add_seal_options,
    error,
    sealer_from_args,
    store_options,
)
from inspector.cli.ice import add_ice_options, ice_servers, turn_rest
from inspector.cli.remote import remote
from inspector.cli.render import print_invite
from inspector.cli.terminal import json_text, printable
from inspector.config import (
    ServerSettings,
    resolve_data_dir,
    resolve_recording_retention,
)
from inspector.live.owner import running_server

if TYPE_CHECKING:
    from inspector.live import events

# inspector.live.engine (aiortc, aiohttp), the store (SQLAlchemy) and the rest are
# imported by the commands that run them: importing them takes seconds, which every
# other command, ``--help`` included, would pay (docs/PERFORMANCE.md).

_QUIET_EVENTS = {"frame", "stats", "hint"}


class _Printer:
    """Prints engine events as JSON lines or short human sentences (any thread)."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self._lock = threading.Lock()

    def __call__(self, event: events.Event) -> None:
        if event.name in _QUIET_EVENTS:
            return
        data = event.to_dict()
        with self._lock:
            if self.as_json:
                print(json_text(data, indent=None, default=str), flush=True)
            else:
                print(printable(_describe(data)), flush=True)


def _describe(data: dict[str, Any]) -> str:
    name = data["event"]
    if name == "listening":
        lan = f" (LAN: {data['lan_url']})" if data.get("lan_url") else ""
        local = data.get("local_url")
        here = f" (this process: {local})" if local and local != data["url"] else ""
        return f"Listening on {data['url']}{lan}{here}. Ctrl+C to stop."
    if name == "invite":
        return f"Inspection {data['inspection_id']}: the seller opens {data['join_url']}"
    if name == "capture":
        later = " (database busy: kept in the spool, written when it is free)"
        return (
            f"Captured {data['shot_id']}: {data['verdict']} ({data['source']}, "
            f"{data['width']}x{data['height']}) → {data['path']}"
            + (later if data.get("spooled") else "")
        )
    if name == "call_interrupted":
        vehicle = f" ({data['vehicle']})" if data.get("vehicle") else ""
        return (
            f"A call was interrupted: inspection {data['inspection_id']}{vehicle} is back to "
            f"{data['status']!r} (its photos are kept)"
        )
    details = ", ".join(f"{k}={v}" for k, v in data.items() if k != "event")
    return f"{name}: {details}"


def _checked_port(port: int) -> int:
    if not 0 <= port <= 65535:
        raise ValueError(f"port must be between 0 and 65535, got {port}")
    return port


def _checked_public_url(url: str | None) -> str | None:
    if url and not url.startswith(("https://", "http://")):
        raise ValueError("--public-url must start with https:// (or http:// for testing)")
    return url


_LOOPBACK = ("127.0.0.1", "::1")


def _trusted_proxies(args: argparse.Namespace) -> tuple[str, ...]:
    """``--trusted-proxy`` as given; else a proxy on this host when there is a public URL.

    With no public URL phones come straight to this server: nobody's forwarding
    headers are believed (a local process cannot pass for many phones either).
    """
    given: list[str] = args.trusted_proxy
    for entry in given:
        try:
            ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            raise ValueError(
                f"--trusted-proxy must be an IP address or a network (CIDR), got {entry!r}"
            ) from None
    if given:
        return tuple(e.strip() for e in given)
    return _LOOPBACK if args.public_url else ()


def _settings(args: argparse.Namespace) -> ServerSettings:
    _checked_public_url(args.public_url)
    return ServerSettings(
        host=args.host,
        port=_checked_port(args.port),
        lan=getattr(args, "lan", False),
        public_url=args.public_url,
        trusted_proxies=_trusted_proxies(args),
        ice_servers=ice_servers(args),
        turn_rest=turn_rest(args),
        record_calls=not args.no_recording,
        recording_retention_days=resolve_recording_retention(args.recording_retention_days),
    )


def _wait_for_signal(stop: threading.Event) -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(0.2):
            pass
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def cmd_serve(args: argparse.Namespace) -> int:
    from inspector.live.engine import Engine, EngineStartError
    from inspector.storage.store import Store
    from inspector.usecases.inspections import create_inspection

    settings = _settings(args)
    if args.log_json:
        from inspector.team import logs

        logs.configure(json_lines=True)
    store = Store(resolve_data_dir(args.data_dir), **store_options(args))
    printer = _Printer(args.json)
    engine = Engine(store, settings, printer, autopilot=args.autopilot)
    try:
        engine.start()
    except EngineStartError as exc:
        store.close()
        error(str(exc))
        return EXIT_FAILURE
    try:
        if args.new_inspection:
            inspection, _ = create_inspection(
                store,
                checklist=args.checklist,
                vehicle={"make": "Self-inspection"},
                seller={"language": "fr"},
            )
            engine.invite(inspection.id).result(10)
        _wait_for_signal(threading.Event())
    finally:
        engine.stop()
        store.close()
    return 0


def cmd_server(args: argparse.Namespace) -> int:
    from inspector.live.engine import EngineStartError
    from inspector.storage.store import Store
    from inspector.team import TeamServer, logs

    settings = _settings(args)
    logs.configure(json_lines=not args.log_text)
    data_dir = resolve_data_dir(args.data_dir)
    sealer = sealer_from_args(args, data_dir)  # a bad option stops here, before the store
    if not (args.signing_cert or args.signing_pkcs12):
        logging.getLogger("inspector.team").warning(
            "reports are sealed with this process's own key (certificate SHA-256 %s): give "
            "every process the company's with --signing-cert/--signing-key or "
            "--signing-pkcs12, or buyers see a different signer per process",
            sealer.identity.fingerprint,
        )
    store = Store(data_dir, **store_options(args))
    printer = _Printer(args.json)

    def on_event(event: events.Event) -> None:
        if event.name == "listening":  # the rest goes to the log (standard error)
            printer(event)

    team = TeamServer(
        store, settings, on_event=on_event, drain_timeout=args.drain_timeout, sealer=sealer
    )
    try:
        team.start()
    except EngineStartError as exc:
        store.close()
        error(str(exc))
        return EXIT_FAILURE
    try:
        _wait_for_signal(threading.Event())
    finally:
        team.shutdown()
        store.close()
    return 0


def join_url(base: str, token: str) -> str:
    return f"{base.rstrip('/')}/j/{token}"


def _invite_base(args: argparse.Namespace, data_dir: Path) -> tuple[str, str | None]:
    """Where the join link points, and a warning to print with it (or None).

    The link points at the server running on this data folder (``serve``, the
    console, ``demo``): its own address, whatever port it took. An address given
    on the command line wins (a proxy, a server started elsewhere).
    """
    if _checked_public_url(args.public_url):
        return args.public_url.rstrip("/"), None
    running = running_server(data_dir)
    explicit = args.host is not None or args.port is not None
    if running is not None and running.base_url and not explicit:
        if args.lan and running.lan_url:
            return running.lan_url, None
        return running.base_url, None
    if not explicit and not args.lan:
        raise CliError(
            f"no phone server is running on {data_dir}: start one with `inspector serve` "
            "(or open the console), then invite again; or give the address phones reach "
            "with --public-url (or --port)"
        )
    port = _checked_port(8080 if args.port is None else args.port)
    if args.lan:
        from inspector.live.tls import lan_addresses

        addresses = lan_addresses()
        base = f"https://{addresses[0] if addresses else '127.0.0.1'}:{port}"
    else:
        base = f"http://{args.host or '127.0.0.1'}:{port}"
    warning = None
    if running is None:
        warning = (
            f"no phone server is running on this data folder yet: the link works once "
            f"`inspector serve --port {port}` (same data folder) runs"
        )
    return base, warning


def cmd_invite(args: argparse.Namespace) -> int:
    client = remote(args)
    if client is not None:
        data = client.invite(args.id, self_inspection=args.self_inspection)
        print_invite(data, as_json=args.json, qr=not args.no_qr)
        return 0
    if args.self_inspection:
        raise CliError(
            "--self goes with --server (a team server runs self-inspections); at a desk, "
            "run `inspector serve --autopilot --new-inspection`",
            EXIT_USAGE,
        )
    from inspector.live.tokens import Invitations
    from inspector.storage.store import Store
    from inspector.usecases import status as lifecycle

    data_dir = resolve_data_dir(args.data_dir)
    with Store(data_dir, **store_options(args)) as store:
        inspection = store.find_inspection(args.id)
        base, warning = _invite_base(args, data_dir)
        # At a desk the operator guides the call (the desk's engine answers the phone).
        token, expires_at = Invitations(store, ServerSettings().token_ttl_seconds).issue(
            inspection.id, mode="operator"
        )
        lifecycle.invited(store, inspection.id)
    if warning:
        error(warning, prefix="warning")
    data = {
        "inspection_id": inspection.id,
        "join_url": join_url(base, token),
        "expires_at": expires_at.isoformat(),
    }
    print_invite(data, as_json=args.json, qr=not args.no_qr)
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    from inspector.storage.store import Store

    with Store(resolve_data_dir(args.data_dir), **store_options(args)) as store:
        inspection = store.find_inspection(args.id)
        count = store.revoke_tokens(inspection.id)
    print(f"Revoked {count} link(s) of inspection {inspection.id}")
    return 0


_STORAGE_FAILURES = ("photo not saved", "capture not recorded")
"""How the session words a capture that the store refused (disk full, unwritable)."""


class DemoFailed(RuntimeError):
    """The demo cannot go on; ``str()`` says why."""


def run_demo(
    data_dir: Path,
    report_path: Path | None,
    *,
    checklist: str = "standard",
    timeout: float = 180.0,  # a paced walk on a loaded machine takes 35-75 s
    database_url: str | None = None,
    photo_store: str | None = None,
) -> dict[str, Any]:
    """The whole product headless: inspection, server, simulated phone, autopilot, report.

    The engine starts first, so a folder another process serves gets no stray
    inspection. Interrupted (Ctrl-C), the engine still stops cleanly: the
    inspection is not left "live". Raises :class:`DemoFailed` as soon as a
    capture cannot be stored (a full disk does not get better by waiting).
    """
    from inspector.live import events
    from inspector.live.contrib.simphone import DemoVehicle, SimulatedPhone
    from inspector.live.engine import Engine
    from inspector.storage.store import Store
    from inspector.usecases import status as lifecycle
    from inspector.usecases.inspections import create_inspection

    completed = threading.Event()
    signed = threading.Event()
    captures: list[events.CaptureStored] = []
    failures: list[str] = []
    storage_failed = threading.Event()

    def on_event(event: events.Event) -> None:
        if isinstance(event, events.CaptureFailed):
            failures.append(event.reason)
            print(f"  capture failed: {printable(event.reason)}", file=sys.stderr, flush=True)
            if event.reason.startswith(_STORAGE_FAILURES) or "disk is full" in event.reason:
                storage_failed.set()
        elif isinstance(event, events.CaptureStored):
            captures.append(event)
            c = event.capture
            print(
                f"  {c.shot_id:<28} {c.quality.verdict.value:<6} {c.source.value:<5} "
                f"{c.width}x{c.height}",
                flush=True,
            )
        elif isinstance(event, events.Completed):
            completed.set()
        elif isinstance(event, events.SellerSigned):
            print(f"  signed by the seller ({printable(event.seller_name)})", flush=True)
            signed.set()
        elif isinstance(event, events.EngineError):
            print(f"  engine error: {printable(event.message)}", file=sys.stderr, flush=True)
            if "disk is full" in event.message:
                failures.append(event.message)
                storage_failed.set()

    started = time.monotonic()
    with Store(data_dir, database_url=database_url, photo_store=photo_store) as store:
        engine = Engine(
            store,
            ServerSettings(port=0),
            on_event,
            autopilot=True,
            steady_seconds=0.4,
            settle_seconds=0.3,
        )
        engine.start()
        try:
            inspection, _ = create_inspection(
                store,
                checklist=checklist,
                operator="demo",
                vehicle={
                    "make": "Peugeot",
                    "model": "308",
                    "year": 2019,
                    "plate": "AB-123-CD",
                    "vin": "VF3LBYHZ1KS123456",
                    "mileage": 84500,
                    "fuel": "diesel",
                    "colour": "gris",
                },
                seller={"name": "Élodie Martin", "language": "fr"},
            )
            invite = engine.invite(inspection.id, "self").result(10)
            print(
                f"Inspection {inspection.id}: simulated phone joining {engine.base_url}",
                flush=True,
            )

            async def phone() -> None:
                sim = SimulatedPhone(
                    invite.join_url,
                    width=1280,
                    height=720,
                    fps=15,
                    still_size=(2000, 1500),
                    # The car the phone films carries the inspection's plate, VIN, mileage.
                    vehicle=DemoVehicle.of(inspection.vehicle),
                    signer_name="Élodie Martin",  # signs the summary with a synthetic stroke
                )
                await sim.start()
                try:
                    deadline = time.monotonic() + timeout
                    while not (completed.is_set() and signed.is_set()):
                        if storage_failed.is_set():
                            raise DemoFailed(failures[-1])
                        if time.monotonic() > deadline:
                            last = f" (last failure: {failures[-1]})" if failures else ""
                            raise TimeoutError(
                                f"the checklist was not completed and signed within "
                                f"{timeout:g} s{last}"
                            )
                        await asyncio.sleep(0.1)
                finally:
                    await sim.stop()

            asyncio.run(phone())
        finally:
            engine.stop()
        print(
            f"Checklist walked in {time.monotonic() - started:.1f} s; writing the report…",
            flush=True,
        )
        result: dict[str, Any] = {
            "inspection_id": inspection.id,
            "data_dir": str(data_dir),
            "captures": len(captures),
        }
        if report_path is not None:
            from inspector.report.document import build_report

            build_report(store, inspection.id, report_path, lang="fr")
            lifecycle.reported(store, inspection.id)
            result["report"] = str(report_path)
    result["seconds"] = round(time.monotonic() - started, 1)
    return result


def cmd_demo(args: argparse.Namespace) -> int:
    data_dir = resolve_data_dir(args.data_dir)
    output = Path(args.output) if args.output else data_dir / "demo-report.pdf"
    from inspector.live.engine import EngineStartError

    try:
        result = run_demo(data_dir, output, checklist=args.checklist, **store_options(args))
    except (TimeoutError, EngineStartError, DemoFailed) as exc:
        error(f"demo failed: {exc}")
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("inspector: demo interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    if args.json:
        print(json.dumps(result))
    else:
        print(f"Done in {result['seconds']} s: {result['captures']} captures stored.")
        print(f"Inspection {result['inspection_id']} in {result['data_dir']}")
        print(f"Report: {result['report']}")
    return 0


def _server_options(p: argparse.ArgumentParser, *, lan: bool = True) -> None:
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: %(default)s, this computer only)",
    )
    p.add_argument(
        "--port", type=int, default=8080, help="port (default: %(default)s; 0 picks a free one)"
    )
    if lan:
        p.add_argument("--lan", action="store_true", help="serve HTTPS for phones on this network")
    p.add_argument(
        "--trusted-proxy",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="a reverse proxy whose X-Forwarded-For / Forwarded headers are believed: an IP "
        "address or a network such as 10.0.0.0/24 (repeatable; default: 127.0.0.1 and ::1 "
        "with --public-url, else none)",
    )
    p.add_argument(
        "--public-url",
        default=None,
        help="the public base URL phones use, behind a TLS reverse proxy (e.g. "
        "https://inspect.example.com)",
    )
    p.add_argument("--json", action="store_true", help="print JSON lines instead of sentences")
    p.add_argument(
        "--no-recording",
        action="store_true",
        help="do not ask sellers whether their call may be recorded (nothing is recorded)",
    )
    p.add_argument(
        "--recording-retention-days",
        type=int,
        default=None,
        metavar="N",
        help="delete call recordings N days after the call (applied when the server starts and "
        "every 6 hours; default: "
        "$INSPECTOR_RECORDING_RETENTION_DAYS, else 30)",
    )
    add_ice_options(p)


def register(add: AddCommand) -> None:
    """Add serve, invite, revoke and demo to the ``inspector`` parser."""
    p = add("serve", cmd_serve, "run the phone server headless")
    _server_options(p)
    p.add_argument("--autopilot", action="store_true", help="self-inspection: no operator")
    p.add_argument(
        "--log-json", action="store_true", help="log JSON lines (standard error), as `server` does"
    )
    p.add_argument(
        "--new-inspection", action="store_true", help="create an inspection and print its link"
    )
    p.add_argument(
        "--checklist",
        default="standard",
        help="checklist template of --new-inspection (default: %(default)s)",
    )

    p = add(
        "server",
        cmd_server,
        "run the team server: the phone pages and self-inspections of every invited "
        "inspection in the shared store, with /healthz, /readyz and /metrics",
    )
    _server_options(p, lan=False)
    p.add_argument(
        "--log-text",
        action="store_true",
        help="log sentences instead of JSON lines (standard error)",
    )
    add_seal_options(p)
    p.add_argument(
        "--drain-timeout",
        type=float,
        default=15.0,
        metavar="SECONDS",
        help="on SIGTERM, wait at most this long for photos on their way (default: %(default)s)",
    )

    p = add(
        "invite",
        cmd_invite,
        "print an inspection's join link and QR code, for the phone server running on "
        "this data folder",
    )
    p.add_argument("id", help="the inspection (its id, or the start of it)")
    p.add_argument(
        "--host",
        default=None,
        help="the address phones reach, when the link must not point at the running server",
    )
    p.add_argument(
        "--port",
        type=int,
        default=None,
        help="the port phones reach (default: the running server's)",
    )
    p.add_argument(
        "--lan",
        action="store_true",
        help="the running server's address on this network (it runs with --lan)",
    )
    p.add_argument(
        "--public-url",
        default=None,
        help="the public base URL phones use, behind a TLS reverse proxy",
    )
    p.add_argument("--json", action="store_true", help="print the link as JSON")
    p.add_argument("--no-qr", action="store_true", help="do not draw the QR code")
    p.add_argument(
        "--self",
        dest="self_inspection",
        action="store_true",
        help="with --server: a self-inspection (the seller's phone is guided by the server)",
    )

    p = add("revoke", cmd_revoke, "revoke every join link of an inspection")
    p.add_argument("id", help="the inspection (its id, or the start of it)")

    p = add("demo", cmd_demo, "the whole product headless with a simulated phone")
    p.add_argument(
        "-o",
        "--output",
        default=None,
        help="where to write the report PDF (default: in the data folder)",
    )
    p.add_argument(
        "--checklist", default="standard", help="checklist template to walk (default: %(default)s)"
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
