"""Commands for the end of an inspection: ``report``, ``export``, ``import``, ``verify``.

Every expected failure ends as one line (:func:`~inspector.cli.common.fail`).
``report`` and ``verify`` only read: they never create a database.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inspector.cli.common import (
    EXIT_ALTERED,
    EXIT_INCOMPLETE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    AddCommand,
    add_seal_options,
    error,
    fail,
    open_store,
    print_json,
    sealer_from_args,
)
from inspector.cli.remote import remote
from inspector.cli.terminal import printable
from inspector.config import LISTING_LONG_SIDE
from inspector.report.i18n import report_languages
from inspector.storage import WriteNotRecorded

if TYPE_CHECKING:
    from inspector.seal import SealCheck
    from inspector.storage.store import Store

# The bundle, the report (reportlab), the seal (pyHanko), the privacy filters (OpenCV)
# and the store are imported by the commands that use them: building the parser, which
# every command does, must stay light (docs/PERFORMANCE.md).


@contextmanager
def _one_line_errors() -> Iterator[None]:
    from inspector.bundle import BundleError
    from inspector.report.document import ReportCancelled

    try:
        yield
    except BundleError as exc:
        fail(str(exc))
    except ReportCancelled:
        fail("cancelled", EXIT_INTERRUPTED)


def _output(path: str, suffix: str) -> Path:
    out = Path(path).expanduser()
    if out.is_dir():
        fail(f"{out} is a folder; give a file name ending in {suffix}")
    if out.suffix.lower() != suffix:
        fail(f"the output file must end in {suffix}: {out}")
    if not out.parent.is_dir():  # a typo in a path must not quietly create folders
        fail(f"the folder {out.parent} does not exist; create it first, or choose another")
    return out


def _check_complete(store: Store, inspection_id: str, allow_incomplete: bool) -> None:
    """Refuse (or, if allowed, warn about) an inspection the report cannot grade: required
    photos missing, or damages still to complete (see :mod:`inspector.domain.grading`)."""
    from inspector.report.readiness import readiness

    found = readiness(store, inspection_id)
    if not found.complete:
        if not allow_incomplete:
            fail(
                f"{found.message()}; no report written (--allow-incomplete writes one marked "
                "incomplete)",
                EXIT_INCOMPLETE,
            )
        print(f"warning: {found.message()}; the report says so and gives no grade", file=sys.stderr)
    _warn_to_check(found.to_check)


def _warn_to_check(to_check: list[str]) -> None:
    if to_check:
        n = len(to_check)
        print(
            f"warning: {n} photo{'s' if n > 1 else ''} below the quality bar "
            f"({', '.join(to_check)}): the report lists them as photos to check",
            file=sys.stderr,
        )


def cmd_report(args: argparse.Namespace) -> int:
    out = _output(args.output, ".pdf")
    client = remote(args)
    if client is not None:
        _no_seal_options(args)
        with _incomplete_remotely():
            client.report(
                args.id,
                out,
                lang=args.lang,
                inspector=args.inspector,
                allow_incomplete=args.allow_incomplete,
            )
        print(out)
        return 0
    from inspector.report.document import build_report
    from inspector.usecases import status as lifecycle

    # Read-only: a report never creates a database. Marking the inspection
    # "reported" afterwards is the one deliberate write (see Store(readonly=True)).
    with open_store(args, readonly=True) as store, _one_line_errors():
        inspection_id = store.find_inspection(args.id).id
        _check_complete(store, inspection_id, args.allow_incomplete)
        lang = args.lang or store.get_inspection(inspection_id).seller.language.value
        sealer = sealer_from_args(args, store.data_dir)
        path = build_report(
            store, inspection_id, out, lang=lang, inspector_name=args.inspector, sealer=sealer
        )
        try:
            lifecycle.reported(store, inspection_id)
        except WriteNotRecorded as exc:
            print(
                f"inspector: warning: the report is written, but the inspection could not be "
                f"marked reported: {printable(str(exc))}",
                file=sys.stderr,
            )
    print(path)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    if args.listing:
        client = remote(args)
        if client is not None:
            try:
                made = client.listing(
                    args.id,
                    Path(args.output).expanduser(),
                    size=args.size,
                    include_withheld=args.include_withheld,
                )
            except ValueError as exc:
                fail(str(exc))
            _said_listing(made["photos"], made["blurred"], made["scanned"])
            print(made["folder"])
            return 0
        return _export_listing(args)
    if args.size is not None or args.include_withheld:
        fail("--size and --include-withheld go with --listing", EXIT_USAGE)
    out = _output(args.output, ".zip")
    client = remote(args)
    if client is not None:
        if not args.no_report:
            _no_seal_options(args)
        client.bundle(
            args.id, out, lang=args.lang, inspector=args.inspector, no_report=args.no_report
        )
        print(out)
        return 0
    from inspector.bundle import export_bundle
    from inspector.usecases import status as lifecycle

    with open_store(args) as store, _one_line_errors():
        inspection_id = store.find_inspection(args.id).id
        sealer = None if args.no_report else sealer_from_args(args, store.data_dir)
        path = export_bundle(
            store,
            inspection_id,
            out,
            report=not args.no_report,
            lang=args.lang or store.get_inspection(inspection_id).seller.language.value,
            inspector_name=args.inspector,
            sealer=sealer,
        )
        if not args.no_report:  # a report was issued with the bundle
            lifecycle.reported(store, inspection_id)
    print(path)
    return 0


def _export_listing(args: argparse.Namespace) -> int:
    """``inspector export ID --listing -o FOLDER``: the publishable photos, blurred."""
    from inspector.usecases.privacy import ListingError, export_listing

    with open_store(args) as store:
        try:
            result = export_listing(
                store,
                args.id,
                Path(args.output),
                long_side=args.size or LISTING_LONG_SIDE,
                include_withheld=args.include_withheld,
            )
        except ListingError as exc:
            fail(str(exc))
    _said_listing(len(result.files), result.blurred, result.scanned)
    print(result.folder)
    return 0


def _said_listing(n: int, blurred: int, scanned: int) -> None:
    """What a listing export says on standard error, locally or through a server."""
    print(
        f"{n} photo{'s' if n != 1 else ''}, {blurred} box{'es' if blurred != 1 else ''} blurred"
        + (f" ({scanned} photo{'s' if scanned != 1 else ''} scanned first)" if scanned else ""),
        file=sys.stderr,
    )


def cmd_import(args: argparse.Namespace) -> int:
    path = Path(args.bundle).expanduser()
    client = remote(args)
    if client is not None:
        _readable(path)
        print(client.import_bundle(path)["id"])
        return 0
    from inspector.bundle import import_bundle

    with open_store(args) as store, _one_line_errors():
        inspection = import_bundle(store, path)
    print(inspection.id)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    path = Path(args.bundle).expanduser()
    if _is_pdf(path):
        return _verify_pdf(path, args)
    client = remote(args)
    if client is not None:
        _readable(path)
        data = client.verify(path)
        data["path"] = str(path)
        seal = _seal_of(data["report_seal"])
        if args.certificate and seal is not None:
            _expect(seal, args.certificate)
            data["report_seal"] = seal.to_dict()
            data["problems"] = [
                *(p for p in data["problems"] if not p.startswith(f"{_REPORT}: ")),
                *(f"{_REPORT}: {problem}" for problem in seal.problems),
            ]
            data["ok"] = data["ok"] and seal.ok
    else:
        from inspector.bundle import verify_bundle

        with _one_line_errors():
            result = verify_bundle(path)
        if args.certificate and result.seal is not None:
            _expect(result.seal, args.certificate)
        data = result.to_dict()
        seal = result.seal
    problems: list[str] = data["problems"]
    if args.json:
        print_json(data)
    elif data["ok"]:
        print(
            printable(
                f"OK: {path.name} is intact (inspection {data['inspection_id']}, "
                f"{_files_match(len(data['verified']))} the manifest)"
            )
        )
        if seal is not None:
            print(printable(f"{_REPORT}: {_seal_line(seal)}"))
    else:
        for line in problems:
            print(printable(line))
    if not data["ok"]:
        n = len(problems)
        error(f"{path.name} is NOT intact: {n} problem{'s' if n > 1 else ''}")
        return EXIT_ALTERED
    return 0


_REPORT = "report.pdf"
"""The report's name in a bundle, as ``verify`` names its problems."""


