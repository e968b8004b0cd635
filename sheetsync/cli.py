"""The command line: parses arguments, calls the library, turns its errors into exit codes.

Exit codes: 0 success (rows flagged CHECK included), 2 usage, config or sheet-layout error,
3 another sync of the same source is running, 4 synced but a digest was not delivered,
1 anything else; 143 stopped by SIGTERM (after undoing what the command had started).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import logging
import os
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from sheetsync import __version__
from sheetsync.config import Config, load_config, today_in
from sheetsync.errors import SheetsyncError, UsageError

if TYPE_CHECKING:
    from sheetsync.notify.deliver import Delivery
    from sheetsync.sources.base import SheetData, Source
    from sheetsync.sync import SyncRun

log = logging.getLogger("sheetsync")


def _setup_logging(verbose: bool, quiet: bool, log_file: str | None) -> None:
    level = logging.DEBUG if verbose else logging.ERROR if quiet else logging.WARNING
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        try:
            handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
        except OSError as ex:
            _fail(
                UsageError(
                    f"--log-file {log_file} cannot be opened ({ex.strerror or ex}): create its "
                    "folder or choose another file"
                )
            )
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )


def _about(spec: str, error: Exception) -> str:
    """``error``'s message, after the source it is about unless it names it already."""
    message = str(error)
    return (
        message
        if message.startswith((spec, str(Path(spec).expanduser().resolve())))
        else f"{spec}: {message}"
    )


def _fail(error: SheetsyncError) -> NoReturn:
    click.echo(f"sheetsync: error: {error}", err=True)
    sys.exit(error.exit_code)


def _source_options(command: Callable[..., None]) -> Callable[..., None]:
    """SOURCE, --sheet and --config: where ``sync``, ``agenda`` and ``forecast`` find their
    sheets."""
    options = (
        click.argument("source", required=False),
        click.option("--sheet", help="Worksheet name (default: 'Prospects', else the first)."),
        click.option(
            "--config",
            "config_path",
            type=click.Path(dir_okay=False),
            help="TOML config (default: ./sheetsync.toml if present, else built-in defaults).",
        ),
    )
    for option in reversed(options):  # as if stacked above the command, in this order
        command = option(command)
    return command


