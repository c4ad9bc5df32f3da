from __future__ import annotations

import csv
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from resim.customer.models import Customer
from resim.db.engine import transaction
from resim.kit.codice_fiscale import CodiceFiscale
from resim.kit.telecom import Eid, Iccid, Imsi, ItalianMobile
from resim.line.importing import COLUMNS
from resim.line.models import EsimProfile, Line
from resim.tenant.models import Tenant
from tests import factories


def resim(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RESIM_DB__URL": db_url, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "resim", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _row(n: int, **overrides: str) -> dict[str, str]:
    cf = CodiceFiscale.from_person("Verdi", "Anna", dt.date(1990, 5, 17), "F", "F205")
    row = {
        "msisdn": f"+39 333 {n:07d}",
        "iccid": Iccid.build(f"89390155{n:010d}"),
        "imsi": f"22210{n:010d}",
        "eid": Eid.build(f"89049032{n:022d}"),
        "plan_code": "START",
        "plan_valid_until": "2027-01-31",
        "billing": "prepaid",
        "credit_cents": "500",
        "state": "active",
        "given_name": "Anna",
        "family_name": "Verdi",
        "birth_date": "1990-05-17",
        "sex": "F",
        "birthplace_code": "F205",
        "codice_fiscale": cf,
        "email": "anna.verdi@example.it",
        "alt_phone": "",
        "language": "it",
    }
    row.update(overrides)
    return row


def _write(path: Path, rows: list[dict[str, str]], extra: tuple[str, ...] = ()) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*COLUMNS, *extra])
        writer.writeheader()
        writer.writerows(rows)


def _counts(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(Line)) or 0,
            session.scalar(select(func.count()).select_from(Customer)) or 0,
        )


def test_import_lines_imports_every_row(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with transaction(sessions) as session:
        factories.tenant(session, "acme", dt.datetime.now(dt.UTC))
    path = tmp_path / "lines.csv"
    _write(path, [_row(n) for n in range(1, 41)])
    result = resim(db_url, "import-lines", str(path), "--tenant", "acme")
    assert result.returncode == 0, result.stderr
    assert "imported 40 lines, 1 new customers" in result.stderr
    assert _counts(sessions) == (40, 1)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(EsimProfile)) == 40
        assert session.scalars(select(Line.msisdn).order_by(Line.msisdn)).first() == "+393330000001"


