"""The ``growthcast`` command line.

::

    growthcast forecast [--csv PATH] [--series S] [--model NAME|best] [--until 2030-12] [--level 0.8,0.95]
                        [--milestones 80,85,90] [--format table|csv|json] [--plot PATH.png] [--quiet]
    growthcast backtest [--csv PATH] [--series S] [--models a,b,c] [--horizons 1-6] [--min-train N]
                        [--origins 2008:2017] [--level 0.8,0.95] [--common] [--format table|csv|json]
                        [--plot PATH.png] [--quiet]
    growthcast data     [--validate PATH.csv --date COL --value COL --series-id COL] [--format ...]
    growthcast report   --out DIR [--csv PATH --date COL --value COL --id COL] [--series S]
                        [--model NAME|best] [--models a,b,c]
    growthcast models

A user's mistake prints one line to stderr and no traceback: exit code 2
for a usage error (an unknown option, model or series, a malformed value),
1 for data the package cannot use (:class:`growthcast.DataError`) or a file
that cannot be written.

The module imports the rest of the package, and numpy, pandas and scipy,
only in the commands that use them: ``--version`` and ``--help`` load none
of them.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from .errors import DataError
from .progress import silenced

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["main", "build_parser"]

PROG = "growthcast"
DEFAULT_UNTIL = "2030-12"
FORMATS = ("table", "csv", "json")
# Named here, for the help texts, so that --help and --version load no numpy (a test checks them against their
# sources): growthcast.report's DEFAULT_MODEL and CANDIDATE_MODELS, and the metrics of growthcast.metrics.METRICS.
DEFAULT_MODEL = "auto"
CANDIDATE_MODELS = ("logistic", "gompertz", "richards", "bass", "logit_linear", "holt_damped", "drift", "auto",
                    "saturating")
METRICS = ("MAE", "RMSE", "MAPE", "sMAPE", "MASE", "bias", "coverage", "winkler")


class UsageError(Exception):
    """A malformed command line: exit code 2 (the message is the whole line)."""


class OptionError(Exception):
    """A well-formed option naming something that does not exist: exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a mistake as one line instead of usage + exit."""

    def error(self, message: str):  # type: ignore[override]
        raise UsageError(f"{self.prog}: error: {message} (see '{self.prog} --help')")


# ---------------------------------------------------------------- argument types
def _until(text: str) -> pd.Timestamp:
    """``2030`` -> 2030-12-31, ``2030-12`` -> 2030-12-31 (end of the month), ``2030.5`` (a decimal
    year) -> 2030-07-02, or a date."""
    import pandas as pd

    text = text.strip()
    try:
        if re.fullmatch(r"\d{1,4}\.\d*", text):
            from .data import from_decimal_year

            when = from_decimal_year([float(text)])[0]
            if pd.isna(when):
                raise ValueError(text)
            return when.normalize()
        if re.fullmatch(r"\d{4}", text):
            return pd.Timestamp(f"{text}-12-31")
        if re.fullmatch(r"\d{4}-\d{1,2}", text):
            return pd.Period(text, freq="M").end_time.normalize()
        return pd.Timestamp(text).normalize()
    except (ValueError, TypeError):
        raise argparse.ArgumentTypeError(f"expected a date such as 2030-12 or 2030-12-31, got {text!r}") from None


def _level(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a probability such as 0.95, got {text!r}") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must be a probability in (0, 1) such as 0.95, got {text!r}")
    return value


def _levels(text: str) -> list[float]:
    """``0.95`` or ``0.8,0.95`` (the option may also be repeated)."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        raise argparse.ArgumentTypeError(f"expected probabilities such as 0.8,0.95, got {text!r}")
    return [_level(p) for p in parts]


def _level_value(levels: list[float] | None, default: float) -> float | list[float]:
    """The parsed ``--level`` options: one level as a number, several as a sorted list."""
    if not levels:
        return default
    distinct = sorted(set(levels))
    return distinct[0] if len(distinct) == 1 else distinct


def _level_text(level: float | list[float]) -> str:
    return " and ".join(f"{lv:.0%}" for lv in (level if isinstance(level, list) else [level]))