_credentials_option = click.option(
    "--credentials",
    type=click.Path(dir_okay=False),
    help="Google service-account key or OAuth token file, or a Microsoft app's credentials JSON.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sheetsync")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Keep a prospect spreadsheet honest: who to contact next, how, and why."""
    ctx.with_resource(_sigterm_exits())


#: mallopt's parameter for the most malloc arenas (glibc's malloc.h)
_M_ARENA_MAX = -8


def _two_malloc_arenas() -> None:
    """On glibc, let the process's threads share two malloc arenas at most (the default is
    eight a core). A big Excel sheet is parsed in halves, one on a thread; glibc gives that
    thread an arena of its own, and what the parse frees there stays there, unused by the
    threads that allocate afterwards: 100,000 rows peaked 15-30 MB higher (the next day's
    sync: 317 MB against 286-288 with two arenas). Set before the sync starts a thread."""
    try:  # macOS lacks the name (ValueError), musl fails it (OSError)
        libc = os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (AttributeError, ValueError, OSError):
        return
    if libc.startswith("glibc"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).mallopt(_M_ARENA_MAX, 2)


@contextlib.contextmanager
def _sigterm_exits() -> Iterator[None]:
    """While a command runs, SIGTERM (cron's or systemd's time limit, ``timeout``, ``kill``)
    ends it as Ctrl-C does, through its ``finally`` blocks: the temporary copies of a workbook
    read in halves are removed, the run lock is released, a half-written file is dropped (a
    workbook is only ever replaced whole). Exit code 143, as for a process killed by it. A
    SIGTERM the process was started to ignore stays ignored."""
    try:
        previous = signal.getsignal(signal.SIGTERM)
        if previous is signal.SIG_IGN:
            yield
            return
        signal.signal(signal.SIGTERM, _terminated)
    except (ValueError, AttributeError):  # not the main thread, or no SIGTERM here
        yield
        return
    try:
        yield
    finally:
        # None: a handler set from C, which Python cannot put back: the default, then
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def _terminated(signum: int, frame: object) -> NoReturn:
    raise SystemExit(128 + signum)


@main.command()
@_source_options
@click.option("--today", help="Decide as if today were YYYY-MM-DD.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
@_credentials_option
@click.option("--quiet", "-q", is_flag=True, help="Only errors on stderr.")
@click.option("--verbose", "-v", is_flag=True, help="Debug log lines on stderr.")
@click.option("--log-file", type=click.Path(dir_okay=False), help="Also append log lines here.")
@click.option("--resend", is_flag=True, help="Send today's digests again, even those already sent.")
def sync(
    source: str | None,
    sheet: str | None,
    config_path: str | None,
    today: str | None,
    dry_run: bool,
    as_json: bool,
    credentials: str | None,
    quiet: bool,
    verbose: bool,
    log_file: str | None,
    resend: bool,
) -> None:
    """Sync SOURCE (an .xlsx/.xlsm path, a Google Sheets URL or gsheet:KEY, a OneDrive or
    SharePoint link), or every [[sources]] entry of the config."""
    from sheetsync import report as reports
    from sheetsync.sync import open_source, sync_source

    _two_malloc_arenas()
    _setup_logging(verbose, quiet, log_file)
    config, day, targets = _settings(config_path, credentials, today, source, sheet, "sync")

    done, errors, exit_code = [], [], 0
    deliveries: dict[str, dict] = {}
    for spec, sheet_name in targets:
        try:
            opened = open_source(spec, sheet_name, config)
            result = sync_source(opened, config, day, dry_run)
        except SheetsyncError as ex:
            errors.append({"source": spec, "error": str(ex)})
            exit_code = exit_code or ex.exit_code
            if not as_json:
                click.echo(f"sheetsync: error: {_about(spec, ex)}", err=True)
            continue
        except Exception as ex:  # a cron job must see a one-line reason and a non-zero exit
            log.debug("unexpected error", exc_info=True)
            errors.append({"source": spec, "error": f"unexpected error: {ex!r}"})
            exit_code = exit_code or 1
            if not as_json:
                click.echo(
                    f"sheetsync: error: {spec}: unexpected error: {ex!r} "
                    "(run with --verbose for details)",
                    err=True,
                )
            continue
        done.append(result)
        delivery = None
        if config.notify.enabled and not dry_run:
            delivery = _deliver(opened, result, config, day, resend)
            deliveries[result.source] = delivery.as_dict()
            exit_code = exit_code or delivery.exit_code
        if not as_json and not quiet:
            if sys.stdout.isatty():
                reports.print_table(result, spec)
            else:
                click.echo("\n".join(reports.summary_lines(result, spec)))
            if dry_run:
                click.echo("\n".join(reports.diff_lines(result)))
            if delivery is not None:
                click.echo("\n".join(delivery.lines()))
        if delivery is not None and delivery.failed and not as_json:
            click.echo(
                f"sheetsync: error: {spec}: synced, but not every digest was delivered "
                "(a later run today retries those only)",
                err=True,
            )
    if as_json:
        click.echo(reports.to_json(done, errors, deliveries))
    gc.freeze()  # the collection at exit would walk every object of a big sync once more
    sys.exit(exit_code)


def _deliver(
    opened: Source, result: SyncRun, config: Config, day: dt.date, resend: bool
) -> Delivery:
    """The digests of one synced source; never raises for a delivery problem."""
    from sheetsync.agenda import agenda_of
    from sheetsync.notify.deliver import Delivery, deliver
    from sheetsync.notify.links import link_maker

    try:
        stages = result.result  # the sync's own stages: nothing decided twice
        agenda = agenda_of(result.data, stages.sheet, stages.decided.decisions, day, result.source)
        return deliver(agenda, config, link_maker(opened, result.data.title), resend=resend)
    except Exception as ex:  # the sync is saved: say so, and exit 4 for cron
        # (the exception's text is not shown: it could hold the webhook's secret URL)
        log.debug("unexpected error in the digest", exc_info=True)
        failed = Delivery()
        failed.not_notified.append(
            {
                "recipient": "everyone",
                "channel": "digest",
                "reason": f"unexpected error ({type(ex).__name__}; run with --verbose)",
                "failed": True,
            }
        )
        return failed


@main.command()
@_source_options
@click.option("--owner", help="Only this rep's list (case and spaces do not count).")
@click.option("--today", help="Decide as if today were YYYY-MM-DD.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json", "ics"]),
    default="table",
    show_default=True,
    help="table (plain lines when piped), csv, json, or an ics calendar.",
)
@click.option("--output", type=click.Path(dir_okay=False), help="Write to FILE, not stdout.")
@_credentials_option
def agenda(
    source: str | None,
    sheet: str | None,
    config_path: str | None,
    owner: str | None,
    today: str | None,
    fmt: str,
    output: str | None,
    credentials: str | None,
) -> None:
    """List what each rep does today (OVERDUE, DUE, CARD), deciding every row as a sync
    would; never writes the sheet. Without SOURCE: every [[sources]] entry."""
    from sheetsync import agenda as agendas

    _setup_logging(False, False, None)
    config, day, targets = _settings(config_path, credentials, today, source, sheet, "agenda")
    found, exit_code = [], 0
    for spec, sheet_name in targets:
        try:
            data, key = _read(spec, sheet_name, config)
            found.append(agendas.read_agenda(data, config, day, key))
        except SheetsyncError as ex:
            exit_code = exit_code or ex.exit_code
            click.echo(f"sheetsync: error: {_about(spec, ex)}", err=True)
        except Exception as ex:  # one line and a non-zero exit, as for sync
            log.debug("unexpected error", exc_info=True)
            exit_code = exit_code or 1
            click.echo(f"sheetsync: error: {spec}: unexpected error: {ex!r}", err=True)
    if owner is not None:
        every = sorted({i.owner for a in found for i in (*a.items, *a.upcoming, *a.checks)})
        found = [a.only(owner) for a in found]
        if found and not any(a.items or a.upcoming for a in found):
            click.echo(
                f"sheetsync: nothing due for owner {owner!r} "
                f"(owners with something on their list: {', '.join(every) or 'none'})",
                err=True,
            )
    if fmt == "ics":
        from sheetsync.ics import to_ics

        payload: str | bytes = to_ics(found, dt.datetime.now(dt.UTC), name="sheetsync agenda")
    elif fmt == "csv":
        payload = agendas.to_csv(found)
    elif fmt == "json":
        payload = agendas.to_json(found) + "\n"
    elif output is None and sys.stdout.isatty():
        agendas.print_table(found)
        sys.exit(exit_code)
    else:
        payload = agendas.plain_text(found)
    data_bytes = payload.encode("utf-8") if isinstance(payload, str) else payload
    if output is None:
        sys.stdout.buffer.write(data_bytes)
        sys.stdout.flush()
    else:
        try:
            Path(output).write_bytes(data_bytes)
        except OSError as ex:
            _fail(UsageError(f"cannot write {output}: {ex.strerror or ex}"))
    sys.exit(exit_code)


def _read(spec: str, sheet_name: str | None, config: Config) -> tuple[SheetData, str]:
    """The worksheet of one source and the source's key (``agenda``, ``forecast``: read only)."""
    from sheetsync.sync import open_source

    opened = open_source(spec, sheet_name, config, read_only=True)
    try:
        return opened.read(), opened.key
    finally:
        opened.close()


