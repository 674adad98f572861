"""The bundled CNNIC tables, the time axis and the validating loaders (issue 2).

Every expected figure below is typed in from the seed articles in
``../shared/seeds/`` (quoted beside it), never read from the CSV files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import growthcast as gc
from growthcast.data import from_decimal_year, to_decimal_year


@pytest.fixture(scope="module")
def editions():
    return gc.load_cnnic().set_index("edition")


@pytest.fixture(scope="module")
def apps():
    return gc.load_cnnic_applications().set_index(["edition", "application"])


# ----------------------------------------------------------------- the edition table
# (edition, netizens in millions, penetration in percent) as the articles state them
SEED_NETIZENS = [
    (46, 940.0, 67.0),  # "as of June 2020, the number of netizens in China reached 940 million ... 67.0%"
    (53, 1092.0, 77.5),  # "as of December 2023 ... reached 1.092 billion ... penetration rate reached 77.5%"
    (42, 802.0, None),  # "there are now 802 million Internet users in China" (semi-annual report, mid 2018)
]


@pytest.mark.parametrize("edition, netizens, penetration", SEED_NETIZENS)
def test_seed_netizens_and_penetration(editions, edition, netizens, penetration):
    assert editions.loc[edition, "netizens_million"] == netizens
    if penetration is not None:
        assert editions.loc[edition, "penetration_pct"] == penetration


def test_seed_changes_between_editions(editions):
    e = editions
    # 46th: "an increase of 36.25 million compared with March 2020" (the 45th edition)
    assert e.loc[46, "netizens_million"] - e.loc[45, "netizens_million"] == pytest.approx(36.25, abs=0.5)
    # 46th: "67.0%, an increase of 2.5 percentage points compared with March 2020"
    assert e.loc[46, "penetration_pct"] - e.loc[45, "penetration_pct"] == pytest.approx(2.5, abs=1e-9)
    # 53rd: "1.092 billion, an increase of 24.8 million compared with December 2022" (the 51st)
    assert e.loc[53, "netizens_million"] - e.loc[51, "netizens_million"] == pytest.approx(24.8, abs=0.5)
    # 42nd: "China added 29.68 million internet users in the first half of 2018" (since the 41st)
    assert e.loc[42, "netizens_million"] - e.loc[41, "netizens_million"] == pytest.approx(29.68, abs=0.5)


def test_seed_rural_and_urban_figures(editions):
    e = editions
    # 53rd: "The number of rural netizens reached 326 million, an increase of 17.88 million"
    assert e.loc[53, "rural_netizens_million"] == 326.0
    # 46th: "the Internet penetration rate in rural areas was 52.3% ... 6.1 percentage points higher than March 2020"
    assert e.loc[46, "rural_penetration_pct"] == 52.3
    # 46th: "The difference in Internet penetration rate between urban and rural areas is 24.1%"
    assert e.loc[46, "urban_penetration_pct"] - e.loc[46, "rural_penetration_pct"] == pytest.approx(24.1, abs=1e-9)
    # 53rd: "the difference ... between urban and rural areas was 16.8%, ... 4.4 percentage points lower
    # than that in December 2022" (the 51st)
    gap51 = e.loc[51, "urban_penetration_pct"] - e.loc[51, "rural_penetration_pct"]
    assert gap51 == pytest.approx(16.8 + 4.4, abs=1e-9)
    if np.isnan(e.loc[53, "urban_penetration_pct"]):  # the gap is printed, the urban rate is not: kept in the note
        assert "16.8" in e.loc[53, "note"]
    else:
        assert e.loc[53, "urban_penetration_pct"] - e.loc[53, "rural_penetration_pct"] == pytest.approx(16.8, abs=1e-9)
    rural_change = e.loc[53, "rural_netizens_million"] - e.loc[51, "rural_netizens_million"]
    assert rural_change == pytest.approx(17.88, abs=0.5)


@pytest.mark.parametrize(
    "column, later, earlier, change",
    [
        # 46th: rural penetration "52.3% ... 6.1 percentage points higher than that in March 2020"
        ("rural_penetration_pct", 46, 45, 6.1),
    ],
)
def test_seed_changes_where_both_editions_are_given(editions, column, later, earlier, change):
    a, b = editions.loc[later, column], editions.loc[earlier, column]
    if np.isnan(a) or np.isnan(b):
        pytest.skip(f"{column}: edition {earlier} is blank (the article gives only the change)")
    assert a - b == pytest.approx(change, abs=1e-9)


def test_every_edition_sorted_with_dates(editions):
    df = gc.load_cnnic()
    assert len(df) == 57
    assert df["edition"].tolist() == list(range(1, 58))
    assert pd.api.types.is_datetime64_any_dtype(df["as_of"])
    assert df["as_of"].is_monotonic_increasing and df["as_of"].notna().all()
    assert editions.loc[1, "as_of"].to_period("M") == pd.Period("1997-10", "M")
    assert editions.loc[45, "as_of"] == pd.Timestamp("2020-03-31")
    assert editions.loc[46, "as_of"] == pd.Timestamp("2020-06-30")
    assert editions.loc[53, "as_of"] == pd.Timestamp("2023-12-31")
    assert editions.loc[42, "as_of"] == pd.Timestamp("2018-06-30")
    assert editions.loc[56, "as_of"] == pd.Timestamp("2025-06-30")
    assert editions.loc[57, "as_of"] == pd.Timestamp("2025-12-31")
    expected = {"edition", "as_of", "released", "netizens_million", "penetration_pct", "mobile_netizens_million",
                "rural_netizens_million", "urban_penetration_pct", "rural_penetration_pct", "note"}
    assert expected <= set(df.columns)


def test_population_cross_check(editions):
    both = editions.dropna(subset=["netizens_million", "penetration_pct"])
    assert len(both) >= 40
    population = both["netizens_million"] / (both["penetration_pct"] / 100) / 1000  # billions
    bad = population[(population < 1.2) | (population > 1.45)]
    assert bad.empty, bad.round(3).to_dict()


def test_figures_are_plausible(editions):
    e = editions
    assert (e["netizens_million"].dropna() > 0).all()
    pct = e[["penetration_pct", "urban_penetration_pct", "rural_penetration_pct"]].stack().dropna()
    assert ((pct > 0) & (pct <= 100)).all()
    both = e.dropna(subset=["netizens_million", "mobile_netizens_million"])
    assert (both["mobile_netizens_million"] <= both["netizens_million"]).all()
    # netizens grew from edition 10 on (early editions used other definitions)
    later = e.loc[10:, "netizens_million"].dropna()
    assert (later.diff().dropna() > 0).all()


# ----------------------------------------------------------------- the application table
# (edition, application, users in millions or None, share of netizens in percent or None)
SEED_APPLICATIONS = [
    # 46th edition, as of June 2020
    (46, "online_education", 381.0, 40.5),  # "online education users reached 381 million, accounting for 40.5%"
    (46, "online_medical", 276.0, 29.4),  # "online medical users reached 276 million, accounting for 29.4%"
    (46, "telecommuting", 199.0, 21.2),  # "telecommuting users reached 199 million, accounting for 21.2%"
    (46, "ecommerce_live", 309.0, None),  # "users of e-commerce live broadcast had reached 309 million"
    (46, "online_shopping", 749.0, 79.7),  # "online retail users reached 749 million, accounting for 79.7%"
    (46, "online_video", 888.0, 94.5),  # "online video (including short video) ... 888 million, ... 94.5%"
    (46, "online_news", 725.0, 77.1),  # "online news is 725 million, accounting for 77.1%"
    (46, "online_payment", 805.0, 85.7),  # "online payment users ... 805 million ... 85.7%"
    (46, "instant_messaging", 931.0, None),  # "Instant messaging ... with a user scale of 931 million"
    (46, "online_takeout", 409.0, 43.5),  # "online take-out ... 409 million ... 43.5%"
    (46, "ride_hailing", 340.0, 36.2),  # "online car rental ... 340 million ... 36.2%"
    (46, "online_government", 773.0, 82.2),  # "online government service users ... 773 million, ... 82.2%"
    # 53rd edition, as of December 2023
    (53, "online_travel_booking", 509.0, None),  # "online travel booking users reached 509 million"
    (53, "online_video", 1067.0, None),  # "online video users in China reached 1.067 billion"
    (53, "online_government", 973.0, None),  # "online government service users has reached 973 million"
    # 42nd edition, as of June 2018
    (42, "short_video", None, 74.1),  # "The number of people who watch short videos reached 74.1%"
    (42, "ride_hailing", None, 43.2),  # "Ride-hailing users reached 43.2%"
    (42, "bike_sharing", None, 30.6),  # "bike rental users climbed to 30.6% of the total number of internet users"
]


@pytest.mark.parametrize("edition, application, users, share", SEED_APPLICATIONS)
def test_seed_application_figures(apps, edition, application, users, share):
    assert (edition, application) in apps.index, (edition, application)
    row = apps.loc[(edition, application)]
    if users is not None:
        assert row["users_million"] == users
    if share is not None:
        assert row["share_of_netizens_pct"] == share


def _users(apps, edition, application):
    key = (edition, application)
    return apps.loc[key, "users_million"] if key in apps.index else np.nan


@pytest.mark.parametrize(
    "application, later, earlier, change",
    [
        ("ecommerce_live", 46, 45, 44.3),  # "an increase of 44.3 million compared with that in March 2020"
        ("instant_messaging", 46, 45, 34.66),  # "an increase of 34.66 million compared with March 2020"
        ("online_travel_booking", 53, 51, 86.29),  # "an increase of 86.29 million compared with December 2022"
        ("online_video", 53, 51, 36.13),  # "an increase of 36.13 million compared with December 2022"
        ("online_government", 53, 51, 47.0),  # "an increase of over 47 million"
        ("ride_hailing", 53, 51, 90.57),  # "online car users ... increase of 90.57 million"
        ("online_medical", 53, 51, 51.39),  # "Internet medical users ... increase of ... 51.39 million"
    ],
)
def test_seed_application_changes(apps, application, later, earlier, change):
    """Where the table has both editions, their difference is the stated change."""
    a, b = _users(apps, later, application), _users(apps, earlier, application)
    if np.isnan(a) or np.isnan(b):
        pytest.skip(f"{application}: edition {later} or {earlier} not in the table (the article gives only the change)")
    assert a - b == pytest.approx(change, abs=0.6)


def test_seed_application_shares_match_users(apps, editions):
    """users / netizens is the stated share, to the rounding of the published figures."""
    both = apps.dropna(subset=["users_million", "share_of_netizens_pct"]).reset_index()
    both = both[both["application"] != "bike_sharing"]
    netizens = editions["netizens_million"].reindex(both["edition"]).to_numpy()
    share = both["users_million"].to_numpy() / netizens * 100
    ok = np.isfinite(share)
    assert ok.sum() >= 10
    off = np.abs(share[ok] - both["share_of_netizens_pct"].to_numpy()[ok])
    assert (off < 0.6).all(), both[ok][off >= 0.6]


def test_application_table_shape():
    df = gc.load_cnnic_applications()
    assert list(df.columns) == ["edition", "as_of", "application", "users_million", "share_of_netizens_pct"]
    assert df["application"].str.fullmatch(r"[a-z][a-z0-9_]*").all()  # snake_case
    assert df["as_of"].notna().all() and pd.api.types.is_datetime64_any_dtype(df["as_of"])
    assert not df.duplicated(["edition", "application"]).any()
    assert df.set_index(["edition", "application"]).loc[(46, "online_video"), "as_of"] == pd.Timestamp("2020-06-30")
    share = df["share_of_netizens_pct"].dropna()
    assert ((share > 0) & (share <= 100)).all()


# ----------------------------------------------------------------- the seed-figure ledger
# data/seed_figures.csv lists every figure the three seed articles state, verbatim. It lives in the
# source tree only (it is not packaged), so these tests read it from the repository and skip without it.
REPO = Path(__file__).resolve().parents[1]
LEDGER_PATH = REPO / "data" / "seed_figures.csv"
SEEDS_DIR = Path(__file__).resolve().parents[2] / "shared" / "seeds"
LEDGER_COLUMNS = ["article", "edition", "as_of", "measure", "value", "unit", "quote"]
LEDGER_UNITS = {"million", "billion", "percent", "percentage_points", "trillion_yuan", "count", "fraction"}
TO_MILLION = {"million": 1.0, "billion": 1000.0, "percent": 1.0}

# Every level figure of the ledger that has a home in the two tables:
# measure -> ((table, application or None, column), ...); "editions" rows are keyed by edition alone.
LEDGER_TO_TABLES = {
    "netizens": (("editions", None, "netizens_million"),),
    "penetration": (("editions", None, "penetration_pct"),),
    "rural_netizens": (("editions", None, "rural_netizens_million"),),
    "rural_penetration": (("editions", None, "rural_penetration_pct"),),
    "online_education_users": (("applications", "online_education", "users_million"),),
    "online_education_share": (("applications", "online_education", "share_of_netizens_pct"),),
    "online_medical_users": (("applications", "online_medical", "users_million"),),
    "online_medical_share": (("applications", "online_medical", "share_of_netizens_pct"),),
    "telecommuting_users": (("applications", "telecommuting", "users_million"),),
    "telecommuting_share": (("applications", "telecommuting", "share_of_netizens_pct"),),
    "ecommerce_live_users": (("applications", "ecommerce_live", "users_million"),),
    "online_shopping_users": (("applications", "online_shopping", "users_million"),),
    "online_shopping_share": (("applications", "online_shopping", "share_of_netizens_pct"),),
    "online_video_users": (("applications", "online_video", "users_million"),),
    "online_video_share": (("applications", "online_video", "share_of_netizens_pct"),),
    "online_news_users": (("applications", "online_news", "users_million"),),
    "online_news_share": (("applications", "online_news", "share_of_netizens_pct"),),
    "online_payment_users": (("applications", "online_payment", "users_million"),),
    "online_payment_share": (("applications", "online_payment", "share_of_netizens_pct"),),
    "instant_messaging_users": (("applications", "instant_messaging", "users_million"),),
    "online_takeout_users": (("applications", "online_takeout", "users_million"),),
    "online_takeout_share": (("applications", "online_takeout", "share_of_netizens_pct"),),
    "ride_hailing_users": (("applications", "ride_hailing", "users_million"),),
    "ride_hailing_share": (("applications", "ride_hailing", "share_of_netizens_pct"),),
    "online_government_users": (("applications", "online_government", "users_million"),),
    "online_government_share": (("applications", "online_government", "share_of_netizens_pct"),),
    "fresh_ecommerce_users": (("applications", "fresh_ecommerce", "users_million"),),
    "agricultural_ecommerce_users": (("applications", "agricultural_ecommerce", "users_million"),),
    "cross_border_ecommerce_users": (("applications", "cross_border_ecommerce", "users_million"),),
    "second_hand_ecommerce_users": (("applications", "second_hand_ecommerce", "users_million"),),
    "national_government_service_platform_registered_users": (
        ("applications", "national_government_service_platform_registered", "users_million"),
    ),
    "online_travel_booking_users": (("applications", "online_travel_booking", "users_million"),),
    "short_video_share": (("applications", "short_video", "share_of_netizens_pct"),),
    "bike_sharing_share": (("applications", "bike_sharing", "share_of_netizens_pct"),),
    "wechat_city_services_users": (("applications", "wechat_city_services", "users_million"),),
    "government_services_via_alipay_wechat_share": (
        ("applications", "government_services_via_alipay_wechat", "share_of_netizens_pct"),
    ),
    # 42nd: "71% of the total number of people online is buying and paying online"
    "online_shopping_and_payment_share": (
        ("applications", "online_shopping", "share_of_netizens_pct"),
        ("applications", "online_payment", "share_of_netizens_pct"),
    ),
}


@pytest.fixture(scope="module")
def ledger():
    if not LEDGER_PATH.is_file():
        pytest.skip(f"{LEDGER_PATH} is not here (the ledger is kept in the source tree, not in the wheel)")
    return pd.read_csv(LEDGER_PATH, dtype=str, keep_default_na=False)


def _ledger_rows(ledger):
    for row in ledger.itertuples(index=False):
        yield row, f"{row.article}: {row.measure} = {row.value} {row.unit}"


def test_ledger_shape(ledger):
    assert list(ledger.columns) == LEDGER_COLUMNS
    assert len(ledger) >= 90
    assert set(ledger["unit"]) <= LEDGER_UNITS, set(ledger["unit"]) - LEDGER_UNITS
    assert ledger["measure"].str.fullmatch(r"[a-z][a-z0-9_]*").all()
    assert ledger["edition"].str.fullmatch(r"[1-9][0-9]?").all()
    assert ledger["value"].str.fullmatch(r"[0-9]+(\.[0-9]+)?").all()
    # ISO dates; year-only where the article gives only a year, blank where it gives none
    assert ledger["as_of"].str.fullmatch(r"(\d{4}(-\d{2}-\d{2})?)?").all()
    assert (ledger["quote"].str.len() > 0).all()
    assert ledger.groupby("article").size().to_dict() == {
        "000_edf7bfa6cfed81c1.txt": 59, "003_90529dc0f71b294f.txt": 26, "004_8a2946bb2d15a579.txt": 11,
    }


def test_ledger_has_one_row_per_article_and_measure(ledger):
    dup = ledger[ledger.duplicated(["article", "measure"], keep=False)]
    assert dup.empty, dup[["article", "measure"]].to_dict("records")


def test_ledger_quotes_state_their_values(ledger):
    """The number appears in its own quote (thousands separators aside; "one-fifth" is a fraction)."""
    bad = [name for row, name in _ledger_rows(ledger)
           if row.unit != "fraction" and row.value not in row.quote.replace(",", "")]
    assert not bad, bad


def test_ledger_quotes_are_verbatim(ledger):
    if not SEEDS_DIR.is_dir():
        pytest.skip(f"the seed articles are not beside the repository ({SEEDS_DIR} is absent)")
    articles = {name: (SEEDS_DIR / name).read_text(encoding="utf-8") for name in ledger["article"].unique()}
    assert len(articles) == 3
    missing = [name for row, name in _ledger_rows(ledger) if row.quote not in articles[row.article]]
    assert not missing, missing


def test_ledger_levels_agree_with_the_tables(ledger, editions, apps):
    checked, wrong = 0, []
    for row, name in _ledger_rows(ledger):
        for table, application, column in LEDGER_TO_TABLES.get(row.measure, ()):
            expected = float(row.value) * TO_MILLION[row.unit]
            edition = int(row.edition)
            if table == "editions":
                actual, as_of = editions.loc[edition, column], editions.loc[edition, "as_of"]
            else:
                actual = apps.loc[(edition, application), column] if (edition, application) in apps.index else np.nan
                as_of = editions.loc[edition, "as_of"]
            if not actual == pytest.approx(expected, rel=1e-12) or pd.Timestamp(row.as_of) != as_of:
                wrong.append((name, table, application, column, actual))
            checked += 1
    assert not wrong, wrong
    assert checked == 44  # the 43 level rows of the ledger, the 71 % checked against two columns
    assert set(LEDGER_TO_TABLES) <= set(ledger["measure"])


def test_every_application_level_in_the_ledger_is_mapped(ledger, apps):
    """A ledger measure named like an application level must be checked against the table."""
    names = set(apps.index.get_level_values("application"))
    levels = {f"{a}_{kind}" for a in names for kind in ("users", "share")}
    unmapped = sorted((set(ledger["measure"]) & levels) - set(LEDGER_TO_TABLES))
    assert not unmapped, unmapped


# ----------------------------------------------------------------- the time axis
def test_decimal_years_keep_the_real_spacing():
    step = to_decimal_year(["2019-06-30", "2020-03-31"])
    assert step[1] - step[0] == pytest.approx(0.75, abs=0.01)
    # by hand: 2019-06-30 is day 180 of 365; 2020-03-31 is day 90 of 366
    assert step[0] == pytest.approx(2019 + 180 / 365, abs=1e-12)
    assert step[1] == pytest.approx(2020 + 90 / 366, abs=1e-12)
    assert to_decimal_year("2021-01-01")[0] == 2021.0
    np.testing.assert_array_equal(to_decimal_year([2020.5, 2021]), [2020.5, 2021.0])  # numbers pass through


@given(st.datetimes(min_value=pd.Timestamp("1990-01-01").to_pydatetime(),
                    max_value=pd.Timestamp("2100-12-31").to_pydatetime()))
def test_decimal_year_round_trip(moment):
    moment = pd.Timestamp(moment).floor("s")
    t = to_decimal_year([moment])
    assert from_decimal_year(t)[0] == moment


@given(st.floats(1990.0, 2100.0))
def test_decimal_year_round_trip_from_floats(t):
    back = to_decimal_year(from_decimal_year([t]))[0]
    assert back == pytest.approx(t, abs=1 / (366 * 86400))  # to the second


# ----------------------------------------------------------------- the user's own series
def _frame(**columns):
    base = {"date": ["2020-06-30", "2020-12-31", "2021-06-30"], "value": [1.0, 2.0, 3.0]}
    base.update(columns)
    return pd.DataFrame(base)


@pytest.mark.parametrize(
    "frame, kwargs, match",
    [
        (_frame().drop(columns="value"), {}, r"missing column.*'value'"),
        (_frame().drop(columns="date"), {}, r"missing column.*'date'"),
        (_frame(), {"series_id": "sid"}, r"missing column.*'sid'"),
        (_frame(date=["2020-06-30", "2020-13-45", "2021-06-30"]), {}, r"could not parse.*rows \[1\].*2020-13-45"),
        (_frame(date=["2020-06-30", "2020-06-30", "2021-06-30"]), {}, r"duplicate dates.*2020-06-30"),
        (_frame(value=[1.0, np.inf, 3.0]), {}, r"'value'.*infinite.*rows \[1\]"),
        (_frame(value=[1.0, -3.0, 3.0]), {}, r"'value'.*negative.*rows \[1\]"),
        (_frame(value=[1.0, 101.0, 3.0]), {"percent": True}, r"\[0, 100\].*101"),
        (_frame(value=[1.0, np.nan, 3.0]), {"missing": "raise"}, r"missing values in rows \[1\]"),
        (_frame(value=[np.nan, np.nan, np.nan]), {}, "every value is missing"),
        (_frame().iloc[:0], {}, "empty"),
        (_frame(value=["1", "two", "3"]), {}, r"non-numeric.*rows \[1\]"),
    ],
)
def test_from_frame_rejects_invalid_input(frame, kwargs, match):
    with pytest.raises(gc.DataError, match=match):
        gc.from_frame(frame, **kwargs)


def test_data_error_is_a_value_error():
    assert issubclass(gc.DataError, ValueError)


def test_penetration_is_checked_by_column_name():
    frame = pd.DataFrame({"date": ["2020-06-30", "2020-12-31"], "penetration_pct": [67.0, 100.5]})
    with pytest.raises(gc.DataError, match=r"\[0, 100\]"):
        gc.from_frame(frame, value="penetration_pct")
    ok = gc.from_frame(frame.assign(penetration_pct=[67.0, 70.4]), value="penetration_pct")
    assert ok.attrs["percent"] == {"penetration_pct": True}


def test_unsorted_input_is_sorted_and_missing_values_counted():
    frame = pd.DataFrame({"date": ["2021-06-30", "2020-06-30", "2020-12-31", "2021-12-31"],
                          "value": [3.0, 1.0, np.nan, 4.0]})
    out = gc.from_frame(frame)
    assert list(out.columns) == ["series_id", "date", "t", "value"]
    assert list(out["date"].dt.strftime("%Y-%m-%d")) == ["2020-06-30", "2021-06-30", "2021-12-31"]
    assert list(out["value"]) == [1.0, 3.0, 4.0]
    assert out.attrs["n_missing"] == {"value": 1}
    np.testing.assert_allclose(out["t"], to_decimal_year(out["date"]))
    assert frame["value"].isna().sum() == 1 and frame["date"].iloc[0] == "2021-06-30"  # input untouched


def test_long_format_round_trips(tmp_path):
    frame = pd.DataFrame({
        "unique_id": ["b", "a", "a", "b", "a"],
        "ds": ["2020-12-31", "2020-12-31", "2020-06-30", "2020-06-30", "2021-06-30"],
        "y": [20.0, 2.0, 1.0, 10.0, 3.0],
    })
    out = gc.from_frame(frame, date="ds", value="y", series_id="unique_id")
    assert list(out["series_id"]) == ["b", "b", "a", "a", "a"]  # series in input order, each by time
    assert list(out["value"]) == [10.0, 20.0, 1.0, 2.0, 3.0]
    back = out.rename(columns={"series_id": "unique_id", "date": "ds", "value": "y"})[["unique_id", "ds", "y"]]
    expected = frame.assign(ds=pd.to_datetime(frame["ds"])).iloc[[3, 0, 2, 1, 4]].reset_index(drop=True)
    pd.testing.assert_frame_equal(back, expected, check_dtype=False)
    # the same through a CSV file
    path = tmp_path / "series.csv"
    frame.to_csv(path, index=False)
    pd.testing.assert_frame_equal(gc.read_csv(path, date="ds", value="y", series_id="unique_id"), out)
    # duplicates are per series: the same date in two series is fine, twice in one is not
    with pytest.raises(gc.DataError, match=r"duplicate dates.*'a'"):
        gc.from_frame(pd.concat([frame, frame.iloc[[1]]]), date="ds", value="y", series_id="unique_id")


def test_numeric_times_pass_through():
    out = gc.from_frame(pd.DataFrame({"date": [2.0, 0.0, 1.0], "value": [5.0, 3.0, 4.0]}))
    assert list(out["t"]) == [0.0, 1.0, 2.0] and out["date"].isna().all()


def test_read_csv_errors(tmp_path):
    with pytest.raises(gc.DataError, match="no such file"):
        gc.read_csv(tmp_path / "absent.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(gc.DataError, match="not a readable CSV"):
        gc.read_csv(empty)
    bad = tmp_path / "bad.csv"
    bad.write_text("date,value\n2020-06-30,1\n2020-12-31,-4\n")
    with pytest.raises(gc.DataError, match="negative"):
        gc.read_csv(bad)


def test_bundled_series_fit_through_from_frame():
    df = gc.load_cnnic()
    out = gc.from_frame(df, date="as_of", value="penetration_pct")
    assert out.attrs["percent"] == {"penetration_pct": True}
    assert len(out) + out.attrs["n_missing"].get("penetration_pct", 0) == 57


def test_from_frame_takes_its_own_output_again_when_times_were_numbers():
    raw = pd.DataFrame({"series_id": ["a"] * 3 + ["b"] * 3, "date": [2000.0, 2001.0, 2002.0] * 2,
                        "value": [1.0, 2.0, 3.0, 40.0, 50.0, 60.0]})
    long = gc.from_frame(raw)
    assert long["date"].isna().all()  # numeric years: no dates
    again = gc.from_frame(long)
    pd.testing.assert_frame_equal(again, long)
    assert again.attrs == long.attrs
    # the attrs lost to a pandas operation, and one series marked a percentage
    rebuilt = gc.from_frame(pd.DataFrame(long.to_dict()), percent=["b"])
    assert rebuilt["t"].tolist() == long["t"].tolist() and rebuilt.attrs["percent"] == {"a": False, "b": True}
    with pytest.raises(gc.DataError, match=r"missing values in rows \[1\]"):
        gc.from_frame(long.assign(value=[1.0, np.nan, 3.0, 40.0, 50.0, 60.0]), missing="raise")
    with pytest.raises(gc.DataError, match=r"percentages must lie in \[0, 100\]"):
        gc.from_frame(long.assign(value=[1.0, 2.0, 3.0, 40.0, 500.0, 60.0]), percent=True)


def test_from_frame_reads_edited_dates_of_its_own_output():
    long = gc.from_frame(pd.DataFrame({"date": ["2000-06-30", "2000-12-31", "2001-06-30"], "value": [1.0, 2, 3]}))
    edited = long.assign(date=pd.to_datetime(["2000-06-30", "2000-12-31", "2002-06-30"]))
    again = gc.from_frame(edited)  # the dates are the truth; t follows them
    assert again["t"].iloc[-1] == pytest.approx(2002.0 + 180 / 365)
