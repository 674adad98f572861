"""Issue 17: the 57th edition, the filled blanks, China's population, the application series and
the bundled country panels.

Every expected figure is typed in from its source (named beside it, and in ``data/README.md``),
never read from the CSV files.
"""

from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd
import pytest

import growthcast as gc
from growthcast.data import load_panel



@pytest.fixture(scope="module")
def editions():
    return gc.load_cnnic().set_index("edition")


@pytest.fixture(scope="module")
def apps():
    return gc.load_cnnic_applications().set_index(["edition", "application"])


# ----------------------------------------------------------------- the 57th edition and filled blanks
def test_57th_edition_as_printed(editions):
    row = editions.loc[57]
    assert row["as_of"] == pd.Timestamp("2025-12-31")
    # ECNS, 5 Feb 2026 ("released Thursday"); Workers' Daily, 7 Feb 2026 ("2月5日 ... 发布")
    assert row["released"] == pd.Timestamp("2026-02-05")
    assert row["netizens_million"] == 1125.0  # "1.125 billion" (ECNS); "11.25亿人" (Workers' Daily)
    assert row["penetration_pct"] == 80.1  # "pushing the country's internet penetration rate to 80.1%"
    assert row["rural_penetration_pct"] == 69.5  # "Rural internet penetration rose to 69.5%"
    # not confirmed from a reliable source: left blank
    for column in ("mobile_netizens_million", "rural_netizens_million", "urban_penetration_pct"):
        assert np.isnan(row[column]), column


@pytest.mark.parametrize(
    "edition, penetration",
    [
        (13, 6.2),  # China Daily via china.org.cn, 16 Jan 2004: "only 6.2 percent of the country's total population"
        (14, 6.6),  # CommsUpdate, 22 Jul 2004 / China Daily via ChinaTechNews: "6.6% of the total population"
        (16, 7.9),  # China Daily, 22 Jul 2005: "in China, the percentage is only about 7.9 per cent"
        (17, 8.5),  # Xinhua via china.org.cn, 18 Jan 2006: "8.5 percent of Chinese people have become netizens"
        (32, 44.1),  # CNNIC English release, 22 Jul 2013: "Internet penetration being 44.1%"
    ],
)
def test_filled_penetration_blanks(editions, edition, penetration):
    assert editions.loc[edition, "penetration_pct"] == penetration




def test_filled_edition_blanks(editions):
    e = editions
    # 16th: 103.00 million at 7.9 % -> the derived implied population, 103.00 / 7.9 x 100 = 1303.8
    assert e.loc[16, "implied_population_million"] == 1303.8
    # 34th: Hebei News (it.hebei.com.cn), 21 Jul 2014: "截至2014年6月,我国网民规模达6.32亿,其中手机网民达5.27亿"
    assert e.loc[34, "mobile_netizens_million"] == 527.0
    # 55th: Bookdao, on the 55th report: "农村网民规模达3.13亿人 ... 城镇地区互联网普及率为85.3% ... 农村地区互联网普及率为65.6%"
    assert e.loc[55, "rural_netizens_million"] == 313.0
    assert e.loc[55, "urban_penetration_pct"] == 85.3
    assert e.loc[55, "rural_penetration_pct"] == 65.6
    # the 55th printed 28.2 % of 1108 million as rural: 313 is that share, to the printed rounding
    assert 313 / 1108 * 100 == pytest.approx(28.2, abs=0.05)


def test_44th_rural_netizens(editions):
    # the 44th report's abstract: "我国农村网民规模为2.25亿"; AskCI: "Netizens in farming communities ... 225 million"
    assert editions.loc[44, "rural_netizens_million"] == 225.0


# ----------------------------------------------------------------- population
def test_population_table():
    pop = gc.load_china_population()
    assert list(pop.columns) == ["year", "population_million", "source"]
    assert pop["year"].is_monotonic_increasing and pop["year"].is_unique
    assert (pop["source"].str.len() > 20).all()
    # NBS year-end figures as printed (万人 / 100): 2025 "140489万人", 2024 "140828万人", 2019 "140005万人",
    # 2018 "139538万人", 2011 "134735万人"
    by_year = pop.set_index("year")["population_million"]
    assert by_year[2025] == 1404.89
    assert by_year[2024] == 1408.28
    assert by_year[2019] == 1400.05
    assert by_year[2018] == 1395.38
    assert by_year[2011] == 1347.35
    assert by_year.between(1300, 1450).all()


