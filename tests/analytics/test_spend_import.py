"""Spend import: the CSV parser, the command and the API share one service."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from analytics.models import Spend
from analytics.services.spend import import_spend
from tests.analytics.kpi_data import analyst

pytestmark = pytest.mark.django_db

GOOD = """date,channel,campaign,amount,currency
2026-10-01,paid_social,Spring,45.00,EUR
2026-10-01,paid_search,,12.5,EUR
"""


def test_the_same_file_twice_changes_nothing():
    first = import_spend(GOOD)
    assert (len(first.rows), first.written, first.errors) == (2, 2, [])
    assert import_spend(GOOD).written == 0
    row = Spend.objects.get(channel="paid_social")
    assert (row.campaign, row.amount, row.currency) == ("spring", Decimal("45.00"), "EUR")
    corrected = import_spend(GOOD.replace("45.00", "50.00"))
    assert corrected.written == 1
    assert Spend.objects.get(channel="paid_social").amount == Decimal("50.00")
    assert Spend.objects.count() == 2


def test_bad_rows_are_reported_by_line_and_good_rows_kept():
    text = (
        GOOD + "2026-13-01,paid_social,x,1,EUR\n2026-10-02,tv,x,1,EUR\n2026-10-02,email,x,-3,EUR\n"
    )
    text += "2026-10-02,email,x,3,EURO\n"
    result = import_spend(text)
    assert [error["line"] for error in result.errors] == [4, 5, 6, 7]
    assert "date" in result.errors[0]["message"] and "channel" in result.errors[1]["message"]
    assert "amount" in result.errors[2]["message"] and "currency" in result.errors[3]["message"]
    assert Spend.objects.count() == 2


def test_command_reports_lines_and_refuses_a_file_without_columns(tmp_path, capsys):
    path = tmp_path / "spend.csv"
    path.write_text(GOOD + "nope,email,x,1,EUR\n")
    call_command("import_spend", str(path))
    out = capsys.readouterr()
    assert "2 rows read, 2 new or changed, 1 refused" in out.out
    assert "line 4:" in out.err
    path.write_text("day,cost\n2026-10-01,3\n")
    with pytest.raises(CommandError, match="channel"):
        call_command("import_spend", str(path))


def test_api_imports_csv_and_answers_problems(client):
    client.force_authenticate(analyst())
    response = client.post("/api/v1/analytics/spend", GOOD, content_type="text/csv")
    assert response.status_code == 200 and response.json()["written"] == 2
    bad = client.post("/api/v1/analytics/spend", "date,channel\n", content_type="text/csv")
    assert bad.status_code == 400 and "campaign" in bad.json()["detail"]
    only_bad = "date,channel,campaign,amount,currency\nx,email,a,1,EUR\n"
    bad = client.post("/api/v1/analytics/spend", only_bad, content_type="text/csv")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "line 2"
    wrong_type = client.post("/api/v1/analytics/spend", {"a": 1}, format="json")
    assert wrong_type.status_code == 415


def test_spend_needs_the_analyst_role(client, django_user_model):
    client.force_authenticate(django_user_model.objects.create_user("nobody"))
    response = client.post("/api/v1/analytics/spend", GOOD, content_type="text/csv")
    assert response.status_code == 403