def _settings(
    config_path: str | None,
    credentials: str | None,
    today: str | None,
    source: str | None,
    sheet: str | None,
    command: str,
) -> tuple[Config, dt.date, list[tuple[str, str | None]]]:
    """The config (``--credentials`` over its own), today, and the sources to run; a usage
    or config error ends the command (exit 2) before any source is opened."""
    from dataclasses import replace

    try:
        config = load_config(config_path)
        if credentials:
            config = replace(config, credentials=credentials)
            config = replace(config, microsoft=replace(config.microsoft, credentials=credentials))
        return config, today_in(config, today), _targets(source, sheet, config, command)
    except SheetsyncError as ex:
        _fail(ex)


def _targets(
    source: str | None, sheet: str | None, config: Config, command: str
) -> list[tuple[str, str | None]]:
    if source:
        return [(source, sheet)]
    if config.sources:
        return [(e.source, sheet or e.sheet) for e in config.sources]
    raise UsageError(
        f"no SOURCE given and the config has no [[sources]]: run 'sheetsync {command} FILE.xlsx'"
    )


@main.command()
@click.argument("target", type=click.Path(dir_okay=False))
def init(target: str) -> None:
    """Write a new prospects workbook TARGET (.xlsx) from the template."""
    from sheetsync.template import write_starter_workbook

    path = Path(target)
    if path.suffix.lower() != ".xlsx":
        _fail(UsageError(f"{target}: init writes an .xlsx workbook; give a name ending in .xlsx"))
    if path.exists():
        _fail(UsageError(f"{target} already exists; choose another name"))
    write_starter_workbook(path)
    click.echo(f"wrote {target}: add prospects, then run 'sheetsync sync {target}'")