def test_china_population_helper():
    assert gc.data.china_population() == 1404.89  # the latest year bundled: 2025
    assert gc.data.china_population(2022) == 1411.75
    assert isinstance(gc.data.china_population(np.int64(2021)), float)
    with pytest.raises(gc.DataError, match=r"bundled for 2020; bundled years: \[2011, 2013"):
        gc.data.china_population(2020)
    with pytest.raises(gc.DataError, match="year must be an integer"):
        gc.data.china_population("2025")


def test_population_columns_of_the_edition_table(editions):
    e = editions
    both = e.dropna(subset=["netizens_million", "penetration_pct"])
    implied = both["netizens_million"] / both["penetration_pct"] * 100
    np.testing.assert_allclose(both["implied_population_million"], implied, atol=0.05 + 1e-9)
    assert e.loc[e["penetration_pct"].isna(), "implied_population_million"].isna().all()
    # the official population is the NBS figure of the edition's year, for editions dated 31 December only
    pop = gc.load_china_population().set_index("year")["population_million"]
    official = e["official_population_million"].dropna()
    assert len(official) == 11
    for edition, value in official.items():
        as_of = e.loc[edition, "as_of"]
        assert (as_of.month, as_of.day) == (12, 31), edition
        assert value == pop[as_of.year], edition


# Editions whose printed netizens and penetration disagree with the official population of their
# own date, within the printed rounding; see data/README.md.
DISAGREE_WITH_OWN_YEAR_END = {29, 33, 37, 39, 41, 43}
# ... of which these agree with the official population of the year before
AGREE_WITH_PREVIOUS_YEAR_END = {39, 41, 43}


def test_population_check():
    check = gc.data.cnnic_population_check()
    expected = ["edition", "as_of", "netizens_million", "penetration_pct", "implied_population_million",
                "implied_low", "implied_high", "official_low", "official_high", "offset_pct", "consistent",
                "previous_year_end_million", "consistent_with_previous_year_end"]
    assert list(check.columns) == expected
    assert len(check) == 46  # every edition printing both netizens and penetration
    assert (check["implied_low"] < check["implied_population_million"]).all()
    assert (check["implied_population_million"] < check["implied_high"]).all()
    known = check[check["consistent"].notna()]
    assert len(known) >= 19
    assert set(known.loc[~known["consistent"].astype(bool), "edition"]) == DISAGREE_WITH_OWN_YEAR_END
    previous = check.set_index("edition")["consistent_with_previous_year_end"]
    agree = {e for e in DISAGREE_WITH_OWN_YEAR_END if not pd.isna(previous[e]) and bool(previous[e])}
    assert agree == AGREE_WITH_PREVIOUS_YEAR_END
    # the disagreements are small: under 1 % of the population
    assert known["offset_pct"].abs().max() < 1.0
    # the latest edition: 1125 million at 80.1 % fits the 2025 year-end population of 1404.89 million
    row = check.set_index("edition").loc[57]
    assert bool(row["consistent"]) and row["implied_low"] < 1404.89 < row["implied_high"]


def test_population_check_uses_the_printed_rounding():
    """'16' (21st edition) is known to +-0.5 points, '67.0' to +-0.05: the intervals differ in width."""
    check = gc.data.cnnic_population_check().set_index("edition")
    width = check["implied_high"] - check["implied_low"]
    assert width[21] > 10 * width[46]
    # 21st: '210.00' million (21000万, known to +-0.005) at '16' % -> (209.995 / 16.5, 210.005 / 15.5) x 100
    assert check.loc[21, "implied_low"] == pytest.approx(209.995 / 16.5 * 100)
    assert check.loc[21, "implied_high"] == pytest.approx(210.005 / 15.5 * 100)
    # 46th: '940' million (9.40亿, +-0.5) at '67.0' % -> (939.5 / 67.05, 940.5 / 66.95) x 100
    assert check.loc[46, "implied_low"] == pytest.approx(939.5 / 67.05 * 100)
    assert check.loc[46, "implied_high"] == pytest.approx(940.5 / 66.95 * 100)


