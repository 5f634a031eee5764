"""The demo application: it validates, loads, and its three layers run end to end through
``manage.py run_pipeline``."""

import gzip
import io

import pytest
from django.core.management import call_command

from demo.load import config_files, load_demo
from spark_runner.definition import DirectoryFileSource, validate
from tests.engine.helpers import rows

pytestmark = pytest.mark.spark


def test_the_demo_configuration_validates():
    report = validate(DirectoryFileSource("demo/config"))
    assert report.problems == []
    assert len(report.definitions) == 4
    tags = {
        step.tag for d in report.definitions.values() for step in getattr(d, "transformations", ())
    }
    assert tags == {"deduplicate", "sort", "join", "lookup", "merge", "mask", "aggregate"}


@pytest.mark.django_db  # run_pipeline reads the application's data policy
def test_the_demo_runs_end_to_end_with_run_pipeline(spark, settings, monkeypatch, tmp_path):
    # given
    monkeypatch.setenv("HUB_SECRET_RETAIL_MASK_KEY", "demo-key-for-tests-only")
    loaded = load_demo(settings.HUB_CONFIG_REPO, settings.HUB_DATA_ROOT)
    assert loaded["config_commit"]
    assert load_demo(settings.HUB_CONFIG_REPO, settings.HUB_DATA_ROOT)["config_commit"] is None
    assert "common/lookups/country_dim.csv" in config_files()
    app = settings.HUB_DATA_ROOT / "applications/retail"
    # when
    for name in (
        "retail/staging/retail_staging_load",
        "retail/standardization/retail_order_facts",
        "retail/service/retail_daily_revenue",
    ):
        out = io.StringIO()
        call_command("run_pipeline", name, "--param", "runDate=2024-03-05", stdout=out)
        assert "status: succeeded" in out.getvalue()
    # then: staging deduplicated customers (12 lines, 2 updates) and orders (one repeated, one
    # web row rejected for its date)
    assert spark.table("retail_staging.customers").count() == 10
    assert spark.table("retail_staging.orders").count() == 14
    rejects = list((app / "staging/_rejects/retail_staging_load/orders_web").rglob("part-*"))
    assert "".join(p.read_text() for p in rejects).strip() == (
        "W-0005,1004,P-201,not-a-date,1,9.40,completed,web"
    )
    # standardization: tokenized e-mail, redacted phone, country from the lookup
    anna = spark.table("retail_std.customers").where("customer_id = 1001").first()
    assert anna["name"] == "Anna Müller-Schmidt"
    assert anna["email"] != "anna.schmidt@example.de"
    assert anna["phone"] != "+49 30 7654321"
    assert anna["country_name"] == "Germany"
    facts = spark.table("retail_std.order_facts")
    assert facts.count() == 14  # order S-0008's customer 9999 is unknown: kept (left join)
    # service: daily revenue per country and category, in Hive and as a dated gzip export
    revenue = spark.table("retail_service.daily_revenue")
    germany = rows(revenue.where("country_name = 'Germany'"), "window_start", "category", "revenue")
    assert [(str(d), c, str(r)) for d, c, r in germany] == [
        ("2024-03-04", "Coffee", "49.80"),
        ("2024-03-05", "Accessories", "48.00"),
    ]
    export = app / "service/exports/daily_revenue/2024/03/05"
    text = "".join(gzip.decompress(p.read_bytes()).decode() for p in export.glob("part-*.gz"))
    assert text.splitlines()[0].split(",")[:3] == ["country_name", "category", "window_start"]
    assert len(text.splitlines()) == 1 + revenue.count()


@pytest.mark.django_db
def test_run_pipeline_exits_1_with_the_located_error(spark, settings, capsys):
    load_demo(settings.HUB_CONFIG_REPO, settings.HUB_DATA_ROOT)
    (settings.HUB_DATA_ROOT / "applications/retail/landing/customers/customers.csv").unlink()
    with pytest.raises(SystemExit) as exit_:
        call_command("run_pipeline", "retail/staging/retail_staging_load")
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert "source customers: source_missing: no file matches" in err
    assert "\tat " not in err