@main.command()
@click.option("--today", help="Build and sync the example as if today were YYYY-MM-DD.")
@click.option(
    "--output",
    default="sheetsync-demo.xlsx",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Where to write the example workbook.",
)
def demo(today: str | None, output: str) -> None:
    """Write an example workbook (dates relative to today) and sync it."""
    from sheetsync import report as reports
    from sheetsync.demo_data import write_demo_workbook
    from sheetsync.sync import open_source, sync_source

    _setup_logging(False, False, None)
    config = Config(backups=0)  # the example was just written: nothing to back up
    try:
        day = today_in(config, today)
        path = Path(output)
        write_demo_workbook(path, day)
        result = sync_source(open_source(str(path), None, config), config, day)
    except SheetsyncError as ex:
        _fail(ex)
        return
    click.echo(
        f"wrote {output} with {result.summary.prospects} example prospects "
        f"and synced it as of {day.isoformat()}:"
    )
    click.echo("\n".join(reports.summary_lines(result, output)))
    click.echo(f"open {output} and filter Flag for DUE and OVERDUE")


@main.command()
@_source_options
@click.option("--today", help="Forecast from YYYY-MM-DD instead of today.")
@click.option("--weeks", default=6, show_default=True, type=click.IntRange(1, 26))
@click.option("--by", type=click.Choice(["day", "week"]), default="day", show_default=True)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option(
    "--chart", type=click.Path(dir_okay=False), help="Also draw the forecast into FILE.png."
)
@_credentials_option
def forecast(
    source: str | None,
    sheet: str | None,
    config_path: str | None,
    today: str | None,
    weeks: int,
    by: str,
    output_format: str,
    chart: str | None,
    credentials: str | None,
) -> None:
    """Forecast each rep's touches per day or week beside their capacity (reads, never writes).

    Every touch is assumed to happen on its planned day without an answer, so follow-ups,
    cut bait and the card queue come round as the rules say. Without SOURCE: the config's
    one [[sources]] entry."""
    from sheetsync import forecast as forecasts

    _setup_logging(False, False, None)
    config, day, targets = _settings(config_path, credentials, today, source, sheet, "forecast")
    if len(targets) != 1:
        _fail(
            UsageError(
                f"the config has {len(targets)} [[sources]]: give the SOURCE to forecast "
                f"(one of {', '.join(spec for spec, _ in targets)})"
            )
        )
    [(spec, sheet_name)] = targets
    if chart and not chart.lower().endswith(".png"):
        _fail(UsageError(f"--chart {chart}: give a file name ending in .png"))
    if chart and not Path(chart).resolve().parent.is_dir():
        _fail(UsageError(f"--chart {chart}: its folder does not exist"))
    try:
        data, _ = _read(spec, sheet_name, config)
        frame = forecasts.by_period(forecasts.forecast(data, config, day, weeks), by)
    except SheetsyncError as ex:
        _fail(ex)
    except Exception as ex:  # a one-line reason and a non-zero exit, as for sync
        log.debug("unexpected error", exc_info=True)
        click.echo(f"sheetsync: error: {spec}: unexpected error: {ex!r}", err=True)
        sys.exit(1)
    if output_format == "csv":
        click.echo(frame.to_csv(index=False), nl=False)
    elif output_format == "json":
        when = frame.columns[1]  # day or week: dates as YYYY-MM-DD, not timestamps
        shown = frame.assign(**{when: [d.isoformat() for d in frame[when]]})
        click.echo(shown.to_json(orient="records"))
    else:
        click.echo(f"{spec}: touches planned per {by} from {day.isoformat()}, {weeks} weeks")
        click.echo(forecasts.show_table(frame))
    if chart:
        try:
            forecasts.write_chart(frame, chart, f"{Path(spec).name}: touches per {by}")
        except OSError as ex:
            _fail(UsageError(f"--chart {chart}: cannot write it ({ex.strerror})"))
        if output_format == "table":
            click.echo(f"chart written to {chart}")