def test_population_as_the_ceiling_for_netizens():
    df = gc.load_cnnic()
    recent = df[df["edition"] >= 23].dropna(subset=["netizens_million"])
    K = gc.data.china_population()
    fit = gc.fit(gc.Logistic(fixed={"K": K}), recent["as_of"], recent["netizens_million"])
    assert fit.params["K"] == K
    assert np.isfinite(fit.params["r"]) and fit.params["r"] > 0


# ----------------------------------------------------------------- application series
# (edition, application, users in millions, share in percent or None): new rows of issue 17,
# each typed from its source (see data/README.md)
NEW_APPLICATION_FIGURES = [
    (35, "search_engine", 522.0, 80.5),  # China Press via livedoor: 5億2200万人, 80.5%
    (41, "search_engine", 640.0, 82.8),  # 中商产业研究院: "搜索引擎用户规模达6.4亿,使用率为82.8%"
    (44, "search_engine", 695.0, 81.3),  # CNNIC 2019 search-engine report: "6.95亿 ... 81.3%"
    (45, "search_engine", 750.0, 83.0),  # "截至2020年3月,我国搜索引擎用户规模达7.50亿,占网民整体的83.0%"
    (47, "search_engine", 769.77, 77.8),  # 智研咨询 from CNNIC: "76977万人"; 华经: "7.7亿,占网民整体的77.8%"
    (24, "search_engine", 234.57, 69.4),  # CNNIC on the 24th: "搜索用户规模达2,3457万人 ... 使用率达69.4%"
    (55, "search_engine", 877.82, 79.2),  # 57th report table: 2024.12 "87,782万", 79.2 %; 55th: "8.78亿"
    (57, "search_engine", 782.0, 69.5),  # 57th report: "搜索引擎用户规模达7.82亿人", 69.5 %
    (39, "online_takeout", 209.0, None),  # Xinhua: "网上外卖用户规模达到2.09亿"
    (41, "online_takeout", 343.0, None),  # china.com.cn: "网上外卖用户规模达到3.43亿"
    (44, "online_takeout", 421.0, 49.3),  # 44th abstract: "网上外卖用户规模达4.21亿 ... 49.3%"
    (45, "online_takeout", 398.0, 44.0),  # "网上外卖用户规模达3.98亿,占网民整体的44.0%"
    (49, "online_takeout", 544.0, None),  # "网上外卖和网约车 ... 5.44亿和4.53亿"
    (53, "online_takeout", 545.0, 49.9),  # "网上外卖用户规模达5.45亿人 ... 占网民整体的49.9%"
    (45, "ride_hailing", 362.0, 40.1),  # "网约车用户规模达3.62亿,占网民整体的40.1%"
    (47, "ride_hailing", 365.0, 36.9),  # "网约车用户规模为3.65亿 ... 占网民整体的36.9%"
    (48, "ride_hailing", 397.0, 39.2),  # China News Service: "网约车用户规模达3.97亿 ... 39.2%"
    (49, "ride_hailing", 453.0, None),
    (42, "online_government", 470.0, 58.6),  # China Daily-style bilingual note on the 42nd: "规模达到4.7亿,占总体网民的58.6%"
    (43, "online_government", 394.0, 47.5),  # People's Daily: "在线政务服务用户规模达3.94亿,占整体网民的47.5%"
    (45, "online_government", 694.0, 76.8),  # Xinhua: "694 million ... 76.8 percent"
    (47, "online_government", 843.0, None),  # Sina Tech: "互联网政务服务用户规模达8.43亿"
    (55, "online_government", 1004.0, 90.6),  # 55th report text: "在线政务服务用户规模达10.04亿人 ... 90.6%"
    (57, "online_government", 940.0, None),  # Sina Finance via Reportify: "940 million"; S&T Daily: "9.4亿人"
    (39, "online_education", 138.0, 18.8),  # 39th report text: "在线教育用户规模达1.38亿 ... 使用率为18.8%"
    (42, "online_education", 172.0, None),  # 芥末堆: "在线教育用户规模达1.72亿"
    (45, "online_education", 423.0, 46.8),  # People's Daily: "在线教育用户规模达4.23亿 ... 46.8%"
    (48, "online_education", 325.0, None),  # Beijing News: "3.25亿人用在线教育"
    (49, "online_education", 324.93, None),  # 中商产业研究院 from CNNIC: "32493万人"
    (57, "online_education", 327.0, 29.1),  # 57th report: "在线教育用户规模达3.27亿人", 29.1 %
    (48, "online_medical", 239.0, 23.7),  # China News Service: "在线医疗用户规模达2.39亿 ... 23.7%"
    (57, "online_medical", 411.0, 36.5),  # 57th report: 4.11亿, 36.5 %; S&T Daily: "4.11亿人"
    (55, "online_medical", 418.0, 37.7),  # 57th report table, 2024.12: 4.18亿, 37.7 %
    (44, "instant_messaging", 825.0, 96.5),  # 44th abstract
    (44, "online_news", 686.0, 80.3),  # 44th abstract
    (47, "online_news", 742.74, None),  # 智研咨询 from CNNIC: "74274万人"
    (44, "online_payment", 633.0, None),  # 44th abstract
    (53, "online_payment", 954.0, None),  # "网络支付用户达9.54亿"
    (42, "online_shopping", 569.0, 71.0),  # Xinhua: "Online shoppers numbered 569 million"; 71 % from the seed
    (48, "telecommuting", 381.0, 37.7),  # China News Service: "在线办公用户规模达3.81亿 ... 37.7%"
]