def _seal_of(data: dict[str, Any] | None) -> SealCheck | None:
    """A seal check as a team server sent it (``SealCheck.to_dict``)."""
    if data is None:
        return None
    from inspector.seal import SealCheck

    def when(value: Any) -> datetime | None:
        return datetime.fromisoformat(value) if value else None

    return SealCheck(
        problems=list(data["problems"]),
        signer=data["signer"],
        fingerprint=data["certificate_sha256"],
        self_signed=bool(data["self_signed"]),
        signed_at=when(data["signed_at"]),
        timestamped=when(data["timestamp"]),
    )


def _readable(path: Path) -> None:
    """A file to send: it must be there (said before anything is sent)."""
    if not path.is_file():
        fail(f"no such file: {path}")


def _no_seal_options(args: argparse.Namespace) -> None:
    if args.signing_cert or args.signing_key or args.signing_pkcs12 or args.tsa_url:
        fail(
            "the team server seals reports with its own key: --signing-* and --tsa-url do not "
            "go with --server",
            EXIT_USAGE,
        )


@contextmanager
def _incomplete_remotely() -> Iterator[None]:
    from inspector.team.client import RemoteError

    try:
        yield
    except RemoteError as exc:
        if exc.code == "incomplete":
            fail(str(exc).replace("allow_incomplete=1", "--allow-incomplete"), EXIT_INCOMPLETE)
        raise


def _is_pdf(path: Path) -> bool:
    """A PDF by its first bytes (or its name, when it cannot be read: the error says why)."""
    try:
        with open(path, "rb") as f:
            return f.read(5) == b"%PDF-"
    except OSError:
        return path.suffix.lower() == ".pdf"


