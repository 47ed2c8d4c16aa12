"""An import killed with SIGKILL half-way is finished by the next run, without duplicates."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys

import pytest
from django.core.management import call_command

from tests.support.procs import ROOT
from tests.support.worker import database_env, wait_until
from ugc.models import Asset, ImportItem

ROWS = 4000


@pytest.mark.django_db(transaction=True)
def test_sigkill_mid_import_then_rerun_completes_the_rest(tmp_path):
    path = tmp_path / "posts.csv"
    lines = ["platform_id,url,caption,creator,platform"]
    lines += [f"k{i},,post {i} #kill,creator{i % 50},instagram" for i in range(ROWS)]
    path.write_text("\n".join(lines) + "\n")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "PYTHONUNBUFFERED": "1",
        **database_env(),
    }
    child = subprocess.Popen(
        [sys.executable, "manage.py", "import_ugc", str(path), "--batch-size", "10"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(
            lambda: ImportItem.objects.count() >= 200 or child.poll() is not None,
            timeout=120,
            interval=0.05,
            what="the import to get going",
        )
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL, "the import ended before it could be killed"
    done_before = ImportItem.objects.count()
    assert 0 < done_before < ROWS

    out = io.StringIO()
    call_command("import_ugc", str(path), stdout=out, stderr=io.StringIO())
    assert f"already done earlier  {done_before:>8,}" in out.getvalue()
    assert Asset.objects.count() == ROWS
    assert ImportItem.objects.count() == ROWS
    assert set(ImportItem.objects.values_list("outcome", flat=True)) <= {"created", "updated"}