@pytest.mark.parametrize("edition, application, users, share", NEW_APPLICATION_FIGURES)
def test_new_application_figures(apps, edition, application, users, share):
    row = apps.loc[(edition, application)]
    assert row["users_million"] == users
    if share is None:
        assert np.isnan(row["share_of_netizens_pct"])
    else:
        assert row["share_of_netizens_pct"] == share


# (edition, application, share in percent): a usage rate printed without a user count, which stays blank
NEW_SHARES_WITHOUT_USERS = [
    (25, "search_engine", 73.3),  # China News Service, 15 Jan 2010: "网络新闻(80.1%),搜索引擎(73.3%)"
    (25, "online_news", 80.1),
    (54, "online_takeout", 50.3),  # Xinhua/CCTV, 29 Aug 2024: "在网上购买过外卖 ... 的用户,分别占网民的50.3%"
]


@pytest.mark.parametrize("edition, application, share", NEW_SHARES_WITHOUT_USERS)
def test_new_shares_without_users(apps, edition, application, share):
    row = apps.loc[(edition, application)]
    assert row["share_of_netizens_pct"] == share
    assert np.isnan(row["users_million"])


def test_57th_application_figures_have_a_second_source(apps):
    """The 57th-edition figures first entered from one secondary source, as printed by the second:
    Science and Technology Daily, 5 Feb 2026: "在线政务、互联网医疗、在线教育用户规模分别为9.4亿人、4.11亿人、..."
    and the 57th report's text ("在线教育用户规模达3.27亿人")."""
    assert apps.loc[(57, "online_government"), "users_million"] == pytest.approx(9.4 * 100)
    assert apps.loc[(57, "online_medical"), "users_million"] == pytest.approx(4.11 * 100)
    assert apps.loc[(57, "online_education"), "users_million"] == pytest.approx(3.27 * 100)


# users per application after issue 17; a series may only grow
MAIN_APPLICATIONS = {
    "instant_messaging": 9, "search_engine": 8, "online_news": 8, "online_video": 10, "short_video": 8,
    "online_payment": 9, "online_shopping": 12, "online_takeout": 8, "ride_hailing": 6, "online_education": 10,
    "online_medical": 10, "online_government": 8,
}


def test_main_application_series_lengths():
    df = gc.load_cnnic_applications()
    counts = df.dropna(subset=["users_million"]).groupby("application").size()
    short = {a: int(counts.get(a, 0)) for a, n in MAIN_APPLICATIONS.items() if counts.get(a, 0) < n}
    assert not short, short
    at_least_eight = [a for a in MAIN_APPLICATIONS if counts[a] >= 8]
    assert len(at_least_eight) == 11  # all but ride-hailing (6)


def test_readme_batch_example_fits_the_main_applications():
    apps = gc.load_cnnic_applications()
    many = gc.fit_many("gompertz", apps, date="as_of", value="users_million", series_id="application")
    main = many.status.loc[list(MAIN_APPLICATIONS)]
    # every main series has enough points for the three parameters, so none fails for lack of data
    assert (main["nobs"] >= 5).all(), main["nobs"].to_dict()
    assert not main["message"].str.contains("fewer usable points").any()
    assert main["converged"].astype(bool).all(), main.loc[~main["converged"].astype(bool), "message"].to_dict()


