"""A city grants its province the right to decide in its review queue, and revokes it; without
the grant every decision of a province account (command or page) is refused and changes
nothing; with it, the decision is the city's own: in its decisions, its check and its audit
trail under the province user's name. Real PostgreSQL, two cities, the real command line and
the Flask apps of the province and of a city."""
from __future__ import annotations

import json

import pytest

from tests.test_province import PASSWORD, ok, province, run  # noqa: F401  (the fixture)
from tests.test_province_web import cities, roots  # noqa: F401  (the fixture)
from tests.test_web import Client
from yingjian.web import create_app

PDF = "人武部/1.1a_议军会议纪要2021.pdf"


def pending(province_root, city="兴义市") -> list[dict]:  # noqa: F811
    return json.loads(ok("--city", city, "review", "--json", province=province_root))["suggestions"]


def the_suggestion(province_root, city="兴义市") -> dict:  # noqa: F811
    """The PDF's content suggestion for 1.2a (waiting for the office)."""
    return next(s for s in pending(province_root, city) if s["material"] == "1.2a" and s["path"] == PDF)


def check(province_root, city="兴义市") -> dict:  # noqa: F811
    return json.loads(ok("--city", city, "check", "--json", province=province_root))


def audit(province_root, city="兴义市") -> list[dict]:  # noqa: F811
    return json.loads(ok("--city", city, "log", "--json", province=province_root))["entries"]


def test_the_province_decides_on_the_command_line_only_where_a_city_grants_it(province):  # noqa: F811
    ok("user", "add", "省厅王五", "--province", "--password", PASSWORD, province=province)
    s = the_suggestion(province)
    before = check(province)
    decide = ("province", "confirm", "1.2a", s["short"], "--city", "兴义市", "--user", "省厅王五")
    res = run(*decide, province=province)
    assert res.exit_code != 0
    assert "兴义市没有授权贵州省代为审核" in res.output and "province grant" in res.output
    assert check(province) == before and the_suggestion(province) == s
    assert "没有授权" in ok("province", "grants", "--city", "兴义市", province=province)

    out = json.loads(ok("province", "grant", "--city", "兴义市", "--user", "兴义市张三", "--json",
                        province=province))
    assert out["granted"] and out["changed"] and out["by"] == "兴义市张三" and out["province"] == "贵州省"
    grants = [e for e in audit(province) if e["action"] == "province_grant"]
    assert len(grants) == 1 and grants[0]["user"] == "兴义市张三"
    assert "未改变" in ok("province", "grant", "--city", "兴义市", "--user", "兴义市张三", province=province)
    assert len([e for e in audit(province) if e["action"] == "province_grant"]) == 1
    # a name that is no province account decides nothing, granted or not
    res = run("province", "confirm", "1.2a", s["short"], "--city", "兴义市", "--user", "张三", province=province)
    assert res.exit_code != 0 and "没有名为“张三”的省级账号" in res.output
    # the other city granted nothing
    b = the_suggestion(province, "遵义市") if any(x["material"] == "1.2a" and x["path"] == PDF
                                                 for x in pending(province, "遵义市")) else None
    if b is not None:
        res = run("province", "confirm", "1.2a", b["short"], "--city", "遵义市", "--user", "省厅王五",
                  province=province)
        assert res.exit_code != 0 and "遵义市没有授权" in res.output

    done = json.loads(ok(*decide, "--json", province=province))
    assert done["files"] == [s["id"]] and done["user"] == "省厅王五(贵州省)"
    after = check(province)
    assert after["score"] > before["score"]
    assert after["summary"]["review_pending"] == before["summary"]["review_pending"] - 1
    assert not any(x["material"] == "1.2a" and x["path"] == PDF for x in pending(province))
    decided = [e for e in audit(province) if e["action"] == "decide"]
    assert decided[-1]["user"] == "省厅王五(贵州省)" and decided[-1]["data"]["material"] == "1.2a"
    # the province's row of the city follows the decision
    row = next(c for c in json.loads(ok("city", "list", "--json", province=province))["cities"]
               if c["name"] == "兴义市")
    assert row["score"] == after["score"]

    out = json.loads(ok("--city", "兴义市", "province", "revoke", "--user", "兴义市张三", "--json",
                        province=province))
    assert not out["granted"] and out["changed"]
    other = next(x for x in pending(province) if x["path"] != PDF)
    res = run("province", "confirm", other["material"], other["short"], "--city", "兴义市", "--user", "省厅王五",
              province=province)
    assert res.exit_code != 0 and "没有授权" in res.output
    assert [e["action"] for e in audit(province) if e["action"].startswith("province_")] == \
        ["province_grant", "province_revoke"]
    text = ok("--city", "兴义市", "log", province=province)
    assert "授权省级审核" in text and "收回省级审核授权" in text


