"""The osmo-hlr adapter against a real osmo-hlr over its CTRL interface."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from resim.integrations.calls import CallRecord
from resim.integrations.hlr.osmo import OsmoHlr
from resim.integrations.hlr.port import HlrError, Subscriber
from tests.osmo import osmo_hlr

OLD, NEW, OTHER = "222010000000001", "222010000000002", "222010000000003"
NUMBER = "+393471234567"
KI, OPC = "00112233445566778899AABBCCDDEEFF", "FFEEDDCCBBAA99887766554433221100"


@pytest.fixture
def records() -> list[CallRecord]:
    return []


@pytest.fixture
def hlr(tmp_path: Path, records: list[CallRecord]) -> Iterator[OsmoHlr]:
    with osmo_hlr(tmp_path) as host:
        yield OsmoHlr(host, observer=records.append)


def test_a_subscriber_is_created_with_milenage_keys_once(hlr: OsmoHlr) -> None:
    assert hlr.get(NEW) is None
    hlr.create(NEW, iccid="8939010000000000018", ki=KI, opc=OPC)
    hlr.create(NEW, iccid="8939010000000000018", ki=KI, opc=OPC)  # again: no error
    assert hlr.get(NEW) == Subscriber(NEW, None, True)
    details = hlr.details(NEW)
    assert details["aud3g.algo"] == "MILENAGE"
    assert (details["aud3g.k"], details["aud3g.opc"]) == (KI.lower(), OPC.lower())


def test_a_number_belongs_to_one_imsi_and_moves_in_two_steps(hlr: OsmoHlr) -> None:
    for imsi in (OLD, NEW):
        hlr.create(imsi, iccid="", ki=KI, opc=OPC)
    hlr.set_msisdn(OLD, NUMBER)
    assert hlr.owner_of(NUMBER) == OLD
    with pytest.raises(HlrError) as refused:
        hlr.set_msisdn(NEW, NUMBER)  # osmo-hlr keeps each MSISDN unique
    assert not refused.value.transient
    hlr.set_msisdn(OLD, None)
    assert hlr.owner_of(NUMBER) is None
    hlr.set_msisdn(NEW, NUMBER)
    hlr.set_msisdn(NEW, NUMBER)  # again: no error
    assert hlr.owner_of(NUMBER) == NEW
    assert hlr.get(NEW) == Subscriber(NEW, "393471234567", True)


def test_the_old_imsi_is_barred_then_deleted(hlr: OsmoHlr, records: list[CallRecord]) -> None:
    hlr.create(OLD, iccid="", ki=KI, opc=OPC)
    hlr.set_enabled(OLD, False)
    assert hlr.get(OLD) == Subscriber(OLD, None, False)
    hlr.delete(OLD)
    hlr.delete(OLD)  # gone already: no error
    assert hlr.get(OLD) is None
    assert records[-1].system == "hlr" and records[-1].key == OLD
    assert {r.outcome for r in records} <= {"success", "refused"}


def test_bad_values_are_refused_for_good(hlr: OsmoHlr) -> None:
    with pytest.raises(HlrError) as refused:
        hlr.set_msisdn(OTHER, NUMBER)  # no such subscriber
    assert not refused.value.transient
    hlr.create(OTHER, iccid="", ki=KI, opc=OPC)
    with pytest.raises(HlrError):
        hlr.create(OTHER, iccid="", ki="XYZ", opc=OPC)


def test_an_unreachable_hlr_is_a_transient_failure(tmp_path: Path) -> None:
    with osmo_hlr(tmp_path) as host:
        pass  # started and stopped: nobody listens there now
    with pytest.raises(HlrError) as failed:
        OsmoHlr(host, timeout_seconds=1).get(OLD)
    assert failed.value.transient
