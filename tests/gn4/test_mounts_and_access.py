"""Several datahubs on one Moisson (each mount's fixed filter narrows hits, totals and
facets), record-level access on every answer, and the small GET endpoints the datahub
calls on start-up."""

from __future__ import annotations

from flask.testing import FlaskClient
from lxml import etree

from tests.gn4.conftest import AGENCY, API, STAFF, WATER, recorded_body
from tests.gn4.search import buckets, hits, post, total

STAFF_HEADERS = {"sec-username": "alice", "sec-roles": STAFF, "sec-org": "ACME"}


def _orgs(answer: dict[str, object]) -> dict[str, int]:
    return {b["key"]: b["doc_count"] for b in buckets(answer, "orgForResource")}  # type: ignore[arg-type]


def test_two_mounts_answer_the_same_request_with_their_own_filter(client: FlaskClient) -> None:
    body = recorded_body("02")
    everything, agency, water = (post(client, body, prefix) for prefix in (API, AGENCY, WATER))
    assert 0 < total(agency) < total(everything)
    assert 0 < total(water) < total(everything)
    assert total(agency) != total(water)
    all_orgs, agency_orgs = _orgs(everything), _orgs(agency)
    assert agency_orgs != _orgs(water)
    assert set(agency_orgs) <= set(all_orgs)
    assert all(n <= all_orgs[k] for k, n in agency_orgs.items())
    # the agency's facet counts are the agency's filtered totals
    for name, count in list(agency_orgs.items())[:3]:
        body = recorded_body("12") | {"size": 100}
        body = {**body, "_source": ["uuid", "sourceCatalogue", "cl_topic"]}
        body["query"] = {
            "bool": {
                "filter": [
                    {"terms": {"isTemplate": ["n"]}},
                    {"query_string": {"query": f'OrgForResourceObject.default:("{name}")'}},
                ]
            }
        }
        found = post(client, body, AGENCY)
        assert total(found) == count
        assert {h["_source"]["sourceCatalogue"] for h in hits(found)} == {"sample-csw"}
    water_hits = hits(
        post(client, recorded_body("10") | {"size": 100, "_source": ["cl_topic"]}, WATER)
    )
    assert water_hits and all(h["_source"]["cl_topic"] for h in water_hits)


def test_a_record_outside_a_mount_is_not_found_there(client: FlaskClient) -> None:
    body = {
        "size": 100,
        "_source": ["uuid", "sourceCatalogue"],
        "query": {"bool": {"must_not": [{"terms": {"sourceCatalogue": ["sample-csw"]}}]}},
    }
    other = hits(post(client, body))[0]["_id"]
    assert total(post(client, {"query": {"ids": {"values": [other]}}}, AGENCY)) == 0
    assert client.get(f"{AGENCY}/records/{other}/formatters/xml").status_code == 404
    assert client.get(f"{API}/records/{other}/formatters/xml").status_code == 200


def test_restricted_records_count_only_for_their_role(client: FlaskClient) -> None:
    body = recorded_body("02")
    anonymous = post(client, body)
    staff = post(client, body, headers=STAFF_HEADERS)
    assert total(staff) > total(anonymous)
    assert sum(_orgs(staff).values()) > sum(_orgs(anonymous).values())
    restricted = {"query": {"terms": {"sourceCatalogue": ["fixture-records"]}}, "size": 5}
    assert total(post(client, restricted)) == 0
    found = hits(post(client, restricted, headers=STAFF_HEADERS))
    assert found
    uuid = found[0]["_id"]
    assert total(post(client, {"query": {"ids": {"values": [uuid]}}})) == 0
    assert client.get(f"{API}/records/{uuid}/formatters/xml").status_code == 404
    assert (
        client.get(f"{API}/records/{uuid}/formatters/xml", headers=STAFF_HEADERS).status_code == 200
    )


def test_me_is_204_for_anonymous_and_a_user_for_georchestra(client: FlaskClient) -> None:
    assert client.get(f"{API}/me").status_code == 204
    me = client.get(f"{API}/me", headers=STAFF_HEADERS).get_json()
    assert me["username"] == "alice" and me["organisation"] == "ACME"


def test_site_settings_groups_sources_i18n(client: FlaskClient) -> None:
    settings = client.get(f"{API}/site/settings?key=system/platform/version").get_json()
    assert settings == {"system/platform/version": "4.4.0"}
    feedback = client.get(f"{API}/site/settings?key=system/userFeedback/enable").get_json()
    assert feedback == {"system/userFeedback/enable": False}
    assert client.get(f"{API}/groups").get_json() == []
    sources = client.get(f"{API}/sources").get_json()
    assert "sample-csw" in {s["uuid"] for s in sources}
    english = client.get(f"{API}/i18n/packages/gnui", headers={"Accept-Language": "en"}).get_json()
    french = client.get(f"{API}/i18n/packages/gnui", headers={"Accept-Language": "fr"}).get_json()
    assert english["water"] != french["water"]
    topics = [b["key"] for b in buckets(post(client, recorded_body("06")), "cl_topic.key")]
    assert english["water"] in topics  # topic keys are the labels in the caller's language


def test_attachments_and_xml_formatter(client: FlaskClient) -> None:
    uuid = hits(post(client, recorded_body("10")))[0]["_id"]
    assert client.get(f"{API}/records/{uuid}/attachments").get_json() == []
    response = client.get(f"{API}/records/{uuid}/formatters/xml")
    assert response.status_code == 200
    root = etree.fromstring(response.data)
    assert root.tag.endswith("MD_Metadata")
    missing = client.get(f"{API}/records/nope/formatters/xml")
    assert missing.status_code == 404
    assert missing.get_json()["error"]["type"] == "resource_not_found_exception"