def _origins(text: str) -> tuple[str | None, str | None]:
    """``2008:2017``, ``2008-06-30:2017-12-31``, ``2008:`` or ``:2017``: the first and last origin."""
    if text.count(":") != 1:
        raise argparse.ArgumentTypeError(f"expected FIRST:LAST such as 2008:2017, got {text!r}")
    import pandas as pd

    first, last = (p.strip() or None for p in text.split(":"))
    for part in (first, last):
        if part is not None:
            try:
                float(part) if re.fullmatch(r"-?\d+(\.\d*)?", part) else pd.Period(part)
            except (ValueError, TypeError):
                raise argparse.ArgumentTypeError(f"expected dates or years such as 2008:2017, got {text!r}") from None
    return (_year_or_date(first), _year_or_date(last))


def _year_or_date(part: str | None) -> Any:
    """A decimal year such as ``2008.5`` as a number; ``2008`` and dates as text (the whole period)."""
    if part is not None and re.fullmatch(r"-?\d+\.\d*", part):
        return float(part)
    return part


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _horizons(text: str) -> list[int]:
    """``1-6``, ``1,2,4`` or ``3``."""
    out: list[int] = []
    try:
        for part in text.split(","):
            part = part.strip()
            if "-" in part:
                a, b = (int(x) for x in part.split("-", 1))
                if a > b:
                    raise ValueError
                out += range(a, b + 1)
            else:
                out.append(int(part))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected editions ahead such as 1-6 or 1,2,4, got {text!r}") from None
    if not out or min(out) < 1:
        raise argparse.ArgumentTypeError(f"horizons must be positive integers, got {text!r}")
    return sorted(set(out))


_PLOT_FORMATS = ("png", "svg", "pdf", "jpg", "jpeg", "webp", "tif", "tiff", "eps", "ps")


def _plot_path(text: str) -> Path:
    """A file to draw into: a name with an image suffix, not a directory."""
    path = Path(text)
    suffix = path.suffix.lower().lstrip(".")
    if not text.strip() or path.is_dir() or text.endswith(("/", os.sep)):
        raise argparse.ArgumentTypeError(f"expected a file name such as fan.png, got {text!r}")
    if suffix not in _PLOT_FORMATS:
        raise argparse.ArgumentTypeError(
            f"the file name must end in an image format ({', '.join('.' + f for f in _PLOT_FORMATS)}), got {text!r}")
    return path


def _out_dir(text: str) -> Path:
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a directory name, got ''")
    return Path(text)


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected model names separated by commas, got {text!r}")
    return list(dict.fromkeys(names))