@main.command()
@click.argument("client_secrets", required=False, type=click.Path(dir_okay=False, exists=True))
@click.option("--no-browser", is_flag=True, help="Print the sign-in URL instead of opening it.")
@click.option(
    "--microsoft",
    is_flag=True,
    help="Sign in to Microsoft 365 with a device code ([microsoft] tenant_id and client_id).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="TOML config holding [microsoft] (default: ./sheetsync.toml if present).",
)
def login(
    client_secrets: str | None, no_browser: bool, microsoft: bool, config_path: str | None
) -> None:
    """Sign in as yourself and cache the token for later syncs (a file readable by you alone).

    Google: CLIENT_SECRETS is the OAuth "Desktop app" JSON (spreadsheets scope only).
    Microsoft (--microsoft): a device code to enter in a browser; the app comes from
    [microsoft] tenant_id and client_id in the config, or from CLIENT_SECRETS as a JSON
    holding them."""
    if microsoft:
        _login_microsoft(client_secrets, config_path)
        return
    if client_secrets is None:
        _fail(UsageError("give the OAuth client JSON: sheetsync login CLIENT_SECRETS.json"))
        return
    from sheetsync.sources.gsheets import login as google_login

    try:
        path = google_login(client_secrets, open_browser=not no_browser)
    except SheetsyncError as ex:
        _fail(ex)
        return
    click.echo(f"signed in; token saved to {path}")


def _login_microsoft(app_file: str | None, config_path: str | None) -> None:
    from sheetsync.sources.msgraph.auth import load_app_ids
    from sheetsync.sources.msgraph.auth import login as microsoft_login

    try:
        settings = load_config(config_path).microsoft
        tenant_id, client_id = load_app_ids(app_file, settings)
        path, account = microsoft_login(tenant_id, client_id, show=click.echo)
    except SheetsyncError as ex:
        _fail(ex)
        return
    click.echo(f"signed in as {account or 'your Microsoft account'}; token saved to {path}")


if __name__ == "__main__":  # pragma: no cover
    main()