def test_import_lines_takes_port_in_and_contact_change_days_from_the_crm(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with transaction(sessions) as session:
        factories.tenant(session, "acme", dt.datetime.now(dt.UTC))
    extra = ("ported_in_on", "email_changed_on", "alt_phone_changed_on")
    first = _row(1, ported_in_on="2026-10-02", email_changed_on="2026-11-01")
    second = _row(2, ported_in_on="", email_changed_on="2026-11-01", alt_phone_changed_on="")
    bad = _row(3, ported_in_on="2026-13-40")
    path = tmp_path / "lines.csv"
    _write(path, [first, second, bad], extra)
    result = resim(db_url, "import-lines", str(path), "--tenant", "acme")
    assert result.returncode == 1 and "line 4: ported_in_on:" in result.stderr
    _write(path, [first, second], extra)
    result = resim(db_url, "import-lines", str(path), "--tenant", "acme")
    assert result.returncode == 0, result.stderr
    with sessions() as session:
        ported = dict(session.execute(select(Line.msisdn, Line.ported_in_on)).all())
        holder = session.scalars(select(Customer)).one()
    assert ported == {"+393330000001": dt.date(2026, 10, 2), "+393330000002": None}
    assert (holder.email_changed_on, holder.alt_phone_changed_on) == (dt.date(2026, 11, 1), None)


def test_a_bad_row_is_reported_by_line_number_and_nothing_is_imported(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with transaction(sessions) as session:
        factories.tenant(session, "acme", dt.datetime.now(dt.UTC))
    rows = [_row(n) for n in range(1, 11)]
    rows[3]["iccid"] = "8939015500000000041"  # wrong check digit: file line 5
    rows[6]["codice_fiscale"] = "RSSMRA80A01H501X"  # file line 8
    rows[8]["msisdn"] = rows[0]["msisdn"]  # a repeat: file line 10
    path = tmp_path / "lines.csv"
    _write(path, rows)
    result = resim(db_url, "import-lines", str(path), "--tenant", "acme")
    assert result.returncode == 1
    assert "line 5: iccid:" in result.stderr and "ICCID" in result.stderr
    assert "line 8: codice_fiscale:" in result.stderr
    assert "line 10:" in result.stderr and "repeats row 2" in result.stderr
    assert "3 rows rejected; nothing imported" in result.stderr
    assert _counts(sessions) == (0, 0)


def test_a_conflict_with_the_database_rolls_back_the_whole_file(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with transaction(sessions) as session:
        factories.tenant(session, "acme", dt.datetime.now(dt.UTC))
    path = tmp_path / "first.csv"
    _write(path, [_row(1)])
    assert resim(db_url, "import-lines", str(path), "--tenant", "acme").returncode == 0
    _write(path, [_row(2), _row(3), _row(1)])  # row 1 is already registered: file line 4
    result = resim(db_url, "import-lines", str(path), "--tenant", "acme")
    assert result.returncode == 1 and "line 4: MSISDN_EXISTS" in result.stderr
    assert _counts(sessions) == (1, 1)


def test_import_lines_explains_missing_columns_and_tenants(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with transaction(sessions) as session:
        factories.tenant(session, "acme", dt.datetime.now(dt.UTC))
    path = tmp_path / "lines.csv"
    path.write_text("msisdn,iccid\n+393331234567,1\n", encoding="utf-8")
    result = resim(db_url, "import-lines", str(path), "--tenant", "acme")
    assert result.returncode == 1 and "line 1: missing columns: imsi" in result.stderr
    _write(path, [_row(1)])
    assert (
        "No operator 'ghost'"
        in resim(db_url, "import-lines", str(path), "--tenant", "ghost").stderr
    )
    dry = resim(db_url, "import-lines", str(path), "--tenant", "acme", "--dry-run")
    assert dry.returncode == 0 and "dry run" in dry.stderr
    assert _counts(sessions) == (0, 0)


def test_demo_loads_valid_data_once(db_url: str, sessions: sessionmaker[Session]) -> None:
    result = resim(db_url, "demo")
    assert result.returncode == 0, result.stderr
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Tenant)) == 3
        customers = session.scalar(select(func.count()).select_from(Customer)) or 0
        lines = session.scalars(select(Line)).all()
        assert customers >= 200 and len(lines) >= 300
        for line in lines:
            ItalianMobile(line.msisdn), Iccid(line.iccid), Imsi(line.imsi), Eid(line.eid)
        assert {line.state.value for line in lines} == {"active", "suspended"}
    again = resim(db_url, "demo", "--if-empty")
    assert again.returncode == 0 and "already loaded" in again.stderr
    assert resim(db_url, "demo").returncode == 1


def test_migrate_with_check(db_url: str) -> None:
    result = resim(db_url, "migrate", "--check")
    assert result.returncode == 0, result.stderr
    assert "models and migrations agree" in result.stderr


def test_refused_settings_are_explained_without_echoing_secrets(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "RESIM_MODE": "production",
        "RESIM_SECURITY__SECRET_KEY": "s3cr3t-" * 6,
        "RESIM_DB__URL": f"sqlite:///{tmp_path}/x.sqlite3",
    }
    result = subprocess.run(
        [sys.executable, "-m", "resim", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "RESIM_DB__URL must be PostgreSQL" in " ".join(result.stderr.split())
    assert "s3cr3t" not in result.stdout + result.stderr


def test_load_profiles_stocks_the_output_file_or_nothing(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    from resim.provisioning.models import ProfileStock

    with transaction(sessions) as session:
        factories.tenant(session, "acme", dt.datetime.now(dt.UTC))
        before = session.scalar(select(func.count()).select_from(ProfileStock))
    path = tmp_path / "output.csv"
    first, second = Iccid.build("893997000000000001"), Iccid.build("893997000000000002")
    good = f"{first},222970000000001," + "A" * 32 + "," + "B" * 32
    bad = f"{second},222970000000002,XYZ," + "B" * 32
    path.write_text(f"iccid,imsi,ki,opc\n{good}\n{bad}\n", encoding="utf-8")
    result = resim(db_url, "load-profiles", str(path), "--tenant", "acme")
    assert result.returncode == 1 and "Row 3: ki must be 32 hexadecimal digits." in result.stderr
    path.write_text("iccid,imsi,ki,opc\n8939,1,2,3\n", encoding="utf-8")
    result = resim(db_url, "load-profiles", str(path), "--tenant", "acme")
    assert result.returncode == 1 and "Row 2: This is not a valid ICCID" in result.stderr
    path.write_text(f"iccid,imsi,ki,opc\n{good}\n", encoding="utf-8")
    result = resim(db_url, "load-profiles", str(path), "--tenant", "acme")
    assert result.returncode == 0 and "1 of 1 profiles" in result.stderr
    again = resim(db_url, "load-profiles", str(path), "--tenant", "acme")
    assert "0 of 1 profiles" in again.stderr
    with sessions() as session:
        stocked = session.get(ProfileStock, str(first))
        assert stocked is not None and stocked.imsi == "222970000000001"
        assert b"AAAA" not in stocked.keys  # encrypted at rest
        assert session.scalar(select(func.count()).select_from(ProfileStock)) == (before or 0) + 1