def _numbers(text: str) -> list[float]:
    try:
        values = [float(v.replace("_", "")) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas such as 80,85,90, got {text!r}") from None
    if not values:
        raise argparse.ArgumentTypeError("expected at least one number")
    return values


# ---------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``growthcast`` command."""
    parser = _Parser(
        prog=PROG,
        description="Saturation-curve and trend forecasts of China's Internet adoption (CNNIC report editions).",
        epilog="Run 'growthcast COMMAND --help' for the options of a command.",
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    candidates = list(CANDIDATE_MODELS)

    def series_opt(p):
        p.add_argument("--series", default=None, metavar="NAME",
                       help="the series to model: a CNNIC column, penetration_pct (default), netizens_million, "
                            "mobile_netizens_million, ...; with --csv, series ids of the file, separated by commas "
                            "(default: all)")
        p.add_argument("--csv", type=Path, default=None, metavar="PATH",
                       help="your own file instead of the bundled CNNIC editions (long format: one row per point)")
        p.add_argument("--date", default="date", metavar="COL", help="with --csv: the date column (default 'date')")
        p.add_argument("--value", default="value", metavar="COL", help="with --csv: the value column (default 'value')")
        p.add_argument("--id", default=None, metavar="COL",
                       help="with --csv: the series column (default: series_id or unique_id if present)")
        percent_opt(p, "with --csv: ")

    def percent_opt(p, prefix):
        p.add_argument("--percent", nargs="?", const="", default=None, metavar="IDS",
                       help=f"{prefix}the series are percentages, validated to [0, 100] and forecast within it: "
                            "all of them, or the series ids given, separated by commas (default: a series whose "
                            "id, or the value column's name, ends in _pct)")

    def quiet_opt(p):
        p.add_argument("--quiet", "-q", action="store_true",
                       help="no progress bar (it appears on a terminal when the work takes over two seconds)")

    def format_opt(p, csv_help):
        p.add_argument("--format", choices=FORMATS, default="table", help=f"output format (default table); {csv_help}")

    p = sub.add_parser("forecast", help="project a series with intervals, its saturation level and milestones",
                       description="Fit a model to a series and print its projection with prediction intervals "
                                   "(one pair per --level): for the bundled CNNIC editions half-yearly, with the "
                                   "saturation level and the milestones; for your own file (--csv) every series on "
                                   "its own frequency.")
    series_opt(p)
    p.add_argument("--model", default=None, metavar="NAME|best",
                   help=f"a model from 'growthcast models' (default {DEFAULT_MODEL}), or 'best': "
                        "the lowest MASE in a backtest of --models")
    p.add_argument("--models", type=_names, default=candidates, metavar="A,B,C",
                   help=f"candidates for --model best (default {','.join(candidates)})")
    p.add_argument("--horizons", type=_horizons, default=list(range(1, 7)), metavar="1-6",
                   help="steps ahead scored by --model best (default 1-6)")
    p.add_argument("--min-train", type=_positive_int, default=10, metavar="N",
                   help="editions in the first training window of --model best (default 10)")
    p.add_argument("--until", type=_until, default=None, metavar="DATE",
                   help="the last month of the projection, e.g. 2030-12 (through its end; default 2030-12)")
    p.add_argument("--level", type=_levels, action="extend", default=None, metavar="P[,P...]",
                   help="coverage of the intervals, one or several: 0.8,0.95 or --level 0.8 --level 0.95 "
                        "(a lower/upper pair per level; default 0.95)")
    quiet_opt(p)
    p.add_argument("--milestones", type=_numbers, default=None, metavar="V1,V2,...",
                   help="levels to date (default 80,85,90 for a percentage; the next three round "
                        "levels above the last value for a count)")
    format_opt(p, "csv prints the projection only, json everything")
    p.add_argument("--plot", type=_plot_path, default=None, metavar="PATH.png",
                   help="also draw the fan chart there (the format from the suffix: .png, .svg, .pdf, ...)")

    p = sub.add_parser("backtest", help="score models on held-out data: leaderboard and per-horizon table",
                       description="Refit each model at every origin and score its forecasts of the later "
                                   "observations, 1, 2, ... steps ahead in the data's own frequency (report "
                                   "editions for the bundled CNNIC data).")
    series_opt(p)
    p.add_argument("--models", type=_names, default=candidates, metavar="A,B,C",
                   help=f"models to compare (default {','.join(candidates)})")
    p.add_argument("--horizons", type=_horizons, default=list(range(1, 7)), metavar="1-6",
                   help="steps ahead to score, e.g. 1-6 or 1,2,4 (default 1-6)")
    p.add_argument("--min-train", type=_positive_int, default=10, metavar="N",
                   help="observed points up to and including an origin, at least (default 10)")
    p.add_argument("--origins", type=_origins, default=None, metavar="FIRST:LAST",
                   help="only origins in this range, e.g. 2008:2017 (whole years) or 2008-06-30:2017-12-31; "
                        "either end may be left out")
    p.add_argument("--level", type=_levels, action="extend", default=None, metavar="P[,P...]",
                   help="coverage of the scored intervals, one or several: 0.8,0.95 (default 0.8)")
    quiet_opt(p)
    p.add_argument("--metric", default="MASE", choices=list(METRICS), help="the leaderboard's ranking metric (default MASE)")
    p.add_argument("--common", action="store_true",
                   help="score every model on the same forecasts: only the targets all of them forecast")
    format_opt(p, "csv prints the per-horizon scores, json both tables")
    p.add_argument("--plot", type=_plot_path, default=None, metavar="PATH.png",
                   help="also draw a figure there (the format from the suffix: .png, .svg, .pdf, ...)")
    p.add_argument("--plot-kind", choices=("errors", "origins", "saturation"), default="errors",
                   help="what --plot draws: error by horizon (default), forecasts from each origin, "
                        "or the saturation drift")

    p = sub.add_parser("data", help="print the bundled editions, or validate your own CSV file",
                       description="Print the bundled CNNIC editions, or check a CSV file of your own series.")
    p.add_argument("--validate", type=Path, default=None, metavar="PATH.csv", help="a CSV file to check")
    p.add_argument("--date", default="date", metavar="COL", help="its date column (default 'date')")
    p.add_argument("--value", default="value", metavar="COL", help="its value column (default 'value')")
    p.add_argument("--series-id", default=None, metavar="COL", help="its series column, for a long file")
    percent_opt(p, "with --validate: ")
    format_opt(p, "csv and json carry every column")

    p = sub.add_parser("report", help="write an HTML report with figures into a directory",
                       description="Write report.html (figures embedded, and saved beside it as PNG files).")
    p.add_argument("--out", type=_out_dir, required=True, metavar="DIR",
                   help="the directory to write into (created if needed); files are replaced, never written "
                        "through a symbolic link")
    series_opt(p)
    p.add_argument("--model", default=None, metavar="NAME|best", help="the model projected (default "
                   f"{DEFAULT_MODEL}; 'best': the backtest winner)")
    p.add_argument("--models", type=_names, default=candidates, metavar="A,B,C",
                   help="models fitted, drawn and backtested")
    p.add_argument("--until", type=_until, default=None, metavar="DATE",
                   help="the last month of the projection, e.g. 2030-12 (default: 2030-12 for the CNNIC editions, "
                        "10 steps of the data's frequency for --csv)")
    p.add_argument("--level", type=_level, default=0.95, help="coverage of the intervals (default 0.95)")
    p.add_argument("--milestones", type=_numbers, default=None, metavar="V1,V2,...",
                   help="levels to date (default 80,85,90 for a percentage; the next three round "
                        "levels above the last value otherwise)")
    p.add_argument("--horizons", type=_horizons, default=list(range(1, 7)), metavar="1-6",
                   help="steps ahead scored by the backtest (default 1-6)")
    p.add_argument("--min-train", type=_positive_int, default=10, metavar="N",
                   help="observations in the backtest's first training window (default 10)")
    quiet_opt(p)

    sub.add_parser("models", help="list the models", description="List every model reachable by name.")
    return parser


# ---------------------------------------------------------------- helpers
def _load() -> pd.DataFrame:
    from .data import load_cnnic

    try:
        return load_cnnic()
    except FileNotFoundError as err:
        raise DataError(str(err)) from None


def _check_series(df: pd.DataFrame, series: str) -> None:
    import pandas as pd

    known = [c for c in df.columns if c not in ("edition", "as_of", "released", "note", "implied_population_million",
                                                 "official_population_million")
             and pd.api.types.is_numeric_dtype(df[c])]
    if series not in known:
        raise OptionError(f"--series: unknown series {series!r}; choose one of {', '.join(known)}")


def _check_models(names: Sequence[str], option: str, allow_best: bool = False, backtest: bool = False) -> None:
    """Unknown names are a usage error; ``ensemble_weighted`` exists in backtests only."""
    from .models import model_names

    known = list(model_names())
    if backtest or any(n not in known for n in names):  # the backtest machinery only where it is needed
        from .backtest import WEIGHTED

        known += [WEIGHTED] if backtest else []
    bad = [n for n in names if n not in known and not (allow_best and n == "best")]
    if bad:
        extra = " or 'best'" if allow_best else ""
        if WEIGHTED in bad and not backtest:
            extra += f" ({WEIGHTED} exists in backtests only)"
        raise OptionError(f"{option}: unknown model(s) {', '.join(map(repr, bad))}; "
                         f"choose from {', '.join(known)}{extra}")


def _encodable(text: str, stream: Any) -> str:
    """``text`` as ``stream`` can write it: characters its encoding lacks become escapes."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return text.encode(encoding, errors="backslashreplace").decode(encoding)
    except LookupError:
        pass
    return text


def _emit(text: str) -> None:
    sys.stdout.write(_encodable(text if text.endswith("\n") else text + "\n", sys.stdout))


def _check_until(df: pd.DataFrame, series: str, until: pd.Timestamp) -> None:
    """``--until`` must leave at least one half-year (30 June, 31 December) to project."""
    from .data import from_decimal_year, half_year_grid, to_decimal_year

    last = df.loc[df[series].notna(), "as_of"].max()
    t_last, t_until = to_decimal_year([last, until])
    if t_until <= t_last:
        raise DataError(f"--until must be after the last observation ({last:%Y-%m-%d}), got {until:%Y-%m-%d}")
    if half_year_grid(float(t_last), float(t_until)).size == 0:
        first = half_year_grid(float(t_last), float(t_last) + 1.0)[0]
        raise DataError(f"--until {until:%Y-%m-%d} is after the last observation ({last:%Y-%m-%d}) but before "
                        f"the first projected date, {from_decimal_year([first]).round('D')[0]:%Y-%m-%d}: "
                        "projections are made for 30 June and 31 December")


def _frame_text(frame: pd.DataFrame, digits: int = 3) -> str:
    from .report import shown_columns

    return shown_columns(frame).to_string(index=False, na_rep="", float_format=lambda v: f"{v:,.{digits}f}")


def _json(obj: Any) -> str:
    """JSON text; non-ASCII characters stay readable unless stdout cannot encode them."""
    text = json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False)
    if _encodable(text, sys.stdout) != text:
        text = json.dumps(obj, indent=2, ensure_ascii=True, allow_nan=False)
    return text


# ---------------------------------------------------------------- commands
def _read_user_csv(path: Path, date: str, value: str, series_id: str | None, percent: str | None) -> pd.DataFrame:
    """The validated long frame of a CSV file, with the series ``--percent`` names as percentages."""
    import pandas as pd

    from .data import read_csv

    # with ids, exactly those are percentages: this first read only finds the file's ids, so no default flag
    long = read_csv(path, date=date, value=value, series_id=series_id,
                    percent=True if percent == "" else False if percent else None)
    if percent:  # ids as typed: matched to the file's ids by their text (an id may be an integer)
        # every series, those whose every value is missing too (they have no rows)
        by_text = {str(i): i for i in long.attrs.get("percent") or pd.unique(long["series_id"])}
        wanted = [percent] if percent in by_text else [s.strip() for s in percent.split(",")]
        absent = [s for s in wanted if s not in by_text]
        if absent:
            raise OptionError(f"--percent: no series {', '.join(map(repr, absent))} in {path}; it has "
                              f"{', '.join(list(by_text)[:8])}{', ...' if len(by_text) > 8 else ''}")
        # read again, so that the missing values dropped are counted as without --percent
        long = read_csv(path, date=date, value=value, series_id=series_id, percent=[by_text[s] for s in wanted])
    return long


def _user_frame(args: argparse.Namespace) -> pd.DataFrame:
    """The validated long frame of ``--csv``, restricted to ``--series`` if given."""
    import pandas as pd

    long = _read_user_csv(args.csv, args.date, args.value, args.id, args.percent)
    if args.series is not None:
        ids = pd.unique(long["series_id"])
        known = set(map(str, ids))
        # one id, or several separated by commas (an id that itself holds a comma, "Korea, Rep.", is taken whole)
        wanted = [args.series] if args.series in known else [s.strip() for s in args.series.split(",")]
        absent = [s for s in wanted if s not in known]
        if absent:
            raise OptionError(f"--series: no series {', '.join(map(repr, absent))} in {args.csv}; it has "
                              f"{', '.join(map(str, ids[:8]))}{', ...' if len(ids) > 8 else ''}")
        attrs = long.attrs
        long = long[long["series_id"].astype(str).isin(wanted)]
        # only these series' flags and missing counts: another series' would bring it back as one without rows
        long.attrs = {k: {i: v for i, v in d.items() if str(i) in wanted} for k, d in attrs.items()}
    return long


def _forecast_csv(args: argparse.Namespace, model: str) -> int:
    """``forecast --csv``: every series of the file (or ``--series``), on each series' own frequency."""
    from .fitting import fit_many
    from .report import records

    if model == "best":
        raise OptionError("--model best works on the bundled CNNIC data; with --csv name a model, e.g. --model auto")
    many = fit_many(model, _user_frame(args))
    frame = many.forecast(until=args.until if args.until_given else None, level=args.level)
    status = many.status
    failed = status[status["status"] < 0]
    if args.format == "json":
        _emit(_json({"model": model, "level": args.level, "forecast": records(frame), "status": records(
            status.reset_index())}))
    elif args.format == "csv":
        _emit(frame.to_csv(index=False, date_format="%Y-%m-%d"))
    else:
        shown = frame[frame["status"] >= 0]  # a failed series has no forecast: its reason is listed below
        table = _frame_text(shown.drop(columns=['status']).assign(t=shown['t'].map(lambda v: f'{v:.6g}'))) \
            if len(shown) else "(no series could be forecast)"
        _emit(f"{args.csv}: {model} model, {_level_text(args.level)} prediction intervals, {len(many)} series\n\n"
              f"{table}"
              + ("" if failed.empty else "\n\nNot forecast:\n" + "\n".join(
                  f"  {sid}: {msg}" for sid, msg in zip(failed.index, failed["message"]))))
    return 1 if len(failed) == len(many) else 0


def _cmd_forecast(args: argparse.Namespace) -> int:
    from .report import choose_model, format_projection, project

    model = args.model or DEFAULT_MODEL
    _check_models([model], "--model", allow_best=True)
    if model == "best":
        _check_models(args.models, "--models")
    args.level = _level_value(args.level, 0.95)
    args.until_given = args.until is not None
    if args.csv is not None:
        return _forecast_csv(args, model)
    args.until = args.until if args.until_given else _until(DEFAULT_UNTIL)
    args.series = args.series or "penetration_pct"
    df = _load()
    _check_series(df, args.series)
    _check_until(df, args.series, args.until)
    selection = None
    if model == "best":
        selection = choose_model(df, args.series, args.models, min_train=args.min_train, horizons=args.horizons)
        model = selection.model
    proj = project(df, args.series, model, until=args.until, level=args.level,
                   milestone_values=args.milestones, selection=selection)
    if args.plot is not None:
        from .plot import fan_chart
        from .report import series_label

        fan_chart(proj.result, until=args.until, ylabel=series_label(args.series),
                  title=f"{series_label(args.series)}: {model} forecast", path=args.plot)
    if args.format == "json":
        _emit(_json(proj.to_dict()))
    elif args.format == "csv":
        bounds = [c for lo, hi, _ in proj.bounds() for c in (lo, hi)]
        several = isinstance(args.level, list)
        frame = proj.forecast.assign(series=args.series, model=model, **({} if several else {"level": args.level}))
        _emit(frame[["series", "model", "date", "t", "mean", *bounds, *([] if several else ["level"])]].to_csv(
            index=False, date_format="%Y-%m-%d"))
    else:
        _emit(format_projection(proj))
    if args.plot is not None:
        sys.stderr.write(_encodable(f"fan chart written to {args.plot}\n", sys.stderr))
    return 0


_SCORE_NOTES = (
    "MASE: the absolute error over the mean absolute one-step change in the origin's training window;\n"
    "  bias: mean actual - forecast; coverage: share of actuals inside the intervals;\n"
    "  winkler: interval width plus 2 / (1 - level) times any miss, lower is better; n: forecasts scored;\n"
    "  failed: forecasts missing because the fit failed; ceiling_held: share of origins whose estimated\n"
    "  ceiling (upper bound) no later observation passed.")


def _cmd_backtest(args: argparse.Namespace) -> int:
    _check_models(args.models, "--models", backtest=True)
    import pandas as pd

    from .backtest import backtest
    from .report import failure_summary, records

    args.level = _level_value(args.level, 0.8)
    options = dict(models=args.models, min_train=args.min_train, horizons=args.horizons, level=args.level,
                   origins=args.origins)
    if args.csv is not None:
        bt = backtest(_user_frame(args), **options)
        args.series = args.series or str(args.csv)
        for sid, reason in zip(bt.skipped["series_id"], bt.skipped["reason"]):
            print(f"left out of the backtest as too short: {sid} ({reason})", file=sys.stderr)
    else:
        args.series = args.series or "penetration_pct"
        df = _load()
        _check_series(df, args.series)
        bt = backtest(df, series=args.series, **options)
    board = pd.concat([bt.leaderboard(metric=args.metric, level=lv, common=args.common) for lv in bt.levels],
                      ignore_index=True)
    scores = bt.scores(by="horizon", common=args.common)
    if args.plot is not None:
        from . import plot

        if args.plot_kind == "errors":
            plot.backtest_errors(bt, metric="MAE" if "MAE" in scores.columns else args.metric, path=args.plot)
        elif args.plot_kind == "origins":
            plot.origin_forecasts(bt, path=args.plot)
        else:
            plot.saturation_drift(bt, path=args.plot)
    if args.format == "json":
        _emit(_json({"series": args.series, "models": args.models, "horizons": args.horizons, "unit": bt.unit,
                     "min_train": args.min_train, "origins": None if args.origins is None else list(args.origins),
                     "level": args.level, "metric": args.metric,
                     "leaderboard": records(board), "scores": records(scores), "skipped": records(bt.skipped),
                     "failures": records(failure_summary(bt))}))
    elif args.format == "csv":
        _emit(scores.to_csv(index=False))
    else:
        hs = args.horizons
        span = f"{hs[0]}-{hs[-1]}" if hs == list(range(hs[0], hs[-1] + 1)) else ",".join(map(str, hs))
        first, last = (args.origins or (None, None))
        within = "" if args.origins is None else (f", from {first}" if first is not None else "") + (
            f", up to {last}" if last is not None else "")
        _emit(f"Backtest of {args.series}: {len(args.models)} model(s), horizons {span} {bt.unit} ahead, "
              f"origins from the {args.min_train}th observed point on{within}, {_level_text(args.level)} "
              f"intervals\n\n"
              f"Leaderboard (ranked by {args.metric}, lower is better)\n{_frame_text(board)}\n\n"
              f"{_failure_text(bt)}Scores by horizon\n{_frame_text(scores)}\n\n{_SCORE_NOTES}")
    if args.plot is not None:
        sys.stderr.write(_encodable(f"figure written to {args.plot}\n", sys.stderr))
    return 0


def _failure_text(bt) -> str:
    """The failed fits' lines for the backtest table, or "" when none failed."""
    from .report import failure_summary

    summary = failure_summary(bt)
    if summary.empty:
        return ""
    lines = [f"  {sid} {model}: {n} fit(s) failed; the latest: {message}"
             for sid, model, n, message in zip(summary["series_id"], summary["model"], summary["fits"],
                                                summary["message"])]
    return "Failed fits (their forecasts are left out; every one is in Backtest.failures)\n" + "\n".join(lines) + "\n\n"


def _cmd_data(args: argparse.Namespace) -> int:
    import pandas as pd

    from .report import records

    if args.validate is None:
        df = _load()
        if args.format == "csv":
            _emit(df.to_csv(index=False, date_format="%Y-%m-%d"))
        elif args.format == "json":
            _emit(_json(records(df.assign(as_of=df["as_of"].dt.strftime("%Y-%m-%d"),
                                           released=pd.to_datetime(df["released"]).dt.strftime("%Y-%m-%d")))))
        else:
            cols = [c for c in df.columns if c not in ("released", "note")]
            shown = df[cols].assign(as_of=df["as_of"].dt.strftime("%Y-%m-%d"))
            _emit(f"CNNIC report editions ({len(df)}): blank = not reported\n"
                  + shown.to_string(index=False, na_rep="", float_format=lambda v: f"{v:g}"))
        return 0
    long = _read_user_csv(args.validate, args.date, args.value, args.series_id, args.percent)
    percent = long.attrs.get("percent", {})
    missing = long.attrs.get("n_missing", {})
    rows = []
    groups = dict(list(long.groupby("series_id", sort=False)))
    for sid in dict.fromkeys([*percent, *groups]):  # a series whose every value is missing has no rows, yet counts
        grp = groups.get(sid)
        if grp is None:
            rows.append({"series_id": sid, "points": 0, "first": "-", "last": "-", "last_value": float("nan"),
                         "missing_dropped": int(missing.get(sid, 0)), "percent": bool(percent.get(sid, False))})
            continue
        dated = grp["date"].notna().all()
        rows.append({
            "series_id": sid, "points": len(grp),
            "first": grp["date"].iloc[0].strftime("%Y-%m-%d") if dated else f"{grp['t'].iloc[0]:g}",
            "last": grp["date"].iloc[-1].strftime("%Y-%m-%d") if dated else f"{grp['t'].iloc[-1]:g}",
            "last_value": float(grp["value"].iloc[-1]), "missing_dropped": int(missing.get(sid, 0)),
            "percent": bool(percent.get(sid, False)),
        })
    summary = pd.DataFrame(rows)
    if args.format == "json":
        _emit(_json({"file": str(args.validate), "valid": True, "series": records(summary)}))
    elif args.format == "csv":
        _emit(summary.to_csv(index=False))
    else:
        _emit(f"{args.validate}: valid, {len(summary)} series, {len(long)} points\n"
              + summary.to_string(index=False, float_format=lambda v: f"{v:,.4g}"))
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from .report import write_report

    model = args.model or DEFAULT_MODEL
    _check_models([model], "--model", allow_best=True)
    _check_models(args.models, "--models", backtest=True)
    if args.csv is not None:  # every series of the file (or --series), each on its own frequency
        df, series, until = _user_frame(args), None, args.until
    else:
        series = args.series or "penetration_pct"
        df, until = _load(), args.until if args.until is not None else _until(DEFAULT_UNTIL)
        _check_series(df, series)
        _check_until(df, series, until)
    path = write_report(args.out, df, series, model, models=args.models, until=until, level=args.level,
                        milestone_values=args.milestones, min_train=args.min_train, horizons=args.horizons)
    _emit(f"report written to {path}")
    return 0


def _cmd_models(args: argparse.Namespace) -> int:
    from .models import available_models

    table = available_models()
    width = max(len(n) for n in table["name"]) + 2
    lines = [f"{name:<{width}}{desc}" for name, desc in zip(table["name"], table["description"])]
    _emit(f"Models (default: {DEFAULT_MODEL}; 'best' in forecast and report: the backtest winner)\n"
          + "\n".join(lines))
    return 0


_COMMANDS = {
    "forecast": _cmd_forecast,
    "backtest": _cmd_backtest,
    "data": _cmd_data,
    "report": _cmd_report,
    "models": _cmd_models,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    0 on success, 2 for a usage error, 1 for a data error (or a file that
    cannot be read or written, or matplotlib missing for a plot). Errors
    are one line on stderr. The warning filters are left alone (they are
    process-wide): the commands emit no warnings.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and argv[0] in _COMMANDS else None
    prog = f"{PROG} {command}" if command else PROG
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as done:  # --help and --version
            return int(done.code or 0)
        own_file = getattr(args, "validate" if args.command == "data" else "csv", None)
        if getattr(args, "percent", None) is not None and own_file is None:
            raise OptionError("--percent applies to your own file (--csv, or data --validate); the CNNIC series "
                              "say which are percentages")
        with silenced(getattr(args, "quiet", False)):
            return _COMMANDS[args.command](args)
    except UsageError as err:
        return _fail(str(err), 2)
    except OptionError as err:
        return _fail(f"{prog}: error: {err} (see '{prog} --help')", 2)
    except (DataError, ImportError) as err:  # ImportError: matplotlib missing for a figure
        return _fail(f"{prog}: error: {err}", 1)
    except BrokenPipeError:  # e.g. `growthcast data | head`
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError, io.UnsupportedOperation):
            pass
        return 0
    except OSError as err:  # a file that cannot be read or written
        where = f": {err.filename}" if getattr(err, "filename", None) else ""
        return _fail(f"{prog}: error: {err.strerror or err}{where}", 1)


def _fail(message: str, code: int) -> int:
    """Write a one-line error to stderr and return the exit code."""
    sys.stderr.write(_encodable(" ".join(message.split()) + "\n", sys.stderr))
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