MAX_PDF_BYTES = 512 * 1024 * 1024


def _verify_pdf(path: Path, args: argparse.Namespace) -> int:
    """``inspector verify FILE.pdf``: the report's seal, intact and whole."""
    from inspector.seal import check_pdf

    try:
        if path.stat().st_size > MAX_PDF_BYTES:
            fail(f"{path.name} is larger than {MAX_PDF_BYTES // 2**20} MiB: not a report")
        data = path.read_bytes()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")
    result = check_pdf(data)
    if args.certificate:
        _expect(result, args.certificate)
    if args.json:
        print_json({"path": str(path), **result.to_dict()})
    elif result.ok:
        print(printable(f"OK: {path.name}: {_seal_line(result)}"))
    else:
        for line in result.problems:
            print(printable(f"{path.name}: {line}"))
    if not result.ok:
        n = len(result.problems)
        error(f"{path.name} is NOT intact: {n} problem{'s' if n > 1 else ''}")
        return EXIT_ALTERED
    return 0


def _expect(result: SealCheck, fingerprint: str) -> None:
    """Add a problem unless the seal was made by the certificate of that SHA-256."""
    wanted = fingerprint.lower().replace(":", "")
    if len(wanted) != 64 or any(c not in "0123456789abcdef" for c in wanted):
        fail("--certificate takes a certificate's SHA-256 (64 hex digits)", EXIT_USAGE)
    if result.fingerprint is not None and result.fingerprint != wanted:
        result.problems.append(
            f"sealed by another certificate (SHA-256 {result.fingerprint}), not {wanted}"
        )


def _seal_line(seal: SealCheck) -> str:
    """What an intact seal proves, in one line."""
    when = f" on {seal.signed_at:%Y-%m-%d %H:%M %Z}" if seal.signed_at else ""
    stamp = (
        f", timestamped by an authority at {seal.timestamped:%Y-%m-%d %H:%M %Z}"
        if seal.timestamped
        else ""
    )
    kind = (
        "self-signed: compare this fingerprint with the one the platform publishes"
        if seal.self_signed
        else "issued by " + "a certificate authority (not checked here)"
    )
    return (
        f"sealed{when}{stamp}, unchanged since, the seal covers the whole file; by "
        f"{seal.signer} (certificate SHA-256 {seal.fingerprint}; {kind})"
    )


def _files_match(n: int) -> str:
    return f"{n} file matches" if n == 1 else f"{n} files match"


def register(add: AddCommand) -> None:
    """Add report, export, import and verify to the ``inspector`` parser."""
    p = add("report", cmd_report, "write the PDF report of an inspection")
    p.add_argument("id", help="inspection id (or an unambiguous start of it)")
    p.add_argument(
        "-o", "--output", required=True, metavar="FILE.pdf", help="the PDF file to write"
    )
    p.add_argument(
        "--lang",
        choices=report_languages(),
        default=None,
        help="report language (default: the seller's)",
    )
    p.add_argument("--inspector", default=None, help="inspector name to print in the report")
    add_seal_options(p)
    p.add_argument(
        "--allow-incomplete",
        action="store_true",
        help="write the report even if required photos are missing or damages are to "
        "complete (it says so, with no grade)",
    )

    p = add(
        "export",
        cmd_export,
        "export an inspection as a verifiable bundle (zip), or with --listing its "
        "publishable photos",
    )
    p.add_argument("id", help="inspection id (or an unambiguous start of it)")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE.zip|FOLDER",
        help="the bundle file to write (with --listing: a new or empty folder)",
    )
    p.add_argument(
        "--listing",
        action="store_true",
        help="write the publishable photos instead: the listing shots in checklist order, "
        "plates and faces blurred where boxed, resized, without EXIF or GPS (01-front.jpg…)",
    )
    p.add_argument(
        "--size",
        type=int,
        default=None,
        metavar="PIXELS",
        help=f"with --listing: the photos' long side (default {LISTING_LONG_SIDE})",
    )
    p.add_argument(
        "--include-withheld",
        action="store_true",
        help="with --listing: also the shots the checklist keeps out (VIN, keys, documents)",
    )
    p.add_argument(
        "--lang",
        choices=report_languages(),
        default=None,
        help="language of the report inside (default: the seller's)",
    )
    p.add_argument("--inspector", default=None, help="inspector name to print in the report")
    p.add_argument("--no-report", action="store_true", help="leave the PDF report out")
    add_seal_options(p)

    p = add("import", cmd_import, "import an inspection bundle into the data directory")
    p.add_argument("bundle", metavar="FILE.zip", help="the bundle to import")

    p = add(
        "verify",
        cmd_verify,
        "check a bundle or a report's seal: exit 0 if intact, else name each problem",
    )
    p.add_argument(
        "bundle", metavar="FILE", help="the bundle (.zip) or the sealed report (.pdf) to check"
    )
    p.add_argument(
        "--certificate",
        metavar="SHA256",
        help="also require the report to be sealed by the certificate of this fingerprint",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