def test_a_grant_needs_a_city(province):  # noqa: F811
    res = run("province", "grant", province=province)
    assert res.exit_code != 0 and "不是省级部署中的城市" in res.output


@pytest.fixture
def apps(cities, province):  # noqa: F811
    app_a, app_b, b_only = cities
    app_p = create_app(province, secret="secret-p")
    yield app_a, app_b, app_p
    app_p.extensions["yingjian.province"].close()
    app_p.extensions["yingjian"].close()


def test_a_city_grants_the_province_on_its_review_page_and_the_province_decides_there(apps, province):  # noqa: F811
    app_a, app_b, app_p = apps
    p = Client(app_p, "省厅")
    s = the_suggestion(province)
    before = check(province)
    decide = {"sha": s["id"], "material": "1.2a", "action": "confirm"}
    r = p.get("/city/兴义市")
    assert 'data-granted="0"' in r.text and r.text.count("<form") == 1
    assert p.post("/city/兴义市/decide", decide).status_code == 403
    assert check(province) == before

    office, unit = Client(app_a, "张三"), Client(app_a, "李四")
    r = office.get("/review")
    assert 'id="province-grant"' in r.text and 'data-granted="0"' in r.text
    assert unit.post("/review/province", {"grant": "1"}).status_code == 403
    assert p.post("/city/兴义市/decide", decide).status_code == 403
    r = office.post("/review/province", {"grant": "1"})
    assert r.status_code == 302
    assert 'data-granted="1"' in office.get("/review").text
    grants = [e for e in audit(province) if e["action"] == "province_grant"]
    assert [g["user"] for g in grants] == ["张三"]

    r = p.get("/city/兴义市")
    assert 'data-granted="1"' in r.text and f'data-sha="{s["id"]}"' in r.text
    # the other city granted nothing: still read only, and its decisions refused
    r = p.get("/city/遵义市")
    assert 'data-granted="0"' in r.text and r.text.count("<form") == 1
    b = next(x for x in pending(province, "遵义市"))
    assert p.post("/city/遵义市/decide", {"sha": b["id"], "material": b["material"],
                                        "action": "confirm"}).status_code == 403
    assert p.post("/city/兴义市/decide", {**decide, "action": "unassign"}).status_code == 400

    r = p.post("/city/兴义市/decide", decide)
    assert r.status_code == 302, r.text
    after = check(province)
    assert after["score"] > before["score"]
    assert after["summary"]["review_pending"] == before["summary"]["review_pending"] - 1
    decided = [e for e in audit(province) if e["action"] == "decide"]
    assert decided[-1]["user"] == "省厅(贵州省)"
    # the city's own office sees it decided, by whom
    r = office.get("/review")
    assert f'data-sha="{s["id"]}" data-material="1.2a"' not in r.text

    assert office.post("/review/province", {"grant": "0"}).status_code == 302
    other = next(x for x in pending(province) if x["path"] != PDF)
    r = p.post("/city/兴义市/decide", {"sha": other["id"], "material": other["material"], "action": "confirm"})
    assert r.status_code == 403 and "没有授权" in r.text
    assert 'data-granted="0"' in p.get("/city/兴义市").text
