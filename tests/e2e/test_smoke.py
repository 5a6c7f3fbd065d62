from __future__ import annotations

from tests.e2e.conftest import Api

WAREHOUSES = "query { warehouses(first: 10) { edges { node { code locations { code } } } } }"


async def test_health_answers_with_database_up(api: Api) -> None:
    response = await api.http.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_anonymous_query_is_refused_with_code(api: Api) -> None:
    body = await api(WAREHOUSES)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_login_then_create_warehouse_and_location(api: Api, admin_token: str) -> None:
    created = await api(
        'mutation { createWarehouse(input: {code: "WH1", name: "Main"}) '
        "{ warehouse { code } userErrors { code field message } } }",
        token=admin_token,
    )
    assert created["data"]["createWarehouse"] == {"warehouse": {"code": "WH1"}, "userErrors": []}
    bin_ = await api(
        'mutation { createLocation(input: {code: "WH1-A-01", warehouseCode: "WH1", type: STORAGE})'
        " { location { code warehouse { code } } userErrors { code } } }",
        token=admin_token,
    )
    assert bin_["data"]["createLocation"]["location"] == {
        "code": "WH1-A-01", "warehouse": {"code": "WH1"}
    }
    listed = await api(WAREHOUSES, token=admin_token)
    assert listed["data"]["warehouses"]["edges"] == [
        {"node": {"code": "WH1", "locations": [{"code": "WH1-A-01"}]}}
    ]


async def test_too_deep_and_too_many_aliases_are_refused_every_time(
    api: Api, admin_token: str
) -> None:
    deep = "{ products { edges { node " + "{ supplierItems { product " * 6 + "{ sku }" \
           + " } }" * 6 + " } } }"
    aliases = "{ " + " ".join(f"a{i}: __typename" for i in range(40)) + " }"
    for _ in range(2):  # the second time comes from the validation cache
        too_deep = await api(deep, token=admin_token)
        assert "exceeds maximum operation depth" in too_deep["errors"][0]["message"]
        too_many = await api(aliases, token=admin_token)
        assert "aliases found" in too_many["errors"][0]["message"]
