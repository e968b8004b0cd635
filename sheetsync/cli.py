"""The command line: parses arguments, calls the library, turns its errors into exit codes.

Exit codes: 0 success (rows flagged CHECK included), 2 usage, config or sheet-layout error,
3 another sync of the same source is running, 1 anything else.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from sheetsync import __version__
from sheetsync.config import Config, load_config, today_in
from sheetsync.errors import SheetsyncError, UsageError

log = logging.getLogger("sheetsync")


def _setup_logging(verbose: bool, quiet: bool, log_file: str | None) -> None:
    level = logging.DEBUG if verbose else logging.ERROR if quiet else logging.WARNING
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )


def _fail(error: SheetsyncError) -> None:
    click.echo(f"sheetsync: error: {error}", err=True)
    sys.exit(error.exit_code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sheetsync")
def main() -> None:
    """Keep a prospect spreadsheet honest: who to contact next, how, and why."""


@main.command()
@click.argument("source", required=False)
@click.option("--sheet", help="Worksheet name (default: 'Prospects', else the first).")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="TOML config (default: ./sheetsync.toml if present, else built-in defaults).",
)
@click.option("--today", help="Decide as if today were YYYY-MM-DD.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
@click.option(
    "--credentials",
    type=click.Path(dir_okay=False),
    help="Google service-account key or OAuth token file.",
)
@click.option("--quiet", "-q", is_flag=True, help="Only errors on stderr.")
@click.option("--verbose", "-v", is_flag=True, help="Debug log lines on stderr.")
@click.option("--log-file", type=click.Path(dir_okay=False), help="Also append log lines here.")
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
) -> None:
    """Sync SOURCE (an .xlsx/.xlsm path, a Google Sheets URL or gsheet:KEY), or every
    [[sources]] entry of the config."""
    from dataclasses import replace

    from sheetsync import report as reports
    from sheetsync.sync import open_source, sync_source

    _setup_logging(verbose, quiet, log_file)
    try:
        config = load_config(config_path)
        if credentials:
            config = replace(config, credentials=credentials)
        day = today_in(config, today)
        if source:
            targets = [(source, sheet)]
        elif config.sources:
            targets = [(e.source, sheet or e.sheet) for e in config.sources]
        else:
            raise UsageError(
                "no SOURCE given and the config has no [[sources]]: run 'sheetsync sync FILE.xlsx'"
            )
    except SheetsyncError as ex:
        _fail(ex)
        return

    done, errors, exit_code = [], [], 0
    for spec, sheet_name in targets:
        try:
            result = sync_source(open_source(spec, sheet_name, config), config, day, dry_run)
        except SheetsyncError as ex:
            errors.append({"source": spec, "error": str(ex)})
            exit_code = exit_code or ex.exit_code
            if not as_json:
                click.echo(f"sheetsync: error: {spec}: {ex}", err=True)
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
        if not as_json and not quiet:
            if sys.stdout.isatty():
                reports.print_table(result, spec)
            else:
                click.echo("\n".join(reports.summary_lines(result, spec)))
            if dry_run:
                click.echo("\n".join(reports.diff_lines(result)))
    if as_json:
        click.echo(reports.to_json(done, errors))
    sys.exit(exit_code)


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
@click.argument("source", required=False)
@click.option("--sheet", help="Worksheet name (default: 'Prospects', else the first).")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="TOML config (default: ./sheetsync.toml if present, else built-in defaults).",
)
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
def forecast(
    source: str | None,
    sheet: str | None,
    config_path: str | None,
    today: str | None,
    weeks: int,
    by: str,
    output_format: str,
    chart: str | None,
) -> None:
    """Forecast each rep's touches per day or week beside their capacity (reads, never writes).

    Every touch is assumed to happen on its planned day without an answer, so follow-ups,
    cut bait and the card queue come round as the rules say."""
    from sheetsync import forecast as forecasts
    from sheetsync.sync import open_source

    _setup_logging(False, False, None)
    try:
        config = load_config(config_path)
        day = today_in(config, today)
        if not source:
            if len(config.sources) != 1:
                raise UsageError("give the SOURCE to forecast (an .xlsx path or a Google Sheet)")
            source, sheet = config.sources[0].source, sheet or config.sources[0].sheet
        if chart and not chart.lower().endswith(".png"):
            raise UsageError(f"--chart {chart}: give a file name ending in .png")
        if chart and not Path(chart).resolve().parent.is_dir():
            raise UsageError(f"--chart {chart}: its folder does not exist")
        opened = open_source(source, sheet, config)
        try:
            data = opened.read()
        finally:
            opened.close()
        frame = forecasts.by_period(forecasts.forecast(data, config, day, weeks), by)
    except SheetsyncError as ex:
        _fail(ex)
        return
    except Exception as ex:  # a one-line reason and a non-zero exit, as for sync
        log.debug("unexpected error", exc_info=True)
        click.echo(f"sheetsync: error: {source}: unexpected error: {ex!r}", err=True)
        sys.exit(1)
    if output_format == "csv":
        click.echo(frame.to_csv(index=False), nl=False)
    elif output_format == "json":
        click.echo(frame.to_json(orient="records", date_format="iso"))
    else:
        click.echo(f"{source}: touches planned per {by} from {day.isoformat()}, {weeks} weeks")
        click.echo(forecasts.show_table(frame))
    if chart:
        try:
            forecasts.write_chart(frame, chart, f"{Path(source).name}: touches per {by}")
        except OSError as ex:
            _fail(UsageError(f"--chart {chart}: cannot write it ({ex.strerror})"))
        if output_format == "table":
            click.echo(f"chart written to {chart}")


@main.command()
@click.argument("client_secrets", type=click.Path(dir_okay=False, exists=True))
@click.option("--no-browser", is_flag=True, help="Print the sign-in URL instead of opening it.")
def login(client_secrets: str, no_browser: bool) -> None:
    """Sign in to Google as yourself (OAuth "Desktop app" CLIENT_SECRETS JSON) and cache the
    token for later syncs (spreadsheets scope only, file readable by you alone)."""
    from sheetsync.sources.gsheets import login as google_login

    try:
        path = google_login(client_secrets, open_browser=not no_browser)
    except SheetsyncError as ex:
        _fail(ex)
        return
    click.echo(f"signed in; token saved to {path}")


if __name__ == "__main__":  # pragma: no cover
    main()