# ----------------------------------------------------------------- the bundled panels
PANELS = {
    # name: (loader, rows, countries, first year, last year)
    "mobile_cellular": (lambda: gc.load_panel("mobile_cellular"), 9591, 213, 1960, 2019),
    "fixed_broadband": (lambda: gc.load_panel("fixed_broadband"), 3356, 207, 1998, 2019),
}


@pytest.mark.parametrize("name", sorted(PANELS))
def test_panel_loaders(name):
    loader, rows, countries, first, last = PANELS[name]
    df = loader()
    pd.testing.assert_frame_equal(df, load_panel(name))
    assert list(df.columns) == ["series_id", "code", "year", "value"]
    assert len(df) == rows and df["series_id"].nunique() == countries == df["code"].nunique()
    assert df["year"].dtype.kind == "i" and (df["year"].min(), df["year"].max()) == (first, last)
    assert df["code"].str.fullmatch(r"[A-Z]{3}").all()  # no OWID_ or blank codes: aggregates are out
    assert not df["series_id"].isin(["World", "High income", "European Union", "East Asia & Pacific"]).any()
    assert not df.duplicated(["series_id", "year"]).any()
    assert df["value"].notna().all() and (df["value"] >= 0).all()
    assert df.equals(df.sort_values(["series_id", "year"], ignore_index=True))
    assert "CC BY 4.0" in df.attrs["source"] and "World Bank" in df.attrs["source"]
    assert "CC BY 4.0" in gc.load_panel.__doc__ and "Our World in Data" in gc.load_panel.__doc__


def test_panel_values_as_published():
    """Spot values copied from ../shared/panels (OWID's export of the WDI series)."""
    mobile = gc.load_panel("mobile_cellular").set_index(["code", "year"])["value"]
    assert mobile[("AFG", 1960)] == 0
    broadband = gc.load_panel("fixed_broadband").set_index(["code", "year"])["value"]
    assert broadband[("AFG", 2004)] == pytest.approx(0.000808843, rel=1e-12)
    assert mobile.max() < 400  # per 100 people, can exceed 100 (several SIMs per person)


def test_panel_years_are_the_time_axis():
    df = gc.load_panel("fixed_broadband")
    long = gc.from_frame(df, date="year", series_id="series_id")
    assert long["date"].isna().all()
    np.testing.assert_array_equal(long["t"].to_numpy(), df.sort_values(["series_id", "year"])["year"].to_numpy())
    assert long.attrs["percent"]["China"] is False  # per 100 people is not a bounded percentage


def test_panel_fits_in_one_batch():
    df = gc.load_panel("mobile_cellular")
    subset = df[df["code"].isin(["CHN", "IND", "USA", "DEU", "NGA", "BRA"])]
    many = gc.fit_many("logistic", subset, date="year")
    assert len(many.status) == 6
    assert (many.status["nobs"] >= 40).all()
    assert many.status["converged"].astype(bool).sum() >= 5


def test_unknown_panel_is_a_data_error():
    with pytest.raises(gc.DataError, match=r"unknown panel 'internet_users'.*fixed_broadband.*mobile_cellular"):
        load_panel("internet_users")


def test_new_names_are_exported():
    for name in ("load_panel", "load_china_population"):
        assert name in gc.__all__ and callable(getattr(gc, name))
    for name in ("china_population", "cnnic_population_check"):
        assert callable(getattr(gc.data, name))


# ----------------------------------------------------------------- from an installed wheel
NEW_DATA_FILES = (
    "growthcast/_data/china_population.csv",
    "growthcast/_data/mobile_cellular_subscriptions_per_100.csv",
    "growthcast/_data/fixed_broadband_subscriptions_per_100.csv",
)


def test_wheel_carries_the_new_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in NEW_DATA_FILES:
        assert name in names, name
    assert "growthcast/_data/seed_figures.csv" not in names


def test_loaders_from_the_unpacked_wheel_outside_the_source_tree(run_from_wheel):
    out = run_from_wheel("import growthcast as gc; "
                         "print(len(gc.load_panel('mobile_cellular')), len(gc.load_panel('fixed_broadband')), "
                         "gc.data.china_population(), int(gc.data.cnnic_population_check()['edition'].max()))")
    assert out.split() == ["9591", "3356", "1404.89", "57"]
